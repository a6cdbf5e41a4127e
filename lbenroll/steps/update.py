"""UPDATE: update all packages (-u/--update)."""
from lbenroll.errors import LbenrollError
from lbenroll.packages import PackageManager, did_nothing, would_change
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step, may_change, repositories_may_change


class Update(Step):
    id = "UPDATE"
    title = "Update all packages (-u/--update)"

    def run(self, run):
        if not run.options.update:
            return Result(self.id, Status.SKIPPED, "no -u/--update given")
        pm = PackageManager(run.ctx)
        if repositories_may_change(run):
            return may_change(run, self.id, "would update all packages", pm.argv("update"))
        result = pm.transaction("update", step=self.id, preview=True)
        if would_change(result):
            return Result(self.id, Status.CHANGED, "would update all packages with %s" % pm.name,
                          detail=["would run: %s" % run.ctx.runner.display(pm.argv("update"))])
        if not result.ok:  # fatal, as in bootstrap.py
            raise LbenrollError(pm.failure(result), step=self.id,
                                fix="run %s update by hand to see why" % pm.name)
        if did_nothing(result):
            return Result(self.id, Status.UNCHANGED, "all packages are up to date")
        return Result(self.id, Status.CHANGED, "updated all packages with %s" % pm.name)
