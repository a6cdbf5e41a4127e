"""RHSMCERTD: enable and restart rhsmcertd after registering."""
from lbenroll import services
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step


class Rhsmcertd(Step):
    id = "RHSMCERTD"
    title = "Enable and restart rhsmcertd after registering"
    requires = ("REGISTER",)

    def run(self, run):
        ctx = run.ctx
        if not run.changed("REGISTER"):
            return Result(self.id, Status.UNCHANGED,
                          "registration unchanged; rhsmcertd left as it is")
        services.enable(ctx, "rhsmcertd", step=self.id)
        started = services.restart(ctx, "rhsmcertd", step=self.id)
        if ctx.dry_run:
            return Result(self.id, Status.CHANGED, "would enable %s rhsmcertd" % (
                "and restart" if started else "(start deferred: systemd is not running)"))
        if started:
            return Result(self.id, Status.CHANGED, "rhsmcertd enabled and restarted")
        return Result(self.id, Status.CHANGED, "rhsmcertd enabled; %s" % services.DEFERRED,
                      detail=["it starts at the next boot"])
