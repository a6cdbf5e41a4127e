"""--remove takes back lbenroll's own edits and keeps everyone else's (issue 18, section 3):
RESTORE_FILES and FORGET_BACKUPS on real files in a temporary root."""
import os


from lbenroll import backup, fileio
from lbenroll.results import Status
from lbenroll.steps.forget_backups import ForgetBackups
from lbenroll.steps.restore_files import RestoreFiles
from lbenroll.writers.base import Target
from tests.conftest import seed
from tests.steps.conftest import real

RHSM = "/etc/rhsm/rhsm.conf"
PUPPET = "/etc/puppetlabs/puppet/puppet.conf"
GOFER = "/etc/gofer/plugins/katello.conf"

ORIGINAL = b"""# Red Hat Subscription Manager Configuration File:

[server]
# Server hostname:
hostname = subscription.rhsm.redhat.com
port = 443

[rhsm]
baseurl = https://cdn.redhat.com
"""
ENROLLED = ORIGINAL.replace(b"subscription.rhsm.redhat.com", b"lb.example.com") \
    .replace(b"https://cdn.redhat.com", b"https://lb.example.com/pulp/content")


def enroll(ctx, root, path, original, written):
    """As an enrollment leaves a file: its original (None: absent) backed up, lbenroll's write."""
    if original is not None:
        seed(root, {path: original})
    fileio.write_file(ctx, Target(path, 0o644, "root", "root", ""), written, undo=False)


def removal(remove_run):
    """RESTORE_FILES, then FORGET_BACKUPS of the same run, as --remove runs them."""
    run = remove_run()
    for step in (RestoreFiles(), ForgetBackups()):
        run.results[step.id] = step.run(run)
    return run.results["RESTORE_FILES"], run.results["FORGET_BACKUPS"]


def test_an_untouched_file_is_restored_exactly(remove_run, ctx, root):
    enroll(ctx, root, RHSM, ORIGINAL, ENROLLED)
    restored, _ = removal(remove_run)
    assert restored.status == Status.CHANGED and restored.data["restored"] == [RHSM]
    assert fileio.read_bytes(ctx, RHSM) == ORIGINAL


def test_an_admins_comment_and_key_stay_and_lbenrolls_keys_go_back(remove_run, ctx, root):
    enroll(ctx, root, RHSM, ORIGINAL, ENROLLED)
    seed(root, {RHSM: ENROLLED.replace(b"[server]\n", b"[server]\n# the admin's\n")
                + b"server_timeout = 300\n"})
    restored, forgotten = removal(remove_run)
    assert fileio.read_bytes(ctx, RHSM) == ORIGINAL.replace(
        b"[server]\n", b"[server]\n# the admin's\n") + b"server_timeout = 300\n"
    assert restored.status == Status.CHANGED and restored.data["reverted"] == [RHSM]
    assert "took lbenroll's edits out of %s, kept the others" % RHSM in restored.detail
    assert backup.backups(ctx) == [] and forgotten.status == Status.CHANGED


def test_a_second_removal_changes_nothing_after_a_revert(remove_run, ctx, root):
    enroll(ctx, root, RHSM, ORIGINAL, ENROLLED)
    edited = ENROLLED + b"# admin\n"
    seed(root, {RHSM: edited})
    RestoreFiles().run(remove_run())
    reverted = fileio.read_bytes(ctx, RHSM)
    assert reverted == ORIGINAL + b"# admin\n"
    # Stopped before FORGET_BACKUPS (killed): the store still holds the file.
    assert RestoreFiles().run(remove_run()).status == Status.UNCHANGED
    assert fileio.read_bytes(ctx, RHSM) == reverted == ORIGINAL + b"# admin\n"


def test_a_key_the_admin_changed_that_lbenroll_changed_too_leaves_the_file_alone(
        remove_run, ctx, root):
    enroll(ctx, root, RHSM, ORIGINAL, ENROLLED)
    edited = ENROLLED.replace(b"hostname = lb.example.com", b"hostname = other.example.com")
    seed(root, {RHSM: edited})
    restored, _ = removal(remove_run)
    assert restored.status == Status.WARNING and restored.data["left"] == [RHSM]
    assert fileio.read_bytes(ctx, RHSM) == edited
    [note] = [line for line in restored.detail if line.startswith("left %s alone" % RHSM)]
    assert "where lbenroll edited it too" in note
    assert "diff /var/lib/lbenroll/backup%s /var/lib/lbenroll/backup/last-written%s" % (
        RHSM, RHSM) in note
    assert "run lbenroll --remove again" in restored.remediation
    # Its copies stay for the note; everything else is forgotten.
    assert backup.backups(ctx) == [(RHSM, False)]
    assert backup.read_written(ctx, RHSM) == ENROLLED
    # A second removal says the same and still changes nothing.
    again, _ = removal(remove_run)
    assert again.status == Status.WARNING and again.data["left"] == [RHSM]
    assert fileio.read_bytes(ctx, RHSM) == edited
    # Once the admin has put it right, the next removal finishes.
    seed(root, {RHSM: ORIGINAL})
    done, _ = removal(remove_run)
    assert done.status == Status.UNCHANGED and backup.backups(ctx) == []


