"""PREREQUISITES: subscription-manager is installed and, unless --skip prereq-update, current."""
from lbenroll import fileio, host
from lbenroll.errors import LbenrollError
from lbenroll.packages import (PackageManager, did_nothing, installed_names, no_repositories,
                               would_change)
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step, may_change, registration_stands
from lbenroll.writers.deps_repo import DepsRepoWriter


class Prerequisites(Step):
    id = "PREREQUISITES"
    title = "subscription-manager is installed and, unless --skip prereq-update, current"

    def run(self, run):
        options = run.options
        if not options.deps_repository_url:
            return self.ensure(run)
        writer = DepsRepoWriter(options.deps_repository_url, options.deps_repository_gpg_key)
        plan = writer.plan(fileio.read_bytes(run.ctx, writer.target.path))
        if run.ctx.dry_run:
            # dnf cannot be asked about a repository that is not written: only the run knows.
            result = self.ensure(run, deps_unwritten=True)
            result.detail.insert(0, "would write %s for this step" % writer.target.path)
            return result
        fileio.write_file(run.ctx, writer.target, plan.wanted, undo=False)
        try:
            result = self.ensure(run)
        finally:  # bootstrap.py deletes it too: later dnf runs must not use it
            fileio.restore_bytes(run.ctx, writer.target, plan.current)
        result.detail.insert(0, "used %s temporarily" % writer.target.path)
        return result

    def ensure(self, run, deps_unwritten=False):
        pm = PackageManager(run.ctx)
        if installed_names(run.ctx, [host.SUBSCRIPTION_MANAGER]):
            status, detail = Status.UNCHANGED, ["subscription-manager is installed"]
        elif deps_unwritten:
            return may_change(run, self.id, "would install subscription-manager",
                              pm.argv("install", host.SUBSCRIPTION_MANAGER),
                              why="the dependencies repository is written")
        else:
            status, detail = Status.CHANGED, [self.install(run, pm)]
        if "prereq-update" in run.options.skip:
            detail.append("not updated: --skip prereq-update")
            return Result(self.id, status, detail[0], detail=detail[1:])
        if registration_stands(run):
            # bootstrap.py updates them so that registering works; this host is registered.
            detail.append("not updated: the host is registered (its consumer certificate "
                          "stands)")
            return Result(self.id, status, detail[0], detail=detail[1:])
        # Only the installed ones are named, so dnf is not asked to install a missing one.
        names = installed_names(run.ctx, host.PREREQ_UPDATE)
        if not names:  # `dnf update` without names would update everything
            return Result(self.id, status, detail[0], detail=detail[1:])
        if deps_unwritten or status == Status.CHANGED and run.ctx.dry_run:
            return may_change(run, self.id, "would update %s" % ", ".join(names),
                              pm.argv("update", *names), why=(
                                  "the dependencies repository is written" if deps_unwritten
                                  else "subscription-manager is installed"))
        result = pm.transaction("update", names, step=self.id, preview=True)
        if would_change(result):
            return Result(self.id, Status.CHANGED, "would update %s" % ", ".join(names),
                          detail=detail + ["would run: %s" % run.ctx.runner.display(
                              pm.argv("update", *names))])
        if not result.ok and no_repositories(result):
            # Usual before the first registration: there is nothing to update from yet.
            detail.append("not updated: no repository is enabled yet")
            return Result(self.id, status, detail[0], detail=detail[1:])
        if not result.ok:  # non-fatal, as in bootstrap.py
            return Result(self.id, Status.WARNING, pm.failure(result), detail=detail,
                          remediation="run %s update by hand to see why" % pm.name)
        if did_nothing(result):
            return Result(self.id, status, "%s up to date" % ", ".join(names), detail=detail)
        return Result(self.id, Status.CHANGED, "updated %s" % ", ".join(names), detail=detail)

    def install(self, run, pm):
        # Not available raises PackageNotAvailable: fatal, as in bootstrap.py.
        result = pm.transaction("install", [host.SUBSCRIPTION_MANAGER], step=self.id,
                                preview=True)
        if would_change(result):
            return "would install subscription-manager"
        if not result.ok:
            raise LbenrollError(pm.failure(result), step=self.id,
                                fix="install subscription-manager by hand to see why")
        return "installed subscription-manager with %s" % pm.name
