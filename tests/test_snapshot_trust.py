"""The rollback's last check (lbenroll.snapshot) in a --rex-user's ~/.ssh, which REX_KEYS adds to
the watched trees: root never reads through a link the user put there, never writes there, keeps
nothing of her files but a digest, and recording never stops or hangs a run, whatever she put
there (a race, a huge sparse file, a tree deeper than PATH_MAX, a FIFO, a socket).

Each race is run at the point between looking at an entry and opening it: snapshot.looked_hook;
the code before this test was written looked with os.lstat and opened by path, with _label
called in between and os.walk's islink before a descent: those two seams are wrapped as well,
so that these tests show the old code failing (see the report of commit fix-snap)."""
import contextlib
import hashlib
import os
import signal
import socket

import pytest

from lbenroll import diskio, engine, fileio, snapshot
from lbenroll.context import Context
from lbenroll.errors import UnavailableError
from lbenroll.results import Result, Status
from lbenroll.snapshot import Snapshot
from lbenroll.steps.base import Run, Step
from lbenroll.writers.base import Target
from tests.conftest import FakeRunner, seed
from tests.steps.conftest import make_options
from tests.test_diskio_links import (ADMIN, GID, HOME, KEYS, UID, host, real,  # noqa: F401
                                     write_keys)
from tests.writers.test_authorized_keys import ONE, TWO

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give files to a user")

SSH = HOME + "/.ssh"
ROOT_SECRET = b"-----BEGIN OPENSSH PRIVATE KEY-----\nroot's own\n"
RHSM = "/etc/rhsm/rhsm.conf"


def alice_file(root, path, data, mode=0o600):
    with open(real(root, path), "wb") as f:
        f.write(data)
    os.chown(real(root, path), UID, GID)
    os.chmod(real(root, path), mode)


@pytest.fixture
def alice(host):  # noqa: F811 (the fixture of test_diskio_links)
    """alice's ~/.ssh (hers, 0700) with her authorized_keys; root's private key in /root/.ssh."""
    os.makedirs(real(host, SSH))
    os.chown(real(host, SSH), UID, GID)
    os.chmod(real(host, SSH), 0o700)
    alice_file(host, KEYS, ("# alice's\n%s\n" % ONE).encode())
    with open(real(host, "/root/.ssh/id_root"), "wb") as f:
        f.write(ROOT_SECRET)
    os.chmod(real(host, "/root/.ssh/id_root"), 0o600)
    return host


def between_look_and_open(monkeypatch, real_path, swap):
    """Run swap() once, when the snapshot has looked at real_path and not opened it yet."""
    done = []

    def once(path):
        if path == real_path and not done:
            done.append(path)
            swap()
    monkeypatch.setattr(snapshot, "looked_hook", once, raising=False)
    # The seams of the code before: a file's os.lstat, _label, open by path; a directory's
    # islink in os.walk, then its scandir.
    if hasattr(snapshot, "_label") and not os.path.isdir(real_path):
        label = snapshot._label
        monkeypatch.setattr(snapshot, "_label", lambda path: (once(path), label(path))[1])
    islink = os.path.islink
    monkeypatch.setattr(os.path, "islink",
                        lambda path: (islink(path), once(str(path)))[0])
    return done


@contextlib.contextmanager
def deadline(seconds):
    """Fail, instead of hanging the suite, when the code blocks (a FIFO opened for reading)."""
    def expired(signum, frame):
        raise AssertionError("blocked for %d s" % seconds)
    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


class RexKeysLike(Step):
    """What REX_KEYS does: watch ~alice/.ssh, then add lbenroll's key."""
    id = "A"

    def run(self, run):
        run.ctx.watch(SSH)
        write_keys(run.ctx, TWO)
        return Result(self.id, Status.CHANGED, "added a key")


def then_fail(action=lambda: None, step_id="B"):
    class LaterStepFails(Step):
        id = step_id

        def run(self, run):
            action()
            raise UnavailableError("the balancer went away", step=self.id, fix="start it")
    return LaterStepFails


def rollback_of(results):
    [rollback] = [result for result in results if result.id == "ROLLBACK"]
    return rollback


def read(root, path):
    with open(real(root, path), "rb") as f:
        return f.read()


def never_holds(entries, secret):
    """No entry of alice's ~/.ssh keeps the secret's bytes nor its digest (root's own
    /root/.ssh is watched too: there it is root's)."""
    digest = hashlib.sha256(secret).hexdigest()
    return all(entry is None or (entry.data != secret and entry.digest != digest)
               for path, entry in entries.items() if path.startswith(SSH))


# -- 1. the race between looking and opening --------------------------------------------------