def test_other_files_go_back_while_one_is_left_alone(remove_run, ctx, root):
    enroll(ctx, root, RHSM, ORIGINAL, ENROLLED)
    enroll(ctx, root, PUPPET, b"[main]\n", b"[main]\n\n[agent]\nserver = lb.example.com\n")
    seed(root, {RHSM: ENROLLED.replace(b"port = 443", b"port = 8443")
                .replace(b"hostname = lb.example.com", b"hostname = x")})
    restored, _ = removal(remove_run)
    assert restored.status == Status.WARNING
    assert restored.data["restored"] == [PUPPET] and restored.data["left"] == [RHSM]
    assert fileio.read_bytes(ctx, PUPPET) == b"[main]\n"


def test_a_file_lbenroll_created_and_someone_edited_is_left_alone(remove_run, ctx, root):
    enroll(ctx, root, GOFER, None, b"[main]\nenabled = 1\n")
    seed(root, {GOFER: b"[main]\nenabled = 1\n# mine\n"})
    restored, _ = removal(remove_run)
    assert fileio.read_bytes(ctx, GOFER) == b"[main]\nenabled = 1\n# mine\n"
    assert restored.data["left"] == [GOFER] and restored.data["removed"] == []
    [note] = [line for line in restored.detail if line.startswith("left %s" % GOFER)]
    assert "did not exist before the enrollment" in note
    assert "rm /var/lib/lbenroll/backup%s.lbenroll-absent" % GOFER in note


def test_a_file_lbenroll_created_and_nobody_edited_is_removed(remove_run, ctx, root):
    enroll(ctx, root, GOFER, None, b"[main]\nenabled = 1\n")
    restored, _ = removal(remove_run)
    assert restored.data["removed"] == [GOFER] and fileio.read_bytes(ctx, GOFER) is None


def test_without_a_record_of_lbenrolls_write_an_edited_file_is_left_alone(remove_run, ctx,
                                                                          root):
    """A host enrolled by an lbenroll that kept no record: lbenroll cannot tell its own edits
    from others', so it restores nothing it cannot prove is its own."""
    enroll(ctx, root, RHSM, ORIGINAL, ENROLLED)
    backup.keep_written(ctx, RHSM, None)  # as an older lbenroll's store
    restored, _ = removal(remove_run)
    assert restored.status == Status.WARNING and restored.data["left"] == [RHSM]
    assert fileio.read_bytes(ctx, RHSM) == ENROLLED
    assert any("no record of what it wrote" in line for line in restored.detail)


def test_a_file_deleted_since_comes_back(remove_run, ctx, root):
    enroll(ctx, root, RHSM, ORIGINAL, ENROLLED)
    os.unlink(real(root, RHSM))
    restored, _ = removal(remove_run)
    assert restored.data["restored"] == [RHSM] and fileio.read_bytes(ctx, RHSM) == ORIGINAL


def test_a_regenerated_file_goes_back_whole(remove_run, ctx, root):
    """redhat.repo is subscription-manager's: rewritten on every dnf run, nobody's edits last."""
    repo = "/etc/yum.repos.d/redhat.repo"
    enroll(ctx, root, repo, b"#\n", b"#\n[a]\nbaseurl = https://lb/\n")
    seed(root, {repo: b"#\n[a]\nbaseurl = https://lb/\n[b]\n"})
    restored, _ = removal(remove_run)
    assert restored.data["restored"] == [repo] and fileio.read_bytes(ctx, repo) == b"#\n"


def test_a_large_write_is_kept_as_a_digest(remove_run, ctx, root, monkeypatch):
    monkeypatch.setattr(backup, "KEEP_WRITTEN", 16)
    enroll(ctx, root, RHSM, ORIGINAL, ENROLLED)
    assert isinstance(backup.read_written(ctx, RHSM), backup.Digest)
    assert not os.path.exists(backup.written_path(ctx, RHSM))
    seed(root, {RHSM: ENROLLED + b"# admin\n"})
    restored, _ = removal(remove_run)  # edited: it cannot be merged without the bytes
    assert restored.data["left"] == [RHSM]
    seed(root, {RHSM: ENROLLED})
    restored, _ = removal(remove_run)  # as lbenroll wrote it: the digest says so
    assert restored.data["restored"] == [RHSM] and fileio.read_bytes(ctx, RHSM) == ORIGINAL


def test_dry_run_shows_the_revert_and_changes_nothing(remove_run, ctx, root, fake_runner):
    enroll(ctx, root, RHSM, ORIGINAL, ENROLLED)
    edited = ENROLLED + b"# admin\n"
    seed(root, {RHSM: edited})
    fake_runner.dry_run = True
    result = RestoreFiles().run(remove_run())
    assert "-hostname = lb.example.com\n+hostname = subscription.rhsm.redhat.com\n" in result.diff
    assert "-# admin" not in result.diff and result.data["reverted"] == [RHSM]
    assert fileio.read_bytes(ctx, RHSM) == edited
    assert backup.read_written(ctx, RHSM) == ENROLLED
