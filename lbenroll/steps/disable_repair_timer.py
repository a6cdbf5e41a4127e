"""DISABLE_REPAIR_TIMER: disable lbenroll-repair.timer: with the record gone it has nothing to
repair."""
from lbenroll import host, services
from lbenroll.errors import LbenrollError
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step


class DisableRepairTimer(Step):
    id = "DISABLE_REPAIR_TIMER"
    title = "Disable lbenroll-repair.timer: with the record gone it has nothing to repair"
    requires = ("RESTORE_FILES",)

    def run(self, run):
        ctx, unit = run.ctx, host.REPAIR_TIMER
        if not services.is_enabled(ctx, unit):
            return Result(self.id, Status.UNCHANGED, "%s is not enabled" % unit)
        try:
            services.disable(ctx, unit, step=self.id)
        except LbenrollError as exc:  # the host is unenrolled all the same
            return Result(self.id, Status.WARNING, exc.message,
                          remediation="systemctl disable --now %s" % unit)
        return Result(self.id, Status.CHANGED, "%s %s" % (
            "would disable" if ctx.dry_run else "disabled", unit),
            detail=["otherwise it would fail every run: repair needs an enrollment record"])
