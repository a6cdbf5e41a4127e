"""REGISTER: register with subscription-manager through the balancer."""
import logging

from lbenroll import backup, fileio, host, subman
from lbenroll.errors import ExitCode, LbenrollError, UsageError
from lbenroll.options import comma_list
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step, registration_stands
from lbenroll.writers.base import decode
from lbenroll.writers.rhsm_conf import read_rhsm

log = logging.getLogger("lbenroll")


# subscription-manager exit codes (docs/katello-client-facts.md, "subscription-manager") -> ours,
# with the usual cause and fix.
REGISTER_FAILURES = {
    64: (ExitCode.USAGE, "subscription-manager rejected the register options",
         "check -o/--organization, -a/--activationkey and -S/--subscription-manager-args"),
    69: (ExitCode.UNAVAILABLE, "subscription-manager could not reach the RHSM service",
         "check that the balancer forwards the RHSM port to the proxies and they are up"),
    70: (ExitCode.PROTOCOL, "the server refused the registration",
         "check the organization label and the activation key in Katello"),
    78: (ExitCode.CONFIG, "subscription-manager could not verify the server's certificate",
         "check /etc/rhsm/ca/katello-server-ca.pem against the proxies' certificates"),
}


# What `subscription-manager register` writes itself, backed up before it runs so that
# --remove can put the originals back; entitlement certificates get new names each time, so
# only their directory is recorded (if it is missing, --remove takes it away again).
REGISTER_FILES = (host.RHSM_CONF, host.REDHAT_REPO, host.CONSUMER_CERT, host.CONSUMER_KEY)


def rhsm_values(ctx):
    return read_rhsm(decode(fileio.read_bytes(ctx, host.RHSM_CONF) or b""))


class Register(Step):
    id = "REGISTER"
    title = "Register with subscription-manager through the balancer"
    requires = ("RHSM_CONF",)

    def run(self, run):
        ctx, options = run.ctx, run.options
        if options.recorded_in or registration_stands(run):
            # Repair never registers, so whatever the server thinks of this consumer changes
            # nothing it would do: it needs only what PREFLIGHT checked, the consumer
            # certificate. `identity` would cost a subscription-manager start and a server round
            # trip on every timer run. Any other run on a host whose consumer certificate is
            # unexpired and from the trusted CA is the same repair, with -a or without (README
            # "Host states and convergence"); --force asks the server again.
            return Result(self.id, Status.UNCHANGED, "registered (%s present)" % (
                host.CONSUMER_CERT), detail=["%s: the registration is left as it is" % (
                    "repair run" if options.recorded_in else
                    "the consumer certificate is unexpired and from the trusted Katello CA")])
        if run.registration_problem and run.registered_before:
            log.info("asking the server: %s", run.registration_problem)
        identity = ctx.run(subman.argv(ctx, "identity"))
        registered = identity.returncode == 0
        if registered and not options.force:
            uuid = _identity_uuid(identity.stdout)
            return Result(self.id, Status.UNCHANGED, "already registered (%s)" % uuid,
                          detail=["the consumer identity is valid through any proxy"],
                          data={"uuid": uuid})
        if identity.returncode not in (0, 1):
            cause = ctx.runner.output(identity)
            raise LbenrollError("subscription-manager identity failed (exit %s): %s" % (
                identity.returncode, cause), step=self.id,
                fix="re-run with --force to register this host again",
                exit_code=REGISTER_FAILURES.get(identity.returncode, (ExitCode.FAILED,))[0])
        if options.new_capsule:
            # Moving keeps the identity; a host whose identity is refused is enrolled, not moved.
            raise UsageError("subscription-manager says this host is not registered: %s; "
                             "--new-capsule never registers" % (
                                 ctx.runner.output(identity) or "identity failed"), step=self.id,
                             fix="enroll it instead: drop --new-capsule and add -a KEY "
                                 "-o ORG_LABEL (and --force if a stale identity remains)")
        if not options.activationkey:
            # PREFLIGHT saw a consumer certificate, but subscription-manager does not accept it
            # (e.g. its key is gone): registering needs a key this run does not have.
            raise UsageError("subscription-manager says this host is not registered: %s" % (
                ctx.runner.output(identity) or "identity failed"), step=self.id,
                fix="re-enroll with -a KEY -o ORG_LABEL (and --force if a stale identity remains)")
        argv = self.register_argv(run, force=registered)
        backup.backup_before_command(ctx, REGISTER_FILES, [host.ENTITLEMENT_DIR])
        result = ctx.run(argv, changes_host=True)
        if result is None:
            return Result(self.id, Status.CHANGED, "would register with the balancer",
                          detail=["would run: %s" % ctx.runner.display(argv)])
        if not result.ok:
            return self._failed(run, result)
        run.registered_now = True
        if not registered:
            unregister = subman.argv(ctx, "unregister")
            ctx.undo.push("unregister the consumer registered by this run",
                          lambda: ctx.run(unregister, changes_host=True))
        return Result(self.id, Status.CHANGED, "registered as %s through %s" % (
            options.fqdn, run.balancer), detail=[ctx.runner.display(argv)])

    def register_argv(self, run, force):
        options = run.options
        rhsm = rhsm_values(run.ctx)
        baseurl_path = _path_of(rhsm["baseurl"]) or "/pulp/content/"
        argv = subman.argv(run.ctx, "register", "--org",
                                    run.org_label or options.org,
                                    "--name", options.fqdn)
        for key in comma_list(options.activationkey, empties=True):
            argv += ["--activationkey", key]
        argv += list(options.smargs)
        argv += ["--serverurl", "https://%s:%s%s" % (run.balancer, rhsm["port"], rhsm["prefix"]),
                 "--baseurl", "https://%s%s" % (run.balancer, baseurl_path)]
        if options.release:
            argv += ["--release", options.release]
        if force or options.force:
            argv.append("--force")
        return argv

    def _failed(self, run, result):
        code, cause, fix = REGISTER_FAILURES.get(
            result.returncode, (ExitCode.FAILED, "subscription-manager register failed",
                                "run subscription-manager register by hand to see why"))
        message = "%s (exit %s): %s" % (cause, result.returncode, run.ctx.runner.output(result))
        if run.options.ignore_registration_failures:
            return Result(self.id, Status.WARNING, message, remediation=fix,
                          detail=["continuing: --ignore-registration-failures"])
        raise LbenrollError(message, step=self.id, fix=fix, exit_code=code)


def _identity_uuid(text):
    for line in text.splitlines():
        if line.lower().startswith("system identity:"):
            return line.split(":", 1)[1].strip()
    return "identity unknown"


def _path_of(url):
    from lbenroll.urls import host_of
    if not url or not host_of(url):
        return None
    rest = url.split("://", 1)[-1]
    slash = rest.find("/")
    return rest[slash:] if slash >= 0 else "/"
