"""UNREGISTER: unregister from subscription-manager, then clean its local data."""
import os

from lbenroll import host, subman
from lbenroll.errors import ExitCode, LbenrollError
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step


# subscription-manager unregister exit codes -> ours, with the usual cause (1 is handled apart:
# the identity certificate is there but subscription-manager does not accept it).
UNREGISTER_FAILURES = {
    69: (ExitCode.UNAVAILABLE, "subscription-manager could not reach the RHSM service"),
    70: (ExitCode.UNAVAILABLE, "subscription-manager could not unregister on the server"),
    78: (ExitCode.CONFIG, "subscription-manager could not verify the server's certificate"),
}


NOT_REGISTERED = 1


UNREGISTER_FIX = ("check that the balancer forwards the RHSM port to the proxies and that they "
                  "are up, then run --remove again; if the server is gone for good, delete the "
                  "host in Katello, run `subscription-manager clean` and --remove again")


class Unregister(Step):
    id = "UNREGISTER"
    title = "Unregister from subscription-manager, then clean its local data"
    requires = ("REMOVE_PREFLIGHT",)

    def run(self, run):
        ctx = run.ctx
        if not os.path.exists(ctx.path(host.CONSUMER_CERT)):
            return Result(self.id, Status.UNCHANGED, "not registered (no %s)" % host.CONSUMER_CERT)
        unregister = subman.argv(ctx, "unregister")
        clean = subman.argv(ctx, "clean")
        result = ctx.run(unregister, changes_host=True)
        if result is None:
            ctx.run(clean, changes_host=True)
            return Result(self.id, Status.CHANGED, "would unregister and clean",
                          detail=["would run: %s" % ctx.runner.display(argv)
                                  for argv in (unregister, clean)])
        if result.returncode == NOT_REGISTERED:
            # The certificate is there, but not a valid identity: only local data is left.
            summary = "not registered (%s); cleaned the stale local data" % (
                ctx.runner.output(result) or "identity not accepted")
        elif not result.ok:
            code, cause = UNREGISTER_FAILURES.get(
                result.returncode, (ExitCode.FAILED, "subscription-manager unregister failed"))
            raise LbenrollError("%s (exit %s): %s" % (cause, result.returncode,
                                                      ctx.runner.output(result)),
                                step=self.id, fix=UNREGISTER_FIX, exit_code=code)
        else:
            summary = "unregistered and cleaned"
        cleaned = ctx.run(clean, changes_host=True)
        if not cleaned.ok:  # the consumer is gone on the server; leftovers are local only
            return Result(self.id, Status.WARNING, "unregistered, but subscription-manager clean "
                          "failed (exit %s): %s" % (cleaned.returncode, ctx.runner.output(cleaned)),
                          remediation="run subscription-manager clean by hand")
        return Result(self.id, Status.CHANGED, summary)
