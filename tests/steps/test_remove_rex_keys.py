"""REMOVE_REX_KEYS: --remove takes back, line by line, the remote execution keys lbenroll added to
root's authorized_keys, and keeps every other line. (Another user's keys, and links in a home
root does not own: tests/test_diskio_links.py, as root.)"""
from lbenroll import backup, fileio
from lbenroll.results import Status
from lbenroll.steps.remove_rex_keys import RemoveRexKeys
from lbenroll.writers import authorized_keys
from lbenroll.writers.authorized_keys import AuthorizedKeysWriter, parse_key
from tests.conftest import seed
from tests.writers.test_authorized_keys import ONE, THREE, TWO, ssh_key

KEYS = "/root/.ssh/authorized_keys"
ADMIN = ssh_key(9, "admin@example")


def added_by_lbenroll(ctx, *lines):
    """As REX_KEYS leaves root's authorized_keys: the lines added, and recorded as lbenroll's."""
    writer = AuthorizedKeysWriter([parse_key(line) for line in lines])
    writer.apply(ctx, writer.plan(fileio.read_bytes(ctx, KEYS)))


def test_the_keys_lbenroll_added_go_and_every_other_line_stays(remove_run, ctx, root):
    seed(root, {KEYS: "# root's own\n%s\n" % ONE})
    added_by_lbenroll(ctx, TWO, THREE)
    with open(str(root / KEYS.lstrip("/")), "a") as f:
        f.write(ADMIN + "\n")  # added by an administrator after the enrollment
    result = RemoveRexKeys().run(remove_run())
    assert result.status == Status.CHANGED and result.data == {"files": [KEYS]}
    assert result.summary == ("removed the remote execution keys lbenroll added (2 line(s)) "
                              "from 1 file(s)")
    assert fileio.read_bytes(ctx, KEYS) == ("# root's own\n%s\n%s\n" % (ONE, ADMIN)).encode()
    assert authorized_keys.load_record(ctx) == {}
    assert RemoveRexKeys().run(remove_run()).status == Status.UNCHANGED


def test_nothing_added_is_unchanged_and_touches_no_file(remove_run, ctx, root):
    seed(root, {KEYS: "%s\n" % ONE})
    result = RemoveRexKeys().run(remove_run())
    assert result.status == Status.UNCHANGED
    assert result.summary == "no remote execution keys added by lbenroll"
    assert fileio.read_bytes(ctx, KEYS) == ("%s\n" % ONE).encode()


def test_a_dry_run_says_what_it_would_take_back_and_changes_nothing(remove_run, ctx,
                                                                    fake_runner):
    added_by_lbenroll(ctx, TWO, THREE)
    before, record = fileio.read_bytes(ctx, KEYS), authorized_keys.load_record(ctx)
    fake_runner.dry_run = True
    result = RemoveRexKeys().run(remove_run())
    assert result.status == Status.CHANGED and result.summary.startswith("would remove")
    assert result.detail == ["would remove the 2 key line(s) lbenroll added to %s" % KEYS]
    assert fileio.read_bytes(ctx, KEYS) == before
    assert authorized_keys.load_record(ctx) == record


def test_a_file_an_older_lbenroll_kept_whole_is_left_with_a_warning(remove_run, ctx, root):
    seed(root, {KEYS: "%s\n" % ONE})
    backup.backup_once(ctx, KEYS, ("%s\n" % ONE).encode())
    seed(root, {KEYS: "%s\n%s\n" % (ONE, ADMIN)})
    result = RemoveRexKeys().run(remove_run())
    assert result.status == Status.WARNING and result.data == {"left_alone": [KEYS]}
    assert any(KEYS in line and "older lbenroll" in line for line in result.detail)
    assert fileio.read_bytes(ctx, KEYS) == ("%s\n%s\n" % (ONE, ADMIN)).encode()
