"""lbenroll.fileio: atomic, backed up once, metadata kept, nothing written when nothing changes."""
import errno
import os
import shutil
import stat

import pytest

from lbenroll import backup as store
from lbenroll import fileio
from lbenroll.errors import WriteError
from lbenroll.writers.base import Directory, Target
from tests.conftest import seed

TARGET = Target("/etc/example/example.conf", 0o640, "root", "root", "a test file")
OLD_TIME = 1000000000


def real(root, path=TARGET.path):
    return os.path.join(str(root), path.lstrip("/"))


def backup(ctx):
    return store.backup_path(ctx, TARGET.path)


def test_equal_content_writes_nothing(ctx, root):
    seed(root, {TARGET.path: b"same\n"})
    os.utime(real(root), (OLD_TIME, OLD_TIME))
    assert fileio.write_file(ctx, TARGET, b"same\n") is False
    assert os.stat(real(root)).st_mtime == OLD_TIME
    assert not os.path.exists(backup(ctx))
    assert len(ctx.undo) == 0


def test_backup_is_taken_once(ctx, root):
    seed(root, {TARGET.path: b"original\n"})
    assert fileio.write_file(ctx, TARGET, b"second\n") is True
    assert fileio.write_file(ctx, TARGET, b"third\n") is True
    with open(backup(ctx), "rb") as f:
        assert f.read() == b"original\n"
    assert fileio.read_bytes(ctx, TARGET.path) == b"third\n"


def test_backup_keeps_the_originals_mode_and_owner_in_a_root_only_store(ctx, root):
    seed(root, {TARGET.path: b"original\n"})
    os.chmod(real(root), 0o604)
    os.chown(real(root), 1234, 1235)
    fileio.write_file(ctx, TARGET, b"new\n")
    assert metadata(backup(ctx)) == (0o604, 1234, 1235)
    assert metadata(real(root, "/var/lib/lbenroll/backup"))[0] == 0o700


def test_created_file_is_backed_up_as_absent(ctx, root):
    fileio.write_file(ctx, TARGET, b"new\n")
    assert os.path.exists(backup(ctx) + store.ABSENT_SUFFIX)
    assert not os.path.exists(backup(ctx))


def test_existing_file_keeps_mode_and_owner(ctx, root):
    seed(root, {TARGET.path: b"old\n"})
    os.chmod(real(root), 0o604)
    os.chown(real(root), 1234, 1235)
    fileio.write_file(ctx, TARGET, b"new\n")
    st = os.stat(real(root))
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o604, 1234, 1235)


def test_new_file_gets_the_target_mode_whatever_the_umask(ctx, root):
    old_umask = os.umask(0o077)
    try:
        fileio.write_file(ctx, TARGET, b"new\n")
    finally:
        os.umask(old_umask)
    st = os.stat(real(root))
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o640, 0, 0)


def test_new_file_owner_is_looked_up_in_the_managed_root(ctx, root):
    seed(root, {"/etc/passwd": "root:x:0:0::/root:/bin/sh\npuppet:x:52:53::/:/sbin/nologin\n",
                "/etc/group": "root:x:0:\npuppet:x:53:\n"})
    target = TARGET._replace(owner="puppet", group="puppet")
    fileio.write_file(ctx, target, b"new\n")
    st = os.stat(real(root))
    assert (st.st_uid, st.st_gid) == (52, 53)


def test_unknown_owner_is_a_write_error(ctx, root):
    with pytest.raises(WriteError):
        fileio.write_file(ctx, TARGET._replace(owner="nobody-here"), b"new\n")


def test_failure_mid_write_leaves_the_original_and_no_temp_file(ctx, root, monkeypatch):
    seed(root, {TARGET.path: b"original\n"})
    real_rename = os.rename

    def failing_rename(src, dst, **dir_fds):  # diskio renames within a directory descriptor
        if os.path.basename(dst) == os.path.basename(real(root)):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_rename(src, dst, **dir_fds)

    monkeypatch.setattr(os, "rename", failing_rename)
    with pytest.raises(WriteError) as caught:
        fileio.write_file(ctx, TARGET, b"replacement\n")
    assert "No space left on device" in caught.value.format_message()
    assert fileio.read_bytes(ctx, TARGET.path) == b"original\n"
    assert os.listdir(os.path.dirname(real(root))) == ["example.conf"]
    assert len(ctx.undo) == 0


