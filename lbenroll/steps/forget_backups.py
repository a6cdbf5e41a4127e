"""FORGET_BACKUPS: remove the now empty directories enrolling created; empty the backup store
(but for what it keeps of a file RESTORE_FILES left alone) and remove the consumer packages kept
for a rollback."""
import os

from lbenroll import backup, host
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step


class ForgetBackups(Step):
    id = "FORGET_BACKUPS"
    title = "Remove the now empty directories enrolling created; empty the backup store"
    requires = ("RESTORE_FILES",)

    def run(self, run):
        ctx = run.ctx
        directories = sorted((path for path, absent in backup.backups(ctx)
                              if absent and os.path.isdir(ctx.path(path))), reverse=True)
        copies = os.path.lexists(ctx.path(host.CONSUMER_RPM_COPIES))
        if ctx.dry_run:
            if not backup.backups(ctx) and not copies:
                return Result(self.id, Status.UNCHANGED, "no backups left")
            return Result(self.id, Status.CHANGED, "would empty the backup store %s" % (
                host.BACKUP_DIR), detail=["would remove the directory %s if it is empty" % d
                                          for d in directories]
                + (["would remove the consumer packages kept in %s" % host.CONSUMER_RPM_COPIES]
                   if copies else []))
        removed, kept = [], []
        for directory in directories:  # deepest first: a parent empties once its child goes
            (removed if backup.remove_empty_tree(ctx, directory) else kept).append(directory)
        # A file RESTORE_FILES left alone keeps its copies: its note sends its owner to them.
        left = run.results["RESTORE_FILES"].data.get("left", []) \
            if "RESTORE_FILES" in run.results else []
        if not backup.forget_backups(ctx, keep=left) and not removed:
            return Result(self.id, Status.UNCHANGED, "no backups left")
        detail = (["removed the directory %s (absent before lbenroll)" % d for d in removed]
                  + ["kept the directory %s: not empty" % d for d in kept]
                  + (["removed the consumer packages kept in %s" % host.CONSUMER_RPM_COPIES]
                     if copies else []))
        return Result(self.id, Status.CHANGED, "emptied the backup store %s" % host.BACKUP_DIR,
                      detail=detail, data={"removed_directories": removed,
                                           "kept_directories": kept})
