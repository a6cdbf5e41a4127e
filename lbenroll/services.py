"""Services of the managed host: enabled through systemctl; started only when systemd runs."""
import os

from lbenroll.errors import ExitCode, LbenrollError

# systemd's own test for "booted with systemd" (sd_booted(3)), checked in the running system.
SYSTEMD_RUNTIME_DIR = "/run/systemd/system"
DEFERRED = "start deferred: systemd is not running"


def systemd_running(ctx):
    """True when services can be started now: systemd runs and lbenroll manages this system.

    Under --root (a kickstart %post outside the chroot) the managed system is not the running
    one, so nothing is ever started there.
    """
    return ctx.root == "/" and os.path.isdir(SYSTEMD_RUNTIME_DIR)


def _systemctl(ctx, *args):
    # systemctl edits another root's unit links itself; it must not chroot (no bus in there).
    if ctx.root != "/":
        return ["systemctl", "--root=%s" % ctx.root] + list(args)
    return ["systemctl"] + list(args)


def _check(ctx, argv, result, name, step):
    if result is not None and not result.ok:
        raise LbenrollError("%s failed (exit %s): %s" % (
            ctx.runner.display(argv), result.returncode, ctx.runner.output(result)), step=step,
            fix="check that %s is installed (systemctl status %s)" % (name, name),
            exit_code=ExitCode.FAILED)


def _change(ctx, verb, name, step):
    """systemctl VERB name, a change of the host; a failure is an LbenrollError."""
    argv = _systemctl(ctx, verb, name)
    _check(ctx, argv, ctx.run(argv, changes_host=True), name, step)


def _now(ctx, verb, name, step):
    """systemctl VERB name where systemd runs the managed system; False (deferred) elsewhere."""
    if not systemd_running(ctx):
        return False
    _change(ctx, verb, name, step)
    return True


def is_enabled(ctx, name):
    """`systemctl is-enabled` exits 0 for an enabled unit; it reads unit links only, so it needs
    no running systemd, and under --root it reads the managed root's."""
    return ctx.run(_systemctl(ctx, "is-enabled", "--quiet", name)).ok


def is_active(ctx, name):
    """`systemctl is-active` exits 0 for a running unit; only asked when systemd runs."""
    return ctx.run(_systemctl(ctx, "is-active", "--quiet", name)).ok


def start(ctx, name, step=None):
    """Start a unit; returns False when it is deferred because systemd is not running."""
    return _now(ctx, "start", name, step)


def stop(ctx, name, step=None):
    """Stop a unit (the undo of start)."""
    _change(ctx, "stop", name, step)


def enable(ctx, name, step=None):
    """Enable a unit; systemctl does that without a running systemd too."""
    _change(ctx, "enable", name, step)


def disable(ctx, name, step=None):
    """Disable a unit and, when systemd runs the managed system, stop it."""
    _change(ctx, "disable", name, step)
    _now(ctx, "stop", name, step)


def restart(ctx, name, step=None):
    """Restart a unit; returns False when it is deferred because systemd is not running."""
    return _now(ctx, "restart", name, step)


# Where packages put unit files (the managed root's): to tell which name a service has.
UNIT_DIRS = ("/usr/lib/systemd/system", "/etc/systemd/system")


def first_unit(ctx, names):
    """The first of names whose unit file the managed root has; else the first name."""
    for name in names:
        for directory in UNIT_DIRS:
            if os.path.exists(ctx.path("%s/%s.service" % (directory, name))):
                return name
    return names[0]


def try_restart(ctx, name, step=None):
    """Restart a unit if it runs (`systemctl try-restart`); False when systemd is not running,
    where nothing runs that could use an old setting."""
    return _now(ctx, "try-restart", name, step)


def reload(ctx, name, step=None):
    """Have a running unit read its configuration again (`systemctl try-reload-or-restart`:
    reload, or restart a unit that cannot reload; nothing when it is not running, as it reads
    the files when it starts). False when systemd is not running (nothing to tell)."""
    return _now(ctx, "try-reload-or-restart", name, step)
