"""REMOVE_REX_PULL: take back what --rex-pull added besides its file edits: the unit it enabled
and the packages it installed (rex-pull.json), and nothing that was there before lbenroll."""
from lbenroll import packages, services
from lbenroll.errors import LbenrollError
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step
from lbenroll.writers import rex_pull_record


class RemoveRexPull(Step):
    id = "REMOVE_REX_PULL"
    title = "Disable the yggdrasil unit and remove the packages --rex-pull added"
    # After RESTORE_FILES: config.toml goes back (or away) before rpm erases its package.
    requires = ("RESTORE_FILES",)

    def run(self, run):
        ctx = run.ctx
        record = rex_pull_record.load(ctx)
        if not record["packages"] and not record["enabled"]:
            return Result(self.id, Status.UNCHANGED, "--rex-pull installed and enabled nothing "
                          "on this host")
        units = [unit for unit in record["enabled"] if services.is_enabled(ctx, unit)]
        names = packages.installed_names(ctx, record["packages"], step=self.id)
        pm = packages.PackageManager(ctx)
        what = ["disable %s" % unit for unit in units] + (
            ["remove %s" % ", ".join(names)] if names else [])
        if ctx.dry_run:
            return Result(self.id, Status.CHANGED, "would %s" % "; ".join(what or [
                "forget %s" % rex_pull_record.RECORD_TARGET.path]))
        try:
            for unit in units:
                services.disable(ctx, unit, step=self.id)
            if names:
                done = pm.transaction("remove", names, step=self.id)
                if done is not None and not done.ok:
                    raise LbenrollError(pm.failure(done), step=self.id)
        except LbenrollError as exc:  # the host is unenrolled all the same, as REMOVE_PACKAGES
            return Result(self.id, Status.WARNING, exc.message, remediation="; ".join(
                ["systemctl disable --now %s" % unit for unit in units]
                + ([ctx.runner.display(pm.argv("remove", *names))] if names else [])))
        rex_pull_record.save(ctx, {"packages": [], "enabled": []}, undo=False)
        done = ["disabled %s" % unit for unit in units] + (
            ["removed %s" % ", ".join(names)] if names else [])
        return Result(self.id, Status.CHANGED, "; ".join(done) or "nothing left to take back; "
                      "forgot %s" % rex_pull_record.RECORD_TARGET.path,
                      data={"disabled": units, "removed": names})
