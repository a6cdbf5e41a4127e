"""RESTORE_FILES: take back lbenroll's edits of every file it changed, keeping everyone else's;
remove lbenroll.conf."""
import os

from lbenroll import backup, diskio, fileio, host, revert, truststore
from lbenroll.errors import WriteError
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step
from lbenroll.writers import authorized_keys
from lbenroll.writers.base import Plan, Target


LBENROLL_CONF_TARGET = Target(host.LBENROLL_CONF, 0o644, "root", "root", "the enrollment record")


# Files another program generates from its own sources, which lbenroll changed through it
# (subscription-manager, update-ca-trust) or after it: they go back whole, as nobody's edits in
# them last. subscription-manager rewrites redhat.repo on every dnf run ("This file is
# auto-generated. Changes made here will be over-written": YumRepoFile.REPOFILE_HEADER in
# candlepin/subscription-manager src/subscription_manager/repofile.py); update-ca-trust makes
# the bundle from the anchors; the consumer certificate and key are the registration's.
REGENERATED = frozenset((host.REDHAT_REPO, host.TLS_CA_BUNDLE, host.CONSUMER_CERT,
                         host.CONSUMER_KEY))


RESTORE, REVERT, LEAVE = "restore", "revert", "leave"


def decide(path, original, written, current):
    """What --remove does with one file the store keeps; (RESTORE, None), (REVERT, bytes) or
    (LEAVE, why). original is the store's copy from before lbenroll (None: it was absent),
    written what lbenroll last wrote (backup.read_written), current what is there now.

    - It still holds what lbenroll wrote, or it was deleted since, or another program
      generates it (REGENERATED): the copy from before lbenroll goes back (absent: removed).
    - Someone edited it after lbenroll wrote it: lbenroll's own edits are taken out line by
      line (lbenroll.revert) and the other edits kept.
    - Where that cannot be done safely the file is left alone, never overwritten with the
      copy from before: lbenroll edited the same lines as someone else; lbenroll created the
      file and someone edited it since; a link, or a file too large to keep lbenroll's write
      of; or the store has no record of lbenroll's write, so no edit can be told apart: an
      lbenroll older than the record kept none (re-rendering what it would have written is not
      done: the options and the served CA may differ since), nor does a file only a package or
      a command changed.
    """
    if path in REGENERATED or current is None or backup.holds_written(current, written):
        return RESTORE, None
    if written is None:
        return LEAVE, "lbenroll has no record of what it wrote there, so it cannot tell its " \
            "own edits from others'"
    if original is None:
        return LEAVE, "lbenroll created it and it was edited since"
    if not all(isinstance(data, bytes) for data in (original, written, current)):
        return LEAVE, "it was changed since lbenroll wrote it (a link, or too large to compare " \
            "line by line)"
    merged = revert.revert(original, written, current)
    if merged is None:
        return LEAVE, "it was edited since where lbenroll edited it too (or it has over %d " \
            "lines)" % revert.MAX_LINES
    return REVERT, merged