def test_undo_restores_the_previous_bytes(ctx, root):
    seed(root, {TARGET.path: b"original\n"})
    os.chmod(real(root), 0o600)
    fileio.write_file(ctx, TARGET, b"second\n")
    fileio.write_file(ctx, TARGET, b"third\n")
    done, failed = ctx.undo.rollback()
    assert (len(done), failed) == (2, [])
    assert fileio.read_bytes(ctx, TARGET.path) == b"original\n"
    assert stat.S_IMODE(os.stat(real(root)).st_mode) == 0o600


def test_undo_removes_a_created_file(ctx, root):
    fileio.write_file(ctx, TARGET, b"new\n")
    ctx.undo.rollback()
    assert not os.path.exists(real(root))


def test_read_bytes_of_a_missing_file_is_none(ctx):
    assert fileio.read_bytes(ctx, "/etc/nothing/here") is None


PASSWD = {"/etc/passwd": "root:x:0:0::/root:/bin/sh\nalice:x:1001:1002::/home/alice:/bin/sh\n",
          "/etc/group": "root:x:0:\n"}
KEYS = Target("/home/alice/.ssh/authorized_keys", 0o600, "alice", 1002, "keys",
              Directory(0o700, "alice", 1002))


def metadata(path):
    st = os.stat(path)
    return stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid


def test_missing_parent_gets_the_targets_directory_mode_and_owner(ctx, root):
    seed(root, PASSWD)
    old_umask = os.umask(0o022)
    try:
        fileio.write_file(ctx, KEYS, b"ssh-ed25519 AAAA\n")
    finally:
        os.umask(old_umask)
    assert metadata(real(root, "/home/alice/.ssh")) == (0o700, 1001, 1002)
    assert metadata(real(root, KEYS.path)) == (0o600, 1001, 1002)
    # Only the file's own directory: missing ancestors stay 0755 root.
    assert metadata(real(root, "/home/alice")) == (0o755, 0, 0)


def test_existing_parent_directory_is_left_as_it_is(ctx, root):
    seed(root, PASSWD)
    os.makedirs(real(root, "/home/alice/.ssh"), 0o755)
    fileio.write_file(ctx, KEYS, b"ssh-ed25519 AAAA\n")
    assert metadata(real(root, "/home/alice/.ssh")) == (0o755, 0, 0)


def test_unknown_directory_owner_creates_nothing(ctx, root):
    seed(root, PASSWD)
    target = KEYS._replace(parent=Directory(0o700, "nobody-here", 1002))
    with pytest.raises(WriteError):
        fileio.write_file(ctx, target, b"ssh-ed25519 AAAA\n")
    assert not os.path.exists(real(root, "/home/alice"))


def test_numeric_owner_and_group_are_ids(ctx, root):
    fileio.write_file(ctx, TARGET._replace(owner=1234, group=1235), b"new\n")
    assert metadata(real(root))[1:] == (1234, 1235)


def test_undo_of_a_new_file_also_removes_the_directories_it_created(ctx, root):
    target = Target("/etc/puppetlabs/puppet/puppet.conf", 0o644, "root", "root", "test")
    (root / "etc").mkdir(exist_ok=True)
    fileio.write_file(ctx, target, b"[agent]\n")
    assert (root / "etc/puppetlabs/puppet/puppet.conf").exists()
    ctx.undo.rollback()
    assert not (root / "etc/puppetlabs").exists()
    assert (root / "etc").is_dir()  # existed before: kept


