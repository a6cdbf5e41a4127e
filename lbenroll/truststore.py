"""The system trust store's refresh: the one way lbenroll runs `update-ca-trust extract`."""
import os

from lbenroll import backup, host
from lbenroll.snapshot import Snapshot


class Extraction(object):
    """What one `update-ca-trust extract` did: done is the runner's result, None in a dry run."""

    def __init__(self, shown, done, output):
        self.shown = shown  # the command as the runner shows it
        self.done = done
        self.output = output

    @property
    def failed(self):
        return self.done is not None and not self.done.ok

    @property
    def line(self):
        """The result's detail line for a dry run or a success."""
        return ("would run: %s" if self.done is None else "ran %s") % self.shown

    @property
    def failure(self):
        """The summary text for a failure: the command, its exit status and its output."""
        return "%s failed (exit %s): %s" % (self.shown, self.done.returncode, self.output)


def installed(ctx):
    return os.path.exists(ctx.path(host.UPDATE_CA_TRUST))


def extract(ctx, undoable=False):
    """Runs `update-ca-trust extract` in the root: an Extraction, or None when update-ca-trust
    is not installed (nothing run). What a failure means is the caller's to say.

    undoable: the extracted bundles are kept first (the TLS bundle in the backup store, the
    extracted tree as a snapshot), and once the command ran, putting the tree back byte for
    byte goes on the undo stack, failed or not: a failing update-ca-trust may have changed
    some of the bundles already. Without it nothing is kept and nothing goes on the undo stack
    (RESTORE_FILES: the anchor and the bundle are put back from the store before it runs)."""
    if not installed(ctx):
        return None
    argv = ctx.in_root("update-ca-trust", "extract")
    before = None
    if undoable and not ctx.dry_run:
        backup.backup_before_command(ctx, [host.TLS_CA_BUNDLE])
        before = Snapshot(ctx, [host.CA_TRUST_EXTRACTED_DIR])
    done = ctx.run(argv, changes_host=True)
    if done is not None and undoable:
        ctx.undo.push("put back the extracted trust bundles", lambda: _put_back(before))
    output = ctx.runner.output(done) if done is not None and not done.ok else None
    return Extraction(ctx.runner.display(argv), done, output)


def _put_back(before):
    failed = before.restore()
    if failed:
        raise OSError("; ".join("%s: %s" % item for item in failed))