class RestoreFiles(Step):
    id = "RESTORE_FILES"
    title = ("Take back lbenroll's edits of every file it changed, keeping everyone else's; "
             "remove lbenroll.conf")
    requires = ("UNREGISTER",)

    def run(self, run):
        ctx = run.ctx
        restored, removed, reverted, left, plans, notes = [], [], [], [], [], []
        for path, absent in backup.backups(ctx):
            real = ctx.path(path)
            if (os.path.isdir(real) and not os.path.islink(real)) or path == host.LBENROLL_CONF:
                continue  # directories go at the end (FORGET_BACKUPS); lbenroll.conf below
            if authorized_keys.handled_by_line(ctx, path):
                continue  # REMOVE_REX_KEYS takes back lbenroll's lines; never the whole file
            current = diskio.read_entry(ctx, path)  # a link as a link, not its target's bytes
            original = None if absent else backup.read_backup(ctx, path)
            if current == original:
                continue
            action, outcome = decide(path, original, backup.read_written(ctx, path), current)
            if action == LEAVE:
                left.append(path)
                notes.append(_leave_note(path, outcome, absent))
                continue
            wanted = original if action == RESTORE else outcome
            if wanted is None:
                removed.append(path)
            else:
                (restored if action == RESTORE else reverted).append(path)
                if not isinstance(current, diskio.Link) and not isinstance(wanted, diskio.Link):
                    plans.append(Plan(Target(path, None, None, None, ""), current, wanted))
            if ctx.dry_run:
                continue
            if action == RESTORE:
                backup.restore_backup(ctx, path)
            else:
                _revert(ctx, path, current, outcome)
        detail = (["restored %s" % path for path in restored]
                  + ["took lbenroll's edits out of %s, kept the others" % path
                     for path in reverted]
                  + ["removed %s (absent before lbenroll)" % path for path in removed])
        # The record of the enrollment goes whatever the store says: `lbenroll repair` must
        # not find it on an unenrolled host.
        if fileio.read_bytes(ctx, host.LBENROLL_CONF) is not None:
            removed.append(host.LBENROLL_CONF)
            detail.append("removed %s (the enrollment record)" % host.LBENROLL_CONF)
            if not ctx.dry_run:
                fileio.restore_bytes(ctx, LBENROLL_CONF_TARGET, None)
        data = {"restored": restored, "reverted": reverted, "removed": removed, "left": left}
        if not restored and not removed and not reverted:
            if left:
                return self._left_alone(Result(self.id, Status.WARNING, "", data=data), notes)
            return Result(self.id, Status.UNCHANGED, "every file is as it was before lbenroll")
        dry = ctx.dry_run
        result = Result(self.id, Status.CHANGED, "%s %d file(s), %s %d, %s %d" % (
            "would restore" if dry else "restored", len(restored),
            "would revert lbenroll's edits in" if dry else "reverted lbenroll's edits in",
            len(reverted), "would remove" if dry else "removed", len(removed)),
            detail=detail, data=data,
            diff=lambda: ctx.redact("".join(plan.diff for plan in plans)))
        if host.CA_TRUST_ANCHOR in restored + removed:
            self._update_ca_trust(run, result)
        if left:
            self._left_alone(result, notes)
        return result

    def _left_alone(self, result, notes):
        """A file left alone is a warning (exit 3): it still holds lbenroll's edits."""
        result.status = Status.WARNING
        summary = "left %d file(s) alone: edited since the enrollment" % len(notes)
        result.summary = "%s; %s" % (result.summary, summary) if result.summary else summary
        result.detail = list(result.detail) + notes
        fix = ("take lbenroll's edits out of each file named by hand (the notes say how), then "
               "run lbenroll --remove again")
        result.remediation = "%s; %s" % (result.remediation, fix) if result.remediation else fix
        return result

    def _update_ca_trust(self, run, result):
        """The consumer RPM put the Katello CA into the system trust store; the extracted bundles
        keep trusting it until they are generated again. A failure is a warning: the files are
        back already, and a second --remove would not see the anchor change again."""
        extraction = truststore.extract(run.ctx)
        if extraction is None:
            return
        if extraction.failed:
            result.status = Status.WARNING
            result.summary += "; %s" % extraction.failure
            result.remediation = "run update-ca-trust extract by hand"
        else:
            result.detail.append(extraction.line)


def _leave_note(path, why, absent):
    """The note for a file --remove leaves alone: which, why, and what to run."""
    stored = host.BACKUP_DIR + path
    written = "%s/%s%s" % (host.BACKUP_DIR, backup.LAST_WRITTEN, path)
    if absent:
        how = "it did not exist before the enrollment: delete it if nothing needs it, or keep " \
              "it, then rm %s%s" % (stored, backup.ABSENT_SUFFIX)
    else:
        how = "compare it with the copy from before the enrollment, %s (lbenroll's last write, " \
              "where kept, is %s: `diff %s %s` shows lbenroll's edits), edit it by hand, then " \
              "rm -f %s %s" % (stored, written, stored, written, stored, written)
    return "left %s alone: %s; %s" % (path, why, how)


def _revert(ctx, path, current, merged):
    """Write the file with lbenroll's edits taken out, only if it still holds what the merge was
    made from; then the store keeps the result as the file's state before lbenroll."""
    try:
        fileio.write_file(ctx, Target(path, None, None, None, ""), merged, undo=False,
                          planned_from=current, record=False)
        backup.settle(ctx, path, merged)
    except OSError as exc:
        raise WriteError("cannot revert lbenroll's edits in %s: %s" % (path, exc.strerror or exc),
                         fix="copy it from %s%s by hand" % (host.BACKUP_DIR, path))
