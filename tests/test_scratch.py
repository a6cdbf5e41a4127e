"""A run's temporary directory: named after its process, and removed by a later run once that
process is gone; nothing a local user planted is followed or removed."""
import os
import stat

import pytest

from lbenroll import scratch

GONE = 1  # a start time this test process does not have: it started long after boot
NS = scratch.pid_namespace()


def own_start():
    return scratch.start_time(os.getpid())


def planted_dir(parent, name, mode=0o700):
    path = parent / name
    path.mkdir()
    path.chmod(mode)
    (path / "consumer.rpm").write_bytes(b"rpm")
    return path


def test_a_run_s_directory_is_named_after_its_process_and_private(tmp_path):
    path = scratch.make()
    assert os.path.dirname(path) == str(tmp_path)  # tests/conftest.py: tempfile.tempdir
    pid, started, namespace = scratch.OWNED_NAME.match(os.path.basename(path)).groups()
    assert (int(pid), int(started)) == (os.getpid(), own_start())
    assert int(namespace) == scratch.pid_namespace() == os.stat("/proc/self/ns/pid").st_ino
    assert stat.S_IMODE(os.lstat(path).st_mode) == 0o700


def test_the_start_time_tells_a_live_process_from_a_gone_one():
    assert own_start() is not None and own_start() == scratch.start_time(os.getpid())
    assert scratch.start_time(2 ** 22 + 1) is None  # above the kernel's pid_max


def test_a_dead_run_s_directory_goes_a_live_one_stays(tmp_path):
    live = scratch.make()
    # The same PID with another start time: a killed run whose PID was used again since.
    reused = planted_dir(tmp_path, "lbenroll-%d-%d-%d-abc123" % (os.getpid(), GONE, NS))
    gone = planted_dir(tmp_path, "lbenroll-%d-%d-%d-x_y" % (2 ** 22 + 1, 7, NS))
    assert scratch.remove_abandoned() == sorted([str(gone), str(reused)])
    assert os.listdir(str(tmp_path)) == [os.path.basename(live)]


def test_old_style_and_other_names_are_left_alone(tmp_path):
    for name in ("lbenroll-k2j3h4g5", "lbenroll-1-x", "lbenroll-lab-123", "other-1-1-1-a",
                 "lbenroll-%d-7-x" % (2 ** 22 + 1)):
        planted_dir(tmp_path, name)
    assert scratch.remove_abandoned() == []
    assert len(os.listdir(str(tmp_path))) == 5


def test_a_run_in_another_pid_namespace_is_never_taken_for_gone(tmp_path):
    # A container sharing /tmp: its PIDs mean nothing here.
    other = planted_dir(tmp_path, "lbenroll-%d-7-%d-c" % (2 ** 22 + 1, NS + 1))
    assert scratch.remove_abandoned() == []
    assert other.exists()


def test_a_planted_link_is_neither_followed_nor_removed(tmp_path):
    target = planted_dir(tmp_path, "precious")
    link = tmp_path / ("lbenroll-%d-%d-%d-evil" % (2 ** 22 + 1, 7, NS))
    link.symlink_to(target)
    assert scratch.remove_abandoned() == []
    assert link.is_symlink() and (target / "consumer.rpm").read_bytes() == b"rpm"


def test_a_directory_of_another_mode_is_left_alone(tmp_path):
    planted = planted_dir(tmp_path, "lbenroll-%d-%d-%d-m" % (2 ** 22 + 1, 7, NS), mode=0o755)
    assert scratch.remove_abandoned() == []
    assert (planted / "consumer.rpm").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="making another user's directory needs root")
def test_another_user_s_directory_is_left_alone(tmp_path):
    planted = planted_dir(tmp_path, "lbenroll-%d-%d-%d-u" % (2 ** 22 + 1, 7, NS))
    os.chown(str(planted), 65534, 65534)
    assert scratch.remove_abandoned() == []
    assert (planted / "consumer.rpm").exists()


def test_a_link_inside_a_dead_run_s_directory_is_removed_not_followed(tmp_path):
    target = planted_dir(tmp_path, "precious")
    gone = planted_dir(tmp_path, "lbenroll-%d-%d-%d-in" % (2 ** 22 + 1, 7, NS))
    (gone / "link").symlink_to(target)
    assert scratch.remove_abandoned() == [str(gone)]
    assert (target / "consumer.rpm").read_bytes() == b"rpm"


def test_nothing_goes_where_others_could_swap_entries(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # world-writable without the sticky bit
    gone = planted_dir(shared, "lbenroll-%d-%d-%d-s" % (2 ** 22 + 1, 7, NS))
    assert scratch.remove_abandoned(str(shared)) == []
    assert gone.exists()
    shared.chmod(0o1777)  # as /tmp
    assert scratch.remove_abandoned(str(shared)) == [str(gone)]
