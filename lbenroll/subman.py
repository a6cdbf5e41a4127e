"""subscription-manager as lbenroll runs it: inside the managed root, with its exit codes.

Exit codes: candlepin/subscription-manager src/subscription_manager/cli_command/ (docs/
katello-client-facts.md, "subscription-manager"): 1 not registered, 64 usage, 69 server
unreachable, 70 server error, 78 TLS/CA trouble.
"""
NOT_REGISTERED = 1


def argv(ctx, *args):
    """The argv of `subscription-manager ARGS` for the managed root (a chroot under --root)."""
    return ctx.in_root("subscription-manager", *args)
