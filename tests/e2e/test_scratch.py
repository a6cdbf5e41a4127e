"""No litter (issue 19 point 6): a killed run's temporary directory is removed by the next run,
and nothing a local user planted in /tmp under such a name is followed or removed."""
import glob
import os
import shutil
import sys
import tempfile

from tests.e2e.test_enroll import ENROLL, REPO

# The sandboxes share the machine's /tmp and its PIDs (tests/lab/sandbox.py).
TMP = "/tmp"
NO_SUCH_PID = 2 ** 22 + 1  # above the kernel's pid_max: a run that is certainly gone
NS = os.stat("/proc/self/ns/pid").st_ino


def lbenroll(box, kill_at=None):
    argv = [sys.executable, "-m", "lbenroll"] + ENROLL + ["--json"]
    return box.run(argv, env={"PYTHONPATH": REPO}, timeout=300, kill_at=kill_at)


def run_directories():
    return set(glob.glob(os.path.join(TMP, "lbenroll-*")))


def test_a_killed_run_s_directory_is_removed_by_the_next_run(lab, sandbox):
    box = sandbox()
    before = run_directories()
    killed = lbenroll(box, kill_at="subscription-manager register:before")
    assert killed.kill is not None and killed.returncode == -9, killed.stdout + killed.stderr
    # The killed run's directory, with the consumer RPM it downloaded (the lab's runs are one at
    # a time: nothing else makes one meanwhile).
    [left] = [path for path in run_directories() - before
              if os.path.exists(os.path.join(path, "consumer.rpm"))]

    rerun = lbenroll(box)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert not os.path.lexists(left)
    assert os.path.basename(left).startswith("lbenroll-%d-" % killed.kill["pid"])
    assert "removed %s, left by a run that was killed" % left in \
        box.read_text("/var/log/lbenroll.log")
    assert run_directories() - before == set()  # the re-run's own is gone as well


def test_what_a_user_planted_under_a_run_s_name_is_left_alone(lab, sandbox):
    precious = tempfile.mkdtemp(prefix="env-precious-", dir=TMP)
    # Names a gone run of this machine's PID namespace would have (lbenroll/scratch.py).
    planted = [os.path.join(TMP, "lbenroll-%d-7-%d-link%d" % (NO_SUCH_PID, NS, os.getpid())),
               os.path.join(TMP, "lbenroll-%d-7-%d-user%d" % (NO_SUCH_PID, NS, os.getpid()))]
    try:
        with open(os.path.join(precious, "keep"), "w") as f:
            f.write("root's\n")
        os.symlink(precious, planted[0])
        os.mkdir(planted[1], 0o700)
        with open(os.path.join(planted[1], "keep"), "w") as f:
            f.write("the user's\n")
        os.chown(planted[1], 65534, 65534)
        os.lchown(planted[0], 65534, 65534)
        proc = lbenroll(sandbox())
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert os.path.islink(planted[0]) and os.readlink(planted[0]) == precious
        with open(os.path.join(precious, "keep")) as f:
            assert f.read() == "root's\n"
        with open(os.path.join(planted[1], "keep")) as f:
            assert f.read() == "the user's\n"
    finally:
        for path in planted:
            if os.path.islink(path):
                os.unlink(path)
            elif os.path.isdir(path):
                shutil.rmtree(path)
        shutil.rmtree(precious)
