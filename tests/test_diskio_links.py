"""Root never follows what a user controls: every write, unlink, chmod and chown under a
--rex-user's home goes through diskio's walk, on a real temporary filesystem. Each test puts a
link where a user could, aims it at a file of root's, and checks that root's file is untouched
and that the failure is UnsafePath (exit 73, CANTCREAT) naming the link.

Decision tested here: the home directory itself may be a link when root made it in a directory
only root can write (/home/alice -> /srv/alice, as an administrator sets homes up); a link a
user made (in a directory the user owns) is never followed, wherever it is on the way.
"""
import os
import stat

import pytest

from lbenroll import backup, diskio, fileio
from lbenroll.errors import ExitCode
from lbenroll.results import Status
from lbenroll.steps.remove_rex_keys import RemoveRexKeys
from lbenroll.writers import authorized_keys
from lbenroll.writers.authorized_keys import AuthorizedKeysWriter, parse_key, target_for
from tests.writers.test_authorized_keys import ONE, THREE, TWO, ssh_key

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give files to a user")

UID, GID = 1234, 1235
HOME = "/home/alice"
KEYS = HOME + "/.ssh/authorized_keys"
ROOT_KEYS = "/root/.ssh/authorized_keys"
ROOT_KEY_TEXT = b"# root's own\n" + ONE.encode() + b"\n"
ADMIN = ssh_key(9, "admin@example")
ANCHORS = "/etc/pki/ca-trust/source/anchors"


def real(root, path):
    return os.path.join(str(root), path.lstrip("/"))


@pytest.fixture
def host(root):
    """A managed root with root's own keys, a trust anchor directory and a user alice whose home
    she owns."""
    def make(path, mode, uid=0, gid=0):
        os.makedirs(real(root, path), exist_ok=True)
        os.chmod(real(root, path), mode)
        os.chown(real(root, path), uid, gid)
    for path in ("/etc", "/home", "/root", "/var", "/var/lib", "/etc/pki",
                 "/etc/pki/ca-trust", "/etc/pki/ca-trust/source"):
        make(path, 0o755)
    make(ANCHORS, 0o755)
    make("/root/.ssh", 0o700)
    make(HOME, 0o755, UID, GID)
    with open(real(root, ROOT_KEYS), "wb") as f:
        f.write(ROOT_KEY_TEXT)
    with open(real(root, "/etc/passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/bash\nalice:x:%d:%d::%s:/bin/sh\n" % (
            UID, GID, HOME))
    with open(real(root, "/etc/group"), "w") as f:
        f.write("root:x:0:\nalice:x:%d:\n" % GID)
    return root


def tree(root, path):
    """{relative path: (kind, bytes or link)} of everything under a directory of the root."""
    top, found = real(root, path), {}
    for directory, dirs, files in os.walk(top):
        for name in dirs + files:
            full = os.path.join(directory, name)
            rel = os.path.relpath(full, top)
            if os.path.islink(full):
                found[rel] = ("link", os.readlink(full))
            elif os.path.isdir(full):
                found[rel] = ("dir", stat.S_IMODE(os.lstat(full).st_mode))
            else:
                with open(full, "rb") as f:
                    found[rel] = ("file", f.read(), os.lstat(full).st_uid)
    return found


def alice_writer(*lines):
    return AuthorizedKeysWriter([parse_key(line) for line in lines],
                                target_for(authorized_keys.User("alice", UID, GID, HOME)))


def write_keys(ctx, *lines):
    writer = alice_writer(*lines)
    return writer.apply(ctx, writer.plan(fileio.read_bytes(ctx, KEYS)))


def assert_refused(caught, link):
    error = caught.value
    assert error.exit_code == ExitCode.CANTCREAT == 73
    assert link in error.message and "symbolic link" in error.message
    assert "lbenroll does not follow it" in error.message


def test_keys_go_to_the_users_own_ssh_dir_made_on_descriptors(ctx, host):
    result = write_keys(ctx, TWO)
    assert result.status == Status.CHANGED
    st = os.lstat(real(host, HOME + "/.ssh"))
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o700, UID, GID)
    st = os.lstat(real(host, KEYS))
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o600, UID, GID)
    assert fileio.read_bytes(ctx, KEYS) == TWO.encode() + b"\n"
    # nothing of the user's file is kept whole in the backup store
    assert backup.backups(ctx) == []


