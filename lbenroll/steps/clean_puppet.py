"""CLEAN_PUPPET: move Puppet's SSL directory and cache aside (unless --skip puppet)."""
import os

from lbenroll import backup, host
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step


class CleanPuppet(Step):
    id = "CLEAN_PUPPET"
    title = "Move Puppet's SSL directory and cache aside (unless --skip puppet)"
    requires = ("RESTORE_FILES",)

    def run(self, run):
        ctx = run.ctx
        if "puppet" in run.options.skip:
            return Result(self.id, Status.SKIPPED, "skipped with --skip puppet")
        present = [d for d in (host.PUPPET_SSL_DIR, host.PUPPET_CACHE_DIR)
                   if os.path.isdir(ctx.path(d))]
        if not present:
            return Result(self.id, Status.UNCHANGED, "no Puppet SSL directory or cache")
        if ctx.dry_run:
            return Result(self.id, Status.CHANGED, "would move %s aside into %s/%s" % (
                " and ".join(present), host.BACKUP_DIR, backup.SET_ASIDE))
        # Set aside, not deleted: the agent's key and certificate are kept for a while.
        moved = ["moved %s aside to %s" % (d, "/" + os.path.relpath(
            backup.set_aside(ctx, d, undo=False), ctx.root)) for d in present]
        return Result(self.id, Status.CHANGED, "moved %s aside" % " and ".join(present),
                      detail=moved)
