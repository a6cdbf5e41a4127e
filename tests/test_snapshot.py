"""lbenroll.snapshot and Context's use of it: the watched trees recorded before a run's first
change, the differences found afterwards, and everything put back (or named as not restorable).
"""
import os
import stat

import pytest

from lbenroll import snapshot
from lbenroll.context import Context
from lbenroll.snapshot import Snapshot
from tests.conftest import FakeRunner, seed

TOPS = ["/etc/rhsm", "/etc/pki"]
BUNDLE = "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"
BUNDLE_LINK = "/etc/pki/tls/certs/ca-bundle.crt"
BUNDLE_TARGET = "../../ca-trust/extracted/pem/tls-ca-bundle.pem"


def real(root, path):
    return os.path.join(str(root), path.lstrip("/"))


def tree(root):
    """{relative path: (kind, mode, bytes or link target)} of everything under root."""
    found = {}
    top = str(root)
    for directory, dirs, files in os.walk(top):
        for name in dirs + files:
            path = os.path.join(directory, name)
            st = os.lstat(path)
            rel = os.path.relpath(path, top)
            if stat.S_ISLNK(st.st_mode):
                found[rel] = ("link", None, os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                found[rel] = ("directory", stat.S_IMODE(st.st_mode), None)
            else:
                with open(path, "rb") as f:
                    found[rel] = ("file", stat.S_IMODE(st.st_mode), f.read())
    return found


@pytest.fixture
def host(root):
    seed(root, {
        "/etc/rhsm/rhsm.conf": "[server]\nhostname = proxy02.example.test\n",
        "/etc/rhsm/ca/redhat-uep.pem": "uep\n",
        "/etc/rhsm/ca/katello-server-ca.pem": "old ca\n",
        BUNDLE: "system bundle\n",
        "/etc/pki/ca-trust/source/anchors/site.pem": "site ca\n",
        "/etc/pki/product/69.pem": "product\n",
        "/etc/pki/entitlement/.keep": "",
    })
    os.makedirs(real(root, "/etc/pki/tls/certs"))
    os.symlink(BUNDLE_TARGET, real(root, BUNDLE_LINK))
    os.chmod(real(root, "/etc/rhsm/ca/katello-server-ca.pem"), 0o644)
    return root


def change_everything(root):
    """A file changed, one deleted, one added, a new directory with a file, a mode changed and
    a symlink repointed; returns the host paths that now differ."""
    with open(real(root, "/etc/rhsm/rhsm.conf"), "w") as f:
        f.write("[server]\nhostname = smartproxy.example.test\n")
    os.unlink(real(root, "/etc/rhsm/ca/redhat-uep.pem"))
    with open(real(root, "/etc/rhsm/ca/katello-default-ca.pem"), "w") as f:
        f.write("new default ca\n")
    os.makedirs(real(root, "/etc/pki/consumer"))
    with open(real(root, "/etc/pki/consumer/cert.pem"), "w") as f:
        f.write("consumer cert\n")
    os.chmod(real(root, "/etc/rhsm/ca/katello-server-ca.pem"), 0o600)
    os.unlink(real(root, BUNDLE_LINK))
    os.symlink("/elsewhere/bundle.pem", real(root, BUNDLE_LINK))
    return sorted(["/etc/rhsm/rhsm.conf", "/etc/rhsm/ca/redhat-uep.pem",
                   "/etc/rhsm/ca/katello-default-ca.pem", "/etc/pki/consumer",
                   "/etc/pki/consumer/cert.pem", "/etc/rhsm/ca/katello-server-ca.pem",
                   BUNDLE_LINK])


def test_an_untouched_tree_has_no_differences(ctx, host):
    snap = Snapshot(ctx, TOPS)
    assert snap.differences() == []
    assert snap.restore() == []


def test_the_snapshot_records_kinds_modes_contents_and_link_targets(ctx, host):
    snap = Snapshot(ctx, TOPS)
    assert snap.tops == ["/etc/pki", "/etc/rhsm"]
    conf = snap.entries["/etc/rhsm/rhsm.conf"]
    assert (conf.kind, conf.data) == ("file", b"[server]\nhostname = proxy02.example.test\n")
    assert snap.entries["/etc/rhsm/ca/katello-server-ca.pem"].mode == 0o644
    assert snap.entries["/etc/rhsm/ca"].kind == "directory"
    link = snap.entries[BUNDLE_LINK]
    assert (link.kind, link.link) == ("link", BUNDLE_TARGET)
    # The tops and every path below them are one entry each; /etc itself is not watched.
    assert sorted(snap.entries) == sorted("/" + rel for rel in tree(host) if rel != "etc")
    assert len(snap) == len(tree(host)) - 1
    assert set(snap.entries) >= {"/etc/rhsm", "/etc/pki", BUNDLE}


def test_differences_list_exactly_what_changed(ctx, host):
    snap = Snapshot(ctx, TOPS)
    expected = change_everything(host)
    assert snap.differences() == expected


def test_restore_puts_the_tree_back_byte_for_byte(ctx, host):
    before = tree(host)
    snap = Snapshot(ctx, TOPS)
    change_everything(host)
    assert tree(host) != before
    assert snap.restore() == []
    assert tree(host) == before
    assert snap.differences() == []


def test_restore_recreates_a_removed_directory_with_its_files_and_mode(ctx, host):
    os.chmod(real(host, "/etc/pki/product"), 0o750)
    before = tree(host)
    snap = Snapshot(ctx, TOPS)
    os.unlink(real(host, "/etc/pki/product/69.pem"))
    os.rmdir(real(host, "/etc/pki/product"))
    assert snap.differences() == ["/etc/pki/product", "/etc/pki/product/69.pem"]
    assert snap.restore() == []
    assert tree(host) == before


def test_a_file_that_replaced_a_directory_and_a_link_that_replaced_a_file(ctx, host):
    before = tree(host)
    snap = Snapshot(ctx, TOPS)
    os.unlink(real(host, "/etc/pki/entitlement/.keep"))
    os.rmdir(real(host, "/etc/pki/entitlement"))
    with open(real(host, "/etc/pki/entitlement"), "w") as f:
        f.write("not a directory\n")
    os.unlink(real(host, "/etc/rhsm/rhsm.conf"))
    os.symlink("/tmp/rhsm.conf", real(host, "/etc/rhsm/rhsm.conf"))
    assert snap.restore() == []
    assert tree(host) == before


def test_an_absent_top_that_appears_is_removed(ctx, host):
    snap = Snapshot(ctx, TOPS + ["/etc/yggdrasil"])
    assert snap.entries["/etc/yggdrasil"] is None
    seed(host, {"/etc/yggdrasil/config.toml": "server = x\n",
                "/etc/yggdrasil/sub/deeper.toml": "y\n"})
    assert snap.differences() == ["/etc/yggdrasil", "/etc/yggdrasil/config.toml",
                                  "/etc/yggdrasil/sub", "/etc/yggdrasil/sub/deeper.toml"]
    assert snap.restore() == []
    assert not os.path.lexists(real(host, "/etc/yggdrasil"))
    assert snap.differences() == []


def test_a_top_that_is_a_single_file(ctx, host):
    snap = Snapshot(ctx, ["/etc/rhsm/rhsm.conf"])
    assert list(snap.entries) == ["/etc/rhsm/rhsm.conf"]
    seed(host, {"/etc/rhsm/rhsm.conf": "edited\n", "/etc/rhsm/other.conf": "not watched\n"})
    assert snap.differences() == ["/etc/rhsm/rhsm.conf"]
    assert snap.restore() == []
    assert open(real(host, "/etc/rhsm/rhsm.conf")).read() == \
        "[server]\nhostname = proxy02.example.test\n"
    assert os.path.exists(real(host, "/etc/rhsm/other.conf"))  # outside the snapshot


def test_a_large_file_is_kept_as_a_digest_and_reported_when_it_changed(ctx, host, monkeypatch):
    monkeypatch.setattr(snapshot, "KEEP_BYTES", 48)
    seed(host, {"/etc/rhsm/big.repo": "x" * 64})
    snap = Snapshot(ctx, TOPS)
    big = snap.entries["/etc/rhsm/big.repo"]
    assert big.data is None and big.digest is not None
    assert snap.entries["/etc/rhsm/ca/redhat-uep.pem"].data == b"uep\n"  # small: kept
    seed(host, {"/etc/rhsm/big.repo": "y" * 64, "/etc/rhsm/rhsm.conf": "changed\n"})
    failed = snap.restore()
    assert [path for path, _ in failed] == ["/etc/rhsm/big.repo"]
    why = failed[0][1]
    assert "too large" in why
    assert why.endswith("restore it from /var/lib/lbenroll/backup/etc/rhsm/big.repo")
    # What could be put back was.
    assert snap.differences() == ["/etc/rhsm/big.repo"]
    assert open(real(host, "/etc/rhsm/rhsm.conf")).read().startswith("[server]")


def test_a_large_file_that_is_unchanged_is_no_failure(ctx, host, monkeypatch):
    monkeypatch.setattr(snapshot, "KEEP_BYTES", 48)
    seed(host, {"/etc/rhsm/big.repo": "x" * 64})
    snap = Snapshot(ctx, TOPS)
    seed(host, {"/etc/rhsm/rhsm.conf": "changed\n"})
    assert snap.restore() == []


def test_a_large_file_that_is_put_back_by_someone_else_is_no_failure(ctx, host, monkeypatch):
    # The writer's undo holds the large file's old bytes; the snapshot only checks it.
    monkeypatch.setattr(snapshot, "KEEP_BYTES", 48)
    seed(host, {"/etc/rhsm/big.repo": "x" * 64})
    snap = Snapshot(ctx, TOPS)
    seed(host, {"/etc/rhsm/big.repo": "y" * 64})
    assert snap.differences() == ["/etc/rhsm/big.repo"]
    seed(host, {"/etc/rhsm/big.repo": "x" * 64})
    assert snap.restore() == []


def test_add_records_one_more_top_as_it_is_now(ctx, host):
    snap = Snapshot(ctx, ["/etc/rhsm"])
    seed(host, {"/home/alice/.ssh/authorized_keys": "ssh-ed25519 AAAA old\n"})
    snap.add("/home/alice/.ssh")
    assert "/home/alice/.ssh" in snap.tops
    assert snap.entries["/home/alice/.ssh/authorized_keys"].data == b"ssh-ed25519 AAAA old\n"
    seed(host, {"/home/alice/.ssh/authorized_keys": "ssh-ed25519 AAAA new\n"})
    assert snap.differences() == ["/home/alice/.ssh/authorized_keys"]
    assert snap.restore() == []
    assert open(real(host, "/home/alice/.ssh/authorized_keys")).read() == \
        "ssh-ed25519 AAAA old\n"


def test_add_of_a_known_top_changes_nothing(ctx, host):
    snap = Snapshot(ctx, ["/etc/rhsm"])
    seed(host, {"/etc/rhsm/rhsm.conf": "changed\n"})
    snap.add("/etc/rhsm")
    assert snap.tops == ["/etc/rhsm"]
    assert snap.differences() == ["/etc/rhsm/rhsm.conf"]  # the first state is kept


def test_add_below_a_known_top_keeps_the_first_state(ctx, host):
    seed(host, {"/root/.ssh/authorized_keys": "original\n"})
    snap = Snapshot(ctx, ["/root/.ssh"])
    seed(host, {"/root/.ssh/authorized_keys": "changed by an earlier step\n"})
    snap.add("/root/.ssh/authorized_keys")  # --rex-authpath inside a watched directory
    assert snap.differences() == ["/root/.ssh/authorized_keys"]


def test_a_socket_in_a_watched_tree_is_recorded_without_reading_it(ctx, root):
    os.makedirs(real(root, "/root/.ssh"))
    os.mknod(real(root, "/root/.ssh/cm-root@proxy:22"), stat.S_IFSOCK | 0o600)
    snap = Snapshot(ctx, ["/root/.ssh"])
    assert "/root/.ssh/cm-root@proxy:22" in snap.entries
    assert snap.differences() == []


# -- Context ----------------------------------------------------------------------------------


def watched_ctx(root, runner=None):
    ctx = Context(root=str(root), runner=runner or FakeRunner())
    ctx.watched = list(TOPS)
    return ctx


def test_the_default_watched_paths_cover_what_a_run_may_change(ctx):
    assert ctx.snapshot is None
    for path in ("/etc/rhsm", "/etc/pki/ca-trust", "/etc/pki/consumer", "/etc/yum.repos.d",
                 "/etc/puppetlabs", "/var/lib/rhsm", "/root/.ssh"):
        assert path in ctx.watched


def test_before_change_takes_the_snapshot_once(host):
    ctx = watched_ctx(host)
    ctx.before_change()
    first = ctx.snapshot
    assert isinstance(first, Snapshot) and first.tops == sorted(TOPS)
    seed(host, {"/etc/rhsm/rhsm.conf": "changed\n"})
    ctx.before_change()
    assert ctx.snapshot is first
    assert first.differences() == ["/etc/rhsm/rhsm.conf"]


def test_no_snapshot_in_a_dry_run(host):
    ctx = watched_ctx(host, FakeRunner(dry_run=True))
    ctx.before_change()
    assert ctx.snapshot is None


def test_no_snapshot_when_nothing_is_watched(host):
    ctx = watched_ctx(host)
    ctx.watched = None
    ctx.before_change()
    assert ctx.snapshot is None
    ctx.watch("/home/alice/.ssh")  # a removal watches nothing, not even added paths
    assert ctx.watched is None and ctx.snapshot is None


def test_a_host_changing_command_takes_the_snapshot_first(host):
    runner = FakeRunner()
    ctx = watched_ctx(host, runner)
    recorded = []
    runner.expect(["subscription-manager", "config"],
                  effect=lambda argv: recorded.append(ctx.snapshot))
    runner.expect(["subscription-manager", "identity"], 1)
    ctx.run(["subscription-manager", "identity"])
    assert ctx.snapshot is None  # a query changes nothing
    ctx.run(["subscription-manager", "config", "--server.port=443"], changes_host=True)
    assert recorded and isinstance(recorded[0], Snapshot)  # taken before the command ran
    assert ctx.snapshot is recorded[0]


def test_a_host_changing_command_in_a_dry_run_takes_no_snapshot(host):
    runner = FakeRunner(dry_run=True)
    ctx = watched_ctx(host, runner)
    assert ctx.run(["subscription-manager", "config"], changes_host=True) is None
    assert ctx.snapshot is None
    assert runner.would_run == ["subscription-manager config"]


def test_watch_adds_a_top_to_an_existing_snapshot(host):
    ctx = watched_ctx(host)
    ctx.before_change()
    seed(host, {"/home/alice/.ssh/authorized_keys": "old key\n"})
    ctx.watch("/home/alice/.ssh")
    assert "/home/alice/.ssh" in ctx.watched
    assert "/home/alice/.ssh" in ctx.snapshot.tops
    seed(host, {"/home/alice/.ssh/authorized_keys": "new key\n"})
    assert ctx.snapshot.restore() == []
    assert open(real(host, "/home/alice/.ssh/authorized_keys")).read() == "old key\n"


def test_watch_before_the_snapshot_only_extends_the_list(host):
    ctx = watched_ctx(host)
    ctx.watch("/home/alice/.ssh")
    ctx.watch("/home/alice/.ssh")
    assert ctx.watched == TOPS + ["/home/alice/.ssh"]
    assert ctx.snapshot is None
    ctx.before_change()
    assert "/home/alice/.ssh" in ctx.snapshot.tops