@pytest.mark.parametrize("target", [ANCHORS, "/root/.ssh"])
def test_ssh_dir_a_link_to_roots_directory_fails_and_writes_nothing_there(ctx, host, target):
    os.symlink(real(host, target), real(host, HOME + "/.ssh"))
    os.lchown(real(host, HOME + "/.ssh"), UID, GID)
    before = tree(host, target)
    with pytest.raises(diskio.UnsafePath) as caught:
        write_keys(ctx, TWO)
    assert_refused(caught, real(host, HOME + "/.ssh"))
    assert tree(host, target) == before
    assert authorized_keys.load_record(ctx) == {}


def test_a_link_root_owns_in_a_users_home_is_not_followed_either(ctx, host):
    # A user can rename root's own link into place in a directory the user owns.
    os.symlink(real(host, "/root/.ssh"), real(host, HOME + "/.ssh"))
    before = tree(host, "/root")
    with pytest.raises(diskio.UnsafePath):
        write_keys(ctx, TWO)
    assert tree(host, "/root") == before


def test_authorized_keys_a_link_to_roots_keys_fails_and_leaves_them(ctx, host):
    os.makedirs(real(host, HOME + "/.ssh"))
    os.chown(real(host, HOME + "/.ssh"), UID, GID)
    os.symlink(real(host, ROOT_KEYS), real(host, KEYS))
    with pytest.raises(diskio.UnsafePath) as caught:
        write_keys(ctx, TWO)
    assert_refused(caught, real(host, KEYS))
    with open(real(host, ROOT_KEYS), "rb") as f:
        assert f.read() == ROOT_KEY_TEXT
    assert os.path.islink(real(host, KEYS))


def test_a_home_root_linked_in_a_root_only_directory_is_followed(ctx, host):
    """The decision: /home/bob -> /srv/bob, made by root in root's /home, is the home."""
    os.makedirs(real(host, "/srv/bob"))
    os.chown(real(host, "/srv/bob"), UID, GID)
    os.symlink(real(host, "/srv/bob"), real(host, "/home/bob"))
    writer = AuthorizedKeysWriter([parse_key(TWO)], target_for(
        authorized_keys.User("alice", UID, GID, "/home/bob")))
    writer.run(ctx)
    with open(real(host, "/srv/bob/.ssh/authorized_keys"), "rb") as f:
        assert f.read() == TWO.encode() + b"\n"


def test_a_home_linked_by_the_user_inside_her_own_directory_is_refused(ctx, host):
    os.symlink(real(host, "/root"), real(host, HOME + "/sub"))
    os.lchown(real(host, HOME + "/sub"), UID, GID)
    writer = AuthorizedKeysWriter([parse_key(TWO)], target_for(
        authorized_keys.User("alice", UID, GID, HOME + "/sub")))
    before = tree(host, "/root")
    with pytest.raises(diskio.UnsafePath):
        writer.run(ctx)
    assert tree(host, "/root") == before