def test_a_file_swapped_for_a_link_to_roots_key_is_never_read_nor_put_back(ctx, alice,
                                                                           monkeypatch):
    victim = real(alice, SSH + "/notes")
    alice_file(alice, SSH + "/notes", b"alice's notes\n", 0o644)

    def swap():  # as a renameat2(RENAME_EXCHANGE) loop of alice's wins the race once
        os.rename(victim, victim + ".away")
        os.symlink(real(alice, "/root/.ssh/id_root"), victim)
        os.lchown(victim, UID, GID)
    swapped = between_look_and_open(monkeypatch, victim, swap)

    def alice_puts_her_file_back():
        os.unlink(victim)
        os.rename(victim + ".away", victim)
    results = engine.execute(Run(make_options(), ctx),
                             [RexKeysLike, then_fail(alice_puts_her_file_back)])
    assert swapped
    assert never_holds(ctx.snapshot.entries, ROOT_SECRET)
    assert read(alice, SSH + "/notes") == b"alice's notes\n"
    assert os.lstat(victim).st_uid == UID
    assert rollback_of(results).status == Status.FAILED  # her file is named, not "as it was"


def test_a_directory_swapped_for_a_link_to_roots_ssh_dir_is_not_descended(ctx, alice,
                                                                          monkeypatch):
    sub = real(alice, SSH + "/sub")
    os.mkdir(sub)
    os.chown(sub, UID, GID)
    alice_file(alice, SSH + "/sub/config", b"Host *\n")

    def swap():
        os.rename(sub, sub + ".away")
        os.symlink(real(alice, "/root/.ssh"), sub)
        os.lchown(sub, UID, GID)
    swapped = between_look_and_open(monkeypatch, sub, swap)
    snap = Snapshot(ctx, [SSH])
    assert swapped
    assert not [path for path in snap.entries if path.startswith(SSH + "/sub/")]
    assert snap.entries[SSH + "/sub"].kind != "directory"
    assert never_holds(snap.entries, ROOT_SECRET)


def test_a_file_swapped_for_a_fifo_is_not_waited_on(ctx, alice, monkeypatch):
    victim = real(alice, SSH + "/notes")
    alice_file(alice, SSH + "/notes", b"alice's notes\n")

    def swap():
        os.unlink(victim)
        os.mkfifo(victim)
    swapped = between_look_and_open(monkeypatch, victim, swap)
    with deadline(10):
        snap = Snapshot(ctx, [SSH])
    assert swapped and snap.entries[SSH + "/notes"].kind == snapshot.UNREADABLE


# -- 2. a user's edits stay --------------------------------------------------------------------


def test_a_rollback_keeps_alices_own_edits_and_takes_back_lbenrolls_line(ctx, alice):
    def alice_works():
        with open(real(alice, KEYS), "a") as f:
            f.write(ADMIN + "\n")
        alice_file(alice, SSH + "/id_ed25519", b"alice's new private key\n")
    results = engine.execute(Run(make_options(), ctx), [RexKeysLike, then_fail(alice_works)])
    assert read(alice, KEYS) == ("# alice's\n%s\n%s\n" % (ONE, ADMIN)).encode()
    assert TWO.encode() not in read(alice, KEYS)
    assert read(alice, SSH + "/id_ed25519") == b"alice's new private key\n"
    rollback = rollback_of(results)
    assert rollback.status == Status.FAILED
    assert "the host is as it was" not in rollback.summary
    for path in (KEYS, SSH + "/id_ed25519"):
        assert "NOT as it was: %s (in alice's directory: lbenroll took back only its own lines " \
               "(REX_KEYS); what else changed there is left as it is)" % path in rollback.detail
    # The advice keeps her edits: no "restore it from the backup store".
    assert "keeps that change" in rollback.remediation
    assert "by hand" not in rollback.remediation


def test_nothing_of_a_users_file_is_kept_but_its_digest(ctx, alice):
    snap = Snapshot(ctx, [SSH, "/root/.ssh"])
    keys = snap.entries[KEYS]
    assert keys.data is None and keys.digest == hashlib.sha256(read(alice, KEYS)).hexdigest()
    assert keys.whose == UID
    # root's own, in root's directory, is kept to be put back
    assert snap.entries["/root/.ssh/id_root"].data == ROOT_SECRET
    assert snap.entries["/root/.ssh/id_root"].whose is None


def test_an_authpath_file_in_a_users_directory_is_compared_never_written(ctx, alice):
    snap = Snapshot(ctx, [KEYS])  # --rex-authpath: REX_KEYS watches the file itself
    alice_file(alice, KEYS, b"# alice rewrote it\n")
    [(path, why)] = snap.restore()
    assert path == KEYS and why.startswith("in uid %d's directory" % UID)
    assert read(alice, KEYS) == b"# alice rewrote it\n"


def test_roots_own_ssh_dir_is_still_put_back(ctx, alice):
    snap = Snapshot(ctx, ["/root/.ssh"])
    with open(real(alice, "/root/.ssh/id_root"), "wb") as f:
        f.write(b"changed by a child\n")
    seed(alice, {"/root/.ssh/new": "new\n"})
    assert snap.restore() == []
    assert read(alice, "/root/.ssh/id_root") == ROOT_SECRET
    assert not os.path.exists(real(alice, "/root/.ssh/new"))