def test_set_aside_moves_a_directory_into_the_backup_store_and_undo_puts_it_back(ctx, root):
    ssl = os.path.join(root, "etc/puppetlabs/puppet/ssl")
    os.makedirs(os.path.join(ssl, "certs"))
    with open(os.path.join(ssl, "certs", "host.pem"), "w") as f:
        f.write("cert\n")
    os.symlink("certs/host.pem", os.path.join(ssl, "link"))
    dest = store.set_aside(ctx, "/etc/puppetlabs/puppet/ssl")
    assert not os.path.exists(ssl)
    assert dest.startswith(os.path.join(root, "var/lib/lbenroll/backup/set-aside/"))
    assert dest.endswith("/etc/puppetlabs/puppet/ssl")
    with open(os.path.join(dest, "certs", "host.pem")) as f:
        assert f.read() == "cert\n"
    assert os.readlink(os.path.join(dest, "link")) == "certs/host.pem"
    second = store.set_aside(ctx, "/etc/puppetlabs/puppet/ssl")
    assert second is None  # nothing left to move
    ctx.undo.rollback()
    with open(os.path.join(ssl, "certs", "host.pem")) as f:
        assert f.read() == "cert\n"


def test_set_aside_twice_in_one_second_keeps_both_copies(ctx, root):
    ssl = os.path.join(root, "etc/ssl-dir")
    for content in ("one", "two"):
        os.makedirs(ssl)
        with open(os.path.join(ssl, "f"), "w") as f:
            f.write(content)
        store.set_aside(ctx, "/etc/ssl-dir", undo=False)
    copies = []
    for top, _dirs, files in os.walk(os.path.join(root, "var/lib/lbenroll/backup/set-aside")):
        for name in files:
            with open(os.path.join(top, name)) as f:
                copies.append(f.read())
    assert sorted(copies) == ["one", "two"]


def test_absent_file_marks_the_missing_directories_above_it(ctx, root):
    (root / "etc").mkdir()
    target = Target("/etc/puppetlabs/puppet/puppet.conf", 0o644, "root", "root", "test")
    fileio.write_file(ctx, target, b"[agent]\n")
    assert store.backups(ctx) == [("/etc/puppetlabs", True), ("/etc/puppetlabs/puppet", True),
                                   ("/etc/puppetlabs/puppet/puppet.conf", True)]


def test_backup_before_command_keeps_originals_and_marks_directories(ctx, root):
    seed(root, {"/etc/rhsm/rhsm.conf": b"original\n"})
    store.backup_before_command(ctx, ["/etc/rhsm/rhsm.conf", "/etc/pki/consumer/cert.pem"],
                                 ["/etc/pki/entitlement"])
    seed(root, {"/etc/rhsm/rhsm.conf": b"changed by a package script\n"})
    store.backup_before_command(ctx, ["/etc/rhsm/rhsm.conf"])  # once: the original stays
    assert store.backups(ctx) == [
        ("/etc/pki", True), ("/etc/pki/consumer", True), ("/etc/pki/consumer/cert.pem", True),
        ("/etc/pki/entitlement", True), ("/etc/rhsm/rhsm.conf", False)]
    assert store.read_backup(ctx, "/etc/rhsm/rhsm.conf") == b"original\n"


def test_backup_before_command_does_nothing_in_a_dry_run(ctx, root, fake_runner):
    fake_runner.dry_run = True
    store.backup_before_command(ctx, ["/etc/rhsm/rhsm.conf"], ["/etc/pki/entitlement"])
    assert not (root / "var").exists()


def test_restore_puts_bytes_back_keeping_the_current_files_metadata(ctx, root):
    seed(root, {TARGET.path: b"original\n"})
    fileio.write_file(ctx, TARGET, b"new\n")
    os.chmod(real(root), 0o640)
    assert store.restore_backup(ctx, TARGET.path) is True
    assert fileio.read_bytes(ctx, TARGET.path) == b"original\n"
    assert metadata(real(root))[0] == 0o640
    assert store.restore_backup(ctx, TARGET.path) is False  # already as it was


def test_restore_recreates_a_deleted_file_with_the_originals_mode_and_owner(ctx, root):
    seed(root, {"/etc/pki/consumer/key.pem": b"KEY\n"})
    os.chmod(real(root, "/etc/pki/consumer/key.pem"), 0o600)
    os.chown(real(root, "/etc/pki/consumer/key.pem"), 1234, 1235)
    store.backup_before_command(ctx, ["/etc/pki/consumer/key.pem"])
    shutil.rmtree(real(root, "/etc/pki"))
    assert store.restore_backup(ctx, "/etc/pki/consumer/key.pem") is True
    assert fileio.read_bytes(ctx, "/etc/pki/consumer/key.pem") == b"KEY\n"
    assert metadata(real(root, "/etc/pki/consumer/key.pem")) == (0o600, 1234, 1235)