@pytest.mark.parametrize("nth", [1, 2, 3, 4])
def test_ssh_dir_swapped_for_a_link_before_any_walk_of_the_write_is_refused(
        ctx, host, monkeypatch, nth):
    """The swap lands before the nth walk write_file makes (the stale-plan check, the mkdir,
    the metadata, the rename): whichever it is, it meets the link and stops."""
    os.makedirs(real(host, HOME + "/.ssh"))
    os.chown(real(host, HOME + "/.ssh"), UID, GID)
    writer = alice_writer(TWO)
    plan = writer.plan(fileio.read_bytes(ctx, KEYS))
    before = tree(host, "/root")
    walks = []

    def swap(path):
        if HOME in path:
            walks.append(path)
            if len(walks) == nth:
                os.rename(real(host, HOME + "/.ssh"), real(host, HOME + "/moved"))
                os.symlink(real(host, "/root/.ssh"), real(host, HOME + "/.ssh"))
    monkeypatch.setattr(diskio, "walk_hook", swap)
    with pytest.raises(diskio.UnsafePath):
        writer.write(ctx, plan)
    assert len(walks) >= nth
    assert tree(host, "/root") == before


def test_ssh_dir_swapped_between_the_walk_and_the_write_gets_nothing_of_roots(
        ctx, host, monkeypatch):
    """The write acts on the directory the walk opened: swapped away, it still gets the
    file (the user's own directory, renamed); the link put in its place is never used."""
    os.makedirs(real(host, HOME + "/.ssh"))
    os.chown(real(host, HOME + "/.ssh"), UID, GID)
    writer = alice_writer(TWO)
    plan = writer.plan(fileio.read_bytes(ctx, KEYS))
    before = tree(host, "/root")
    # How many walks of the file a write makes: the last is the one the rename acts after.
    os.makedirs(real(host, "/home/bob/.ssh"))
    counted = []
    monkeypatch.setattr(diskio, "walked_hook", counted.append)
    AuthorizedKeysWriter([parse_key(TWO)], target_for(
        authorized_keys.User("alice", UID, GID, "/home/bob"))).run(ctx)
    last = counted.count(real(host, "/home/bob/.ssh/authorized_keys")) - 1  # less the plan's
    walks = []

    def swap(path):
        if path == real(host, KEYS):
            walks.append(path)
            if len(walks) == last:
                os.rename(real(host, HOME + "/.ssh"), real(host, HOME + "/moved"))
                os.symlink(real(host, "/root/.ssh"), real(host, HOME + "/.ssh"))
    monkeypatch.setattr(diskio, "walked_hook", swap)
    writer.write(ctx, plan)
    assert len(walks) == last
    assert tree(host, "/root") == before
    with open(real(host, HOME + "/moved/authorized_keys"), "rb") as f:
        assert f.read() == TWO.encode() + b"\n"


def test_rollback_takes_back_only_lbenrolls_lines(ctx, host):
    write_keys(ctx, TWO, THREE)
    with open(real(host, KEYS), "a") as f:
        f.write(ADMIN + "\n")
    done, failed = ctx.undo.rollback()
    assert failed == []
    assert fileio.read_bytes(ctx, KEYS) == ADMIN.encode() + b"\n"
    assert authorized_keys.load_record(ctx) == {}


def test_rollback_of_a_file_only_lbenroll_wrote_removes_it_and_the_ssh_dir(ctx, host):
    write_keys(ctx, TWO)
    done, failed = ctx.undo.rollback()
    assert failed == []
    assert not os.path.lexists(real(host, HOME + "/.ssh"))
    assert not os.path.lexists(real(host, authorized_keys.KEYS_RECORD))


def test_rollback_through_a_link_that_appeared_leaves_roots_keys(ctx, host):
    # root's keys hold the very line lbenroll added for alice: a followed link would drop it
    with open(real(host, ROOT_KEYS), "ab") as f:
        f.write(TWO.encode() + b"\n")
    before = tree(host, "/root")
    write_keys(ctx, TWO)
    os.rename(real(host, HOME + "/.ssh"), real(host, HOME + "/moved"))
    os.symlink(real(host, "/root/.ssh"), real(host, HOME + "/.ssh"))
    done, failed = ctx.undo.rollback()
    assert len(failed) == 1 and "symbolic link" in failed[0]
    assert tree(host, "/root") == before


def remove_run(ctx):
    class Run(object):
        pass
    run = Run()
    run.ctx = ctx
    return run