# -- 3. recording never stops nor hangs a run --------------------------------------------------


@pytest.fixture
def reads(monkeypatch):
    """{real path of the file read: bytes read by os.read}: what the snapshot read."""
    counted = {}
    os_read = os.read

    def counting(fd, size):
        data = os_read(fd, size)
        where = os.readlink("/proc/self/fd/%d" % fd)
        counted[where] = counted.get(where, 0) + len(data)
        return data
    monkeypatch.setattr(os, "read", counting)
    return counted


@pytest.mark.parametrize("where", [SSH, "/root/.ssh"])
def test_a_sparse_file_past_the_bounds_is_compared_by_size_and_times(ctx, alice, reads, where):
    big = real(alice, where + "/big")
    with open(big, "wb") as f:
        f.truncate(diskio.MAX_READ + 1)
    snap = Snapshot(ctx, [where])
    entry = snap.entries[where + "/big"]
    assert (entry.kind, entry.data) == ("file", None)
    assert entry.digest == "%d bytes, modified at %d ns" % (diskio.MAX_READ + 1,
                                                            os.stat(big).st_mtime_ns)
    assert reads.get(big, 0) == 0
    assert snap.differences() == []
    os.truncate(big, diskio.MAX_READ + 2)
    assert snap.differences() == [where + "/big"]


def test_a_users_file_larger_than_kept_bytes_is_never_read(ctx, alice, reads):
    big = real(alice, SSH + "/big")
    with open(big, "wb") as f:
        f.truncate(snapshot.KEEP_BYTES + 1)
    snap = Snapshot(ctx, [SSH])
    assert " bytes, modified at " in snap.entries[SSH + "/big"].digest
    assert reads.get(big, 0) == 0


def deep_tree(root, levels, name="d" * 200):
    """levels nested directories of alice's in her ~/.ssh, made on descriptors: 25 of them are
    past PATH_MAX (4096). Returns the deepest one's host path."""
    fd = os.open(real(root, SSH), os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(levels):
        os.mkdir(name, dir_fd=fd)
        fd, above = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd), fd
        os.fchown(fd, UID, GID)
        os.close(above)
    os.close(fd)
    return SSH + ("/" + name) * levels


def test_a_tree_deeper_than_path_max_is_recorded(ctx, alice):
    deepest = deep_tree(alice, 25)
    assert len(real(alice, deepest)) > 4096
    snap = Snapshot(ctx, [SSH])
    assert snap.entries[deepest].kind == "directory"
    assert snap.differences() == [] and snap.restore() == []


def test_below_max_depth_nothing_is_walked_and_the_rollback_says_so(ctx, alice):
    deepest = deep_tree(alice, snapshot.MAX_DEPTH + 3, name="d")
    snap = Snapshot(ctx, [SSH])
    cut = SSH + "/d" * snapshot.MAX_DEPTH
    assert snap.entries[cut].kind == snapshot.NOT_WALKED
    assert deepest not in snap.entries and cut + "/d" not in snap.entries
    [(path, why)] = snap.restore()
    assert path == cut and "not compared" in why


def test_a_fifo_and_a_socket_are_recorded_without_opening_them(ctx, alice):
    os.mkfifo(real(alice, SSH + "/fifo"))
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(real(alice, SSH + "/cm-alice@proxy:22"))
    try:
        with deadline(10):
            snap = Snapshot(ctx, [SSH])
        assert snap.entries[SSH + "/fifo"].kind == "special"
        assert snap.entries[SSH + "/cm-alice@proxy:22"].kind == "special"
        assert snap.differences() == []
    finally:
        sock.close()


def test_a_deep_tree_in_alices_ssh_dir_neither_stops_the_run_nor_its_rollback(ctx, alice):
    seed(alice, {RHSM: "before\n"})
    deep_tree(alice, 25)

    class WritesRhsm(Step):
        id = "A"

        def run(self, run):
            fileio.write_file(run.ctx, Target(RHSM, 0o644, "root", "root", ""), b"after\n")
            return Result(self.id, Status.CHANGED, "wrote")

    class WatchesAlice(Step):
        id = "B"

        def run(self, run):
            run.ctx.watch(SSH)  # what RexKeys._target does
            return Result(self.id, Status.CHANGED, "watched")
    # the run goes on ...
    results = engine.execute(Run(make_options(), ctx), [WritesRhsm, WatchesAlice])
    assert [result.status for result in results] == [Status.CHANGED, Status.CHANGED]
    assert read(alice, RHSM) == b"after\n"
    # ... and a failing one is rolled back whole
    seed(alice, {RHSM: "before\n"})
    again = Context(root=str(alice), runner=FakeRunner())
    results = engine.execute(Run(make_options(), again),
                             [WritesRhsm, WatchesAlice, then_fail(step_id="C")])
    rollback = rollback_of(results)
    assert rollback.status == Status.CHANGED, rollback.detail
    assert "the host is as it was" in rollback.summary
    assert read(alice, RHSM) == b"before\n"
