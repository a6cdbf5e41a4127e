"""REMOVE_REX_KEYS: take back, line by line, the remote execution keys lbenroll added; keep every
other key, whoever added it and when."""
import os

from lbenroll import backup
from lbenroll.errors import WriteError
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step
from lbenroll.writers import authorized_keys


class RemoveRexKeys(Step):
    id = "REMOVE_REX_KEYS"
    title = "Take back the remote execution keys lbenroll added, line by line; keep all others"
    requires = ("UNREGISTER",)

    def run(self, run):
        ctx = run.ctx
        files = authorized_keys.load_record(ctx)
        detail, left, removed_lines = [], {}, 0
        for path, entry in sorted(files.items()):
            if ctx.dry_run:
                detail.append("would remove the %d key line(s) lbenroll added to %s" % (
                    len(entry["lines"]), path))
                continue
            try:
                dropped = authorized_keys.take_back(ctx, path, entry)
            except WriteError as exc:  # UnsafePath included: nothing was touched
                left[path] = entry
                detail.append("left %s alone: %s (fix: %s)" % (path, exc.message, exc.fix))
                continue
            removed_lines += len(dropped)
            detail.append("removed %d key line(s) lbenroll added from %s; every other line "
                          "kept" % (len(dropped), path))
        # An older lbenroll kept such a file whole in the backup store: which keys it added is
        # not known, and putting the old copy back would drop keys added since (RESTORE_FILES
        # skips it).
        for path, absent in backup.backups(ctx):
            if not absent and os.path.basename(path) in authorized_keys.KEY_FILE_NAMES \
                    and path not in files:
                left[path] = None
                detail.append("left %s alone: the backup store of an older lbenroll keeps it "
                              "whole, without saying which keys lbenroll added (fix: remove the "
                              "Smart Proxies' remote execution keys from it by hand)" % path)
        if not ctx.dry_run and files:
            authorized_keys.save_record(ctx, {p: e for p, e in left.items() if e}, undo=False)
        if left:
            return Result(self.id, Status.WARNING, "left %d authorized_keys file(s) alone; "
                          "remove lbenroll's keys from them by hand" % len(left), detail=detail,
                          remediation="see the detail: each file named there and why",
                          data={"left_alone": sorted(left)})
        if not files:
            return Result(self.id, Status.UNCHANGED, "no remote execution keys added by lbenroll")
        return Result(self.id, Status.CHANGED, "%s the remote execution keys lbenroll added "
                      "(%d line(s)) from %d file(s)" % (
                          "would remove" if ctx.dry_run else "removed", removed_lines,
                          len(files)), detail=detail, data={"files": sorted(files)})