def test_remove_keeps_an_administrators_key_added_after_the_enrollment(ctx, host):
    os.makedirs(real(host, HOME + "/.ssh"))
    os.chown(real(host, HOME + "/.ssh"), UID, GID)
    with open(real(host, KEYS), "w") as f:
        f.write("# alice's\n" + ONE + "\n")
    os.chown(real(host, KEYS), UID, GID)
    os.chmod(real(host, KEYS), 0o600)
    write_keys(ctx, TWO, THREE)
    with open(real(host, KEYS), "a") as f:
        f.write(ADMIN + "\n")
    result = RemoveRexKeys().run(remove_run(ctx))
    assert result.status == Status.CHANGED, result.detail
    assert fileio.read_bytes(ctx, KEYS) == ("# alice's\n%s\n%s\n" % (ONE, ADMIN)).encode()
    st = os.lstat(real(host, KEYS))
    assert (stat.S_IMODE(st.st_mode), st.st_uid) == (0o600, UID)  # its own, as it was
    assert authorized_keys.load_record(ctx) == {}
    assert RemoveRexKeys().run(remove_run(ctx)).status == Status.UNCHANGED


def test_remove_through_a_link_leaves_everything_and_says_what_to_do(ctx, host):
    with open(real(host, ROOT_KEYS), "ab") as f:
        f.write(TWO.encode() + b"\n")
    write_keys(ctx, TWO)
    os.rename(real(host, HOME + "/.ssh"), real(host, HOME + "/moved"))
    os.symlink(real(host, "/root/.ssh"), real(host, HOME + "/.ssh"))
    before = tree(host, "/root")
    result = RemoveRexKeys().run(remove_run(ctx))
    assert result.status == Status.WARNING
    assert any(KEYS in line and "left" in line and "symbolic link" in line
               for line in result.detail), result.detail
    assert tree(host, "/root") == before
    assert list(authorized_keys.load_record(ctx)) == [KEYS]  # a second --remove tries again


def test_remove_leaves_an_authorized_keys_an_older_lbenroll_kept_whole(ctx, host):
    backup.backup_once(ctx, ROOT_KEYS, ROOT_KEY_TEXT)
    with open(real(host, ROOT_KEYS), "ab") as f:
        f.write(ADMIN.encode() + b"\n")
    result = RemoveRexKeys().run(remove_run(ctx))
    assert result.status == Status.WARNING
    assert any(ROOT_KEYS in line and "older lbenroll" in line for line in result.detail)
    from lbenroll.steps.restore_files import RestoreFiles
    RestoreFiles().run(remove_run(ctx))
    assert fileio.read_bytes(ctx, ROOT_KEYS) == ROOT_KEY_TEXT + ADMIN.encode() + b"\n"


def test_restore_bytes_does_not_unlink_through_a_users_link(ctx, host):
    os.symlink(real(host, "/root/.ssh"), real(host, HOME + "/.ssh"))
    os.lchown(real(host, HOME + "/.ssh"), UID, GID)
    target = target_for(authorized_keys.User("alice", UID, GID, HOME))
    with pytest.raises(diskio.UnsafePath):
        fileio.restore_bytes(ctx, target, None)
    with pytest.raises(diskio.UnsafePath):
        fileio.restore_bytes(ctx, target, b"old\n")
    with open(real(host, ROOT_KEYS), "rb") as f:
        assert f.read() == ROOT_KEY_TEXT


def test_backup_restore_of_a_file_under_a_users_link_is_refused(ctx, host):
    path = HOME + "/.ssh/authorized_keys"
    os.makedirs(real(host, HOME + "/.ssh"))
    backup.backup_once(ctx, path, None)  # the store says: absent before lbenroll
    os.rename(real(host, HOME + "/.ssh"), real(host, HOME + "/moved"))
    os.symlink(real(host, "/root/.ssh"), real(host, HOME + "/.ssh"))
    with pytest.raises(diskio.UnsafePath):
        backup.restore_backup(ctx, path)
    with open(real(host, ROOT_KEYS), "rb") as f:
        assert f.read() == ROOT_KEY_TEXT