def test_restore_of_an_absent_file_deletes_it_and_empty_directories_go_last(ctx, root):
    (root / "etc").mkdir()
    target = Target("/etc/lbenroll/lbenroll.conf", 0o644, "root", "root", "test")
    fileio.write_file(ctx, target, b"server = lb\n")
    assert store.remove_empty_tree(ctx, "/etc/lbenroll") is False  # not empty yet
    assert store.restore_backup(ctx, target.path) is True
    assert store.restore_backup(ctx, target.path) is False
    assert store.remove_empty_tree(ctx, "/etc/lbenroll") is True
    assert sorted(os.listdir(str(root / "etc"))) == []


def test_forget_backups_empties_the_store_but_keeps_set_aside_copies(ctx, root):
    os.makedirs(real(root, "/etc/puppetlabs/puppet/ssl"))
    store.set_aside(ctx, "/etc/puppetlabs/puppet/ssl", undo=False)
    fileio.write_file(ctx, TARGET, b"new\n")
    assert store.backups(ctx) != []
    assert store.forget_backups(ctx) is True
    assert store.backups(ctx) == []
    assert os.listdir(real(root, "/var/lib/lbenroll/backup")) == ["set-aside"]
    assert store.forget_backups(ctx) is False


def test_forget_backups_of_an_empty_store_removes_it(ctx, root):
    fileio.write_file(ctx, TARGET, b"new\n")
    assert store.forget_backups(ctx) is True
    assert not os.path.exists(real(root, "/var/lib/lbenroll/backup"))


def test_empty_directories_below_an_absent_one_go_with_it_but_files_stay(ctx, root):
    (root / "etc").mkdir()
    target = Target("/etc/puppetlabs/puppet/puppet.conf", 0o644, "root", "root", "test")
    fileio.write_file(ctx, target, b"[agent]\n")
    for directory in ("/etc/puppetlabs/code/environments", "/etc/puppetlabs/puppet/devices"):
        os.makedirs(real(root, directory))
    assert store.remove_empty_tree(ctx, "/etc/puppetlabs") is False
    assert sorted(os.listdir(real(root, "/etc/puppetlabs"))) == ["puppet"]
    assert os.listdir(real(root, "/etc/puppetlabs/puppet")) == ["puppet.conf"]
    store.restore_backup(ctx, target.path)
    assert store.remove_empty_tree(ctx, "/etc/puppetlabs") is True
    assert os.listdir(str(root / "etc")) == []


def test_an_unreadable_backup_store_is_an_error_not_an_empty_store(ctx, root, monkeypatch):
    fileio.write_file(ctx, TARGET, b"new\n")

    def denied(path):
        raise PermissionError(errno.EACCES, "Permission denied", path)
    monkeypatch.setattr(os, "scandir", denied)
    with pytest.raises(WriteError) as exc:
        store.backups(ctx)
    assert "Permission denied" in exc.value.message and "root" in exc.value.fix


def test_backup_before_command_does_not_read_a_file_already_in_the_store(ctx, root, monkeypatch):
    seed(root, {TARGET.path: b"original\n"})
    store.backup_before_command(ctx, [TARGET.path])

    def no_read(ctx, path):
        raise AssertionError("read %s again" % path)
    monkeypatch.setattr(fileio, "read_bytes", no_read)
    store.backup_before_command(ctx, [TARGET.path])
    with open(backup(ctx), "rb") as f:
        assert f.read() == b"original\n"


def test_link_file_refuses_a_directory_and_skips_a_right_link(ctx, root):
    os.makedirs(real(root, "/etc/containers/certs.d/lb/client.cert"))
    with pytest.raises(WriteError) as exc:
        fileio.link_file(ctx, "/etc/containers/certs.d/lb/client.cert", "/x")
    assert "is a directory" in exc.value.message
    assert fileio.link_file(ctx, "/etc/containers/certs.d/lb/client.key", "/x") is True
    assert fileio.link_file(ctx, "/etc/containers/certs.d/lb/client.key", "/x") is False
