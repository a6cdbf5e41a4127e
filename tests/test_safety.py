"""The run lock, the command runner and the unit-test guards themselves."""
import os
import socket
import subprocess

import pytest

from lbenroll.context import Context
from lbenroll.errors import ExitCode, LockedError, WriteError
from lbenroll.lock import RunLock
from lbenroll.redact import MASK, Redactor
from lbenroll.runner import Runner
from tests.conftest import FakeRunner, GuardViolation


def test_second_run_is_refused_while_the_first_holds_the_lock(root):
    ctx = Context(root=str(root))
    with RunLock(ctx):
        with pytest.raises(LockedError) as exc:
            with RunLock(ctx):
                pass
        assert exc.value.exit_code == ExitCode.TEMPFAIL
    with RunLock(ctx):  # released on exit
        pass


USER = 1234  # a user other than root, as in tests/test_diskio_links.py


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a tree to a user")
@pytest.mark.parametrize("made_by", ["a user", "root"])
def test_a_link_in_the_lock_files_place_is_never_followed(root, tmp_path, made_by):
    # A --root tree a user prepared: a link there must not make root create a file elsewhere.
    if made_by == "a user":
        os.chown(str(root), USER, USER)
    os.makedirs(os.path.join(str(root), "var/lib/lbenroll"))
    elsewhere = tmp_path / "nologin"
    os.symlink(str(elsewhere), os.path.join(str(root), "var/lib/lbenroll/lock"))
    with pytest.raises(WriteError) as caught:
        with RunLock(Context(root=str(root))):
            pass
    assert caught.value.message.startswith("cannot create the lock file %s/var/lib/lbenroll/"
                                           "lock: " % root)
    assert not elsewhere.exists()


class FakeCompleted(object):
    def __init__(self, returncode=0, stdout="", stderr=""):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def test_runner_takes_argv_lists_only():
    with pytest.raises(TypeError):
        Runner(Redactor()).run("rpm -qa")


def test_runner_redacts_secrets_in_everything_it_shows(monkeypatch, caplog):
    monkeypatch.setattr(subprocess, "run", lambda argv, **kw: FakeCompleted(
        70, "", "invalid key s3cr3t-key"))
    runner = Runner(Redactor(["s3cr3t-key"]))
    with caplog.at_level("DEBUG", logger="lbenroll"):
        result = runner.run(["subscription-manager", "register", "--activationkey", "s3cr3t-key"])
    assert result.returncode == 70
    assert runner.output(result) == "invalid key " + MASK
    assert "s3cr3t-key" not in caplog.text and MASK in caplog.text


def test_runner_dry_run_records_host_changes_without_running(monkeypatch):
    def fail(*a, **k):
        raise AssertionError("must not run")
    monkeypatch.setattr(subprocess, "run", fail)
    runner = Runner(Redactor(["k3y-value"]), dry_run=True)
    assert runner.run(["rpm", "-U", "x.rpm", "k3y-value"], changes_host=True) is None
    assert runner.would_run == ["rpm -U x.rpm " + MASK]


def test_runner_timeout_and_missing_binary_are_results_not_tracebacks(monkeypatch):
    def timeout(argv, **kw):
        raise subprocess.TimeoutExpired(argv, kw["timeout"])
    monkeypatch.setattr(subprocess, "run", timeout)
    result = Runner(Redactor(), timeout=5).run(["sleep", "10"])
    assert result.timed_out and result.returncode == 124

    def missing(argv, **kw):
        raise FileNotFoundError(argv[0])
    monkeypatch.setattr(subprocess, "run", missing)
    assert Runner(Redactor()).run(["no-such-tool"]).returncode == 127


def test_redactor_ignores_trivially_short_values():
    redact = Redactor(["ab", "long-enough"])
    assert redact("ab long-enough") == "ab " + MASK


def test_guard_blocks_network():
    with pytest.raises(GuardViolation):
        socket.create_connection(("127.0.0.1", 9))


def test_guard_blocks_real_commands():
    with pytest.raises(GuardViolation):
        subprocess.Popen(["true"])


def test_guard_blocks_writes_outside_the_tmp_root(tmp_path):
    with pytest.raises(GuardViolation):
        open("/etc/lbenroll-guard-test", "w")
    with open(str(tmp_path / "fine.txt"), "w") as f:  # inside is allowed
        f.write("ok")


def test_the_fake_runner_shows_a_command_as_the_runner_does():
    argv = ["subscription-manager", "register", "--org", "Default Organization",
            "--activationkey", "s3cret-key", "--name", "$HOSTNAME"]
    secret = Redactor(["s3cret-key"])
    real, fake = Runner(secret, dry_run=True), FakeRunner(secret, dry_run=True)
    real.run(argv, changes_host=True)
    fake.run(argv, changes_host=True)
    assert fake.would_run == real.would_run
    assert fake.would_run[0] == ("subscription-manager register --org 'Default Organization' "
                                 "--activationkey %s --name '$HOSTNAME'" % MASK)
