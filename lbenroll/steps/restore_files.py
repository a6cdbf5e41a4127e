"""RESTORE_FILES: put back every file lbenroll changed as its backup keeps it; remove
lbenroll.conf."""
import os

from lbenroll import backup, diskio, fileio, host
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step
from lbenroll.writers import authorized_keys
from lbenroll.writers.base import Plan, Target


UPDATE_CA_TRUST = "/usr/bin/update-ca-trust"


LBENROLL_CONF_TARGET = Target(host.LBENROLL_CONF, 0o644, "root", "root", "the enrollment record")


class RestoreFiles(Step):
    id = "RESTORE_FILES"
    title = "Put back every file lbenroll changed as its backup keeps it; remove lbenroll.conf"
    requires = ("UNREGISTER",)

    def run(self, run):
        ctx = run.ctx
        restored, removed, plans = [], [], []
        for path, absent in backup.backups(ctx):
            real = ctx.path(path)
            if (os.path.isdir(real) and not os.path.islink(real)) or path == host.LBENROLL_CONF:
                continue  # directories go at the end (FORGET_BACKUPS); lbenroll.conf below
            if authorized_keys.handled_by_line(ctx, path):
                continue  # REMOVE_REX_KEYS takes back lbenroll's lines; never the whole file
            current = diskio.read_entry(ctx, path)  # a link as a link, not its target's bytes
            wanted = None if absent else backup.read_backup(ctx, path)
            if current == wanted:
                continue
            if wanted is None:
                removed.append(path)
            else:
                restored.append(path)
                if not isinstance(current, diskio.Link) and not isinstance(wanted, diskio.Link):
                    plans.append(Plan(Target(path, None, None, None, ""), current, wanted))
            if not ctx.dry_run:
                backup.restore_backup(ctx, path)
        detail = (["restored %s" % path for path in restored]
                  + ["removed %s (absent before lbenroll)" % path for path in removed])
        # The record of the enrollment goes whatever the store says: `lbenroll repair` must
        # not find it on an unenrolled host.
        if fileio.read_bytes(ctx, host.LBENROLL_CONF) is not None:
            removed.append(host.LBENROLL_CONF)
            detail.append("removed %s (the enrollment record)" % host.LBENROLL_CONF)
            if not ctx.dry_run:
                fileio.restore_bytes(ctx, LBENROLL_CONF_TARGET, None)
        if not restored and not removed:
            return Result(self.id, Status.UNCHANGED, "every file is as it was before lbenroll")
        dry = ctx.dry_run
        result = Result(self.id, Status.CHANGED, "%s %d file(s), %s %d" % (
            "would restore" if dry else "restored", len(restored),
            "would remove" if dry else "removed", len(removed)),
            detail=detail, data={"restored": restored, "removed": removed},
            diff=lambda: ctx.redact("".join(plan.diff for plan in plans)))
        if host.CA_TRUST_ANCHOR in restored + removed:
            self._update_ca_trust(run, result)
        return result

    def _update_ca_trust(self, run, result):
        """The consumer RPM put the Katello CA into the system trust store; the extracted bundles
        keep trusting it until they are generated again. A failure is a warning: the files are
        back already, and a second --remove would not see the anchor change again."""
        ctx = run.ctx
        if not os.path.exists(ctx.path(UPDATE_CA_TRUST)):
            return
        argv = ctx.in_root("update-ca-trust", "extract")
        done = ctx.run(argv, changes_host=True)
        if done is None:
            result.detail.append("would run: %s" % ctx.runner.display(argv))
        elif done.ok:
            result.detail.append("ran %s" % ctx.runner.display(argv))
        else:
            result.status = Status.WARNING
            result.summary += "; %s failed (exit %s): %s" % (
                ctx.runner.display(argv), done.returncode, ctx.runner.output(done))
            result.remediation = "run update-ca-trust extract by hand"