def test_roots_own_links_in_roots_directories_are_still_followed(ctx, host):
    """Re-rooting and root's own layout keep working: /etc/pki/tls -> a directory root made."""
    os.makedirs(real(host, "/usr/share/tls"))
    os.symlink(real(host, "/usr/share/tls"), real(host, "/etc/pki/tls"))
    target = authorized_keys.Target("/etc/pki/tls/x.pem", 0o644, "root", "root", "")
    assert fileio.write_file(ctx, target, b"pem\n")
    with open(real(host, "/usr/share/tls/x.pem"), "rb") as f:
        assert f.read() == b"pem\n"


def test_a_link_in_a_world_writable_directory_is_not_followed(ctx, host):
    os.makedirs(real(host, "/srv/drop"))
    os.chmod(real(host, "/srv/drop"), 0o777)
    os.symlink(real(host, "/root/.ssh"), real(host, "/srv/drop/d"))
    with pytest.raises(diskio.UnsafePath):
        fileio.read_bytes(ctx, "/srv/drop/d/authorized_keys")


def test_rollback_check_does_not_chmod_through_a_link_swapped_in_after_its_write(
        ctx, host, monkeypatch):
    """The rollback's last check puts a user's file back, then sets its mode: a link put in
    its place right after the rename must not carry that chmod to root's file."""
    from lbenroll.snapshot import Snapshot
    os.makedirs(real(host, HOME + "/.ssh"))
    with open(real(host, KEYS), "w") as f:
        f.write(TWO + "\n")
    os.chmod(real(host, KEYS), 0o644)
    os.chown(real(host, KEYS), UID, GID)
    os.chmod(real(host, ROOT_KEYS), 0o600)
    snapshot = Snapshot(ctx, [HOME + "/.ssh"])
    with open(real(host, KEYS), "w") as f:
        f.write("changed\n")
    replace = diskio.replace

    def replace_then_swap(where, *args):
        replace(where, *args)
        if where == real(host, KEYS):
            os.rename(where, where + ".moved")
            os.symlink(real(host, ROOT_KEYS), where)
    monkeypatch.setattr(diskio, "replace", replace_then_swap)
    snapshot.restore()
    st = os.stat(real(host, ROOT_KEYS))
    assert (stat.S_IMODE(st.st_mode), st.st_uid) == (0o600, 0)


def test_rollback_check_puts_back_the_mode_of_a_socket_in_roots_ssh_dir(ctx, host):
    """ssh's ControlMaster socket cannot be opened: its mode is set through an O_PATH
    descriptor, still never through a link."""
    import socket
    from lbenroll.snapshot import Snapshot
    path = real(host, "/root/.ssh/cm")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(path)
    try:
        os.chmod(path, 0o600)
        snapshot = Snapshot(ctx, ["/root/.ssh"])
        os.chmod(path, 0o666)
        assert snapshot.restore() == []
        assert stat.S_IMODE(os.lstat(path).st_mode) == 0o600
    finally:
        sock.close()


def test_rollback_check_leaves_a_socket_in_a_users_ssh_dir_as_it_is(ctx, host):
    """In alice's home the mode she gave her socket is hers: named, not put back."""
    import socket
    from lbenroll.snapshot import Snapshot
    os.makedirs(real(host, HOME + "/.ssh"))
    path = real(host, HOME + "/.ssh/cm")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(path)
    try:
        os.chmod(path, 0o600)
        snapshot = Snapshot(ctx, [HOME + "/.ssh"])
        os.chmod(path, 0o666)
        [(where, why)] = snapshot.restore()
        assert where == HOME + "/.ssh/cm" and why.startswith("in uid %d's directory" % UID)
        assert stat.S_IMODE(os.lstat(path).st_mode) == 0o666
    finally:
        sock.close()
