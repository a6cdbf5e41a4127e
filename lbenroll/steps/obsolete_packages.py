"""OBSOLETE_PACKAGES: remove RHN Classic, RHUI and Spacewalk client packages."""
from lbenroll import host
from lbenroll.packages import PackageManager, installed_names
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step


class ObsoletePackages(Step):
    id = "OBSOLETE_PACKAGES"
    title = "Remove RHN Classic, RHUI and Spacewalk client packages"

    def run(self, run):
        if "remove-obsolete-packages" in run.options.skip:
            return Result(self.id, Status.SKIPPED, "--skip remove-obsolete-packages")
        pm = PackageManager(run.ctx)
        installed = installed_names(run.ctx, host.OBSOLETE_PACKAGES)
        if not installed:
            return Result(self.id, Status.UNCHANGED, "no obsolete client packages installed")
        result = pm.transaction("remove", installed, step=self.id)
        if result is None:
            return Result(self.id, Status.CHANGED, "would remove %s" % ", ".join(installed))
        if not result.ok:  # non-fatal, as in bootstrap.py
            return Result(self.id, Status.WARNING, pm.failure(result),
                          remediation="remove them by hand: %s remove %s" % (
                              pm.name, " ".join(installed)))
        return Result(self.id, Status.CHANGED, "removed %s" % ", ".join(installed))
