"""engine.execute's rollback: the undo stack, then the watched paths held against the snapshot
taken before the run's first change; and the kill hook the converge tests use."""
import os
import signal

import pytest

from lbenroll import engine, fileio, snapshot
from lbenroll.errors import ExitCode, LbenrollError, UnavailableError
from lbenroll.results import Result, Status
from lbenroll.steps.base import Run, Step
from lbenroll.writers.base import Target
from tests.conftest import seed
from tests.steps.conftest import make_options

RHSM_CONF = "/etc/rhsm/rhsm.conf"
REPO = "/etc/yum.repos.d/redhat.repo"
ORIGINAL_CONF = b"[server]\nhostname = proxy02.example.test\n"
ORIGINAL_REPO = b"[ACME_Lab_hello]\nbaseurl = https://proxy02.example.test/pulp/content/x\n"
TARGET = Target(RHSM_CONF, 0o644, "root", "root", "rhsm.conf")


def real(root, path):
    return os.path.join(str(root), path.lstrip("/"))


def read(root, path):
    with open(real(root, path), "rb") as f:
        return f.read()


class WritesAndMeddles(Step):
    """Writes rhsm.conf through fileio (undoable) and changes redhat.repo behind lbenroll's back,
    as subscription-manager would."""

    id = "A"
    repo_bytes = b"[ACME_Lab_hello]\nbaseurl = https://smartproxy.example.test/pulp/content/x\n"

    def run(self, run):
        fileio.write_file(run.ctx, TARGET, b"[server]\nhostname = smartproxy.example.test\n")
        with open(real(run.ctx.root, REPO), "wb") as f:
            f.write(self.repo_bytes)
        with open(real(run.ctx.root, "/etc/rhsm/facts/new.facts"), "w") as f:
            f.write("{}\n")
        return Result(self.id, Status.CHANGED, "changed things")


class Fails(Step):
    id = "B"
    requires = ("A",)

    def run(self, run):
        raise UnavailableError("the balancer went away", step=self.id, fix="start it")


class NeverRuns(Step):
    id = "C"
    ran = []

    def run(self, run):
        NeverRuns.ran.append(self.id)
        return Result(self.id, Status.UNCHANGED, "ran")


@pytest.fixture
def host(root):
    seed(root, {RHSM_CONF: ORIGINAL_CONF, REPO: ORIGINAL_REPO,
                "/etc/rhsm/facts/.keep": b"", "/etc/rhsm/ca/katello-server-ca.pem": b"ca\n"})
    return root


@pytest.fixture
def run(ctx):
    return Run(make_options(), ctx)


class Breaks(Step):
    """A step meeting input nothing checked (a Foreman answer of the wrong shape): a bug."""
    id = "B"

    def run(self, run):
        return {}["results"]


def test_a_step_that_raises_anything_else_still_rolls_back(run, host, caplog):
    results = engine.execute(run, [WritesAndMeddles, Breaks, NeverRuns])
    assert [r.id for r in results] == ["A", "B", "C", "ROLLBACK"]
    failed = results[1]
    assert failed.status == Status.FAILED and failed.exit_code == ExitCode.SOFTWARE
    assert failed.summary == "internal error (a bug in lbenroll): KeyError: 'results'"
    assert "traceback is in the log file" in failed.remediation
    assert engine.exit_code(results) == ExitCode.SOFTWARE
    assert read(host, RHSM_CONF) == ORIGINAL_CONF and read(host, REPO) == ORIGINAL_REPO
    assert any("Traceback" in r.getMessage() and "KeyError" in r.getMessage()
               for r in caplog.records)


def test_rollback_puts_back_what_lbenroll_and_its_children_changed(run, host):
    NeverRuns.ran = []
    results = engine.execute(run, [WritesAndMeddles, Fails, NeverRuns])
    assert [r.id for r in results] == ["A", "B", "C", "ROLLBACK"]
    assert [r.status for r in results[:3]] == [Status.CHANGED, Status.FAILED, Status.SKIPPED]
    assert NeverRuns.ran == []
    rollback = results[-1]
    assert rollback.status == Status.CHANGED
    assert read(host, RHSM_CONF) == ORIGINAL_CONF  # the undo stack
    assert read(host, REPO) == ORIGINAL_REPO  # the snapshot
    assert not os.path.exists(real(host, "/etc/rhsm/facts/new.facts"))
    compared = len(run.ctx.snapshot)
    assert "the host is as it was" in rollback.summary
    assert "(%d paths compared" % compared in rollback.summary
    assert rollback.data == {"checked_paths": compared}
    # The tops present here and everything below them, plus each absent top.
    assert compared == len(run.ctx.snapshot.entries) and compared >= 7
    assert "undone: restore %s" % RHSM_CONF in rollback.detail
    assert any(line.startswith("compared: everything under ") and "/etc/rhsm" in line
               for line in rollback.detail)
    assert run.ctx.snapshot.differences() == []
    assert engine.exit_code(results) == ExitCode.UNAVAILABLE


def test_the_snapshot_is_the_state_before_the_first_change(run, host):
    engine.execute(run, [WritesAndMeddles, Fails])
    entries = run.ctx.snapshot.entries
    assert entries[RHSM_CONF].data == ORIGINAL_CONF
    assert entries[REPO].data == ORIGINAL_REPO
    assert "/etc/rhsm/facts/new.facts" not in entries


def test_a_change_that_cannot_be_put_back_fails_the_rollback(run, host, monkeypatch):
    monkeypatch.setattr(snapshot, "KEEP_BYTES", 64)
    big = b"#" * 200 + b"\n"
    seed(host, {REPO: big})

    class MeddlesWithALargeFile(WritesAndMeddles):
        repo_bytes = b"@" * 200 + b"\n"

    results = engine.execute(run, [MeddlesWithALargeFile, Fails])
    rollback = results[-1]
    assert rollback.id == "ROLLBACK"
    assert rollback.status == Status.FAILED
    assert "the host is as it was" not in rollback.summary
    assert "1 path(s) differ" in rollback.summary
    not_as_it_was = [line for line in rollback.detail if line.startswith("NOT as it was: ")]
    assert len(not_as_it_was) == 1
    assert REPO in not_as_it_was[0] and "too large" in not_as_it_was[0]
    assert "/var/lib/lbenroll/backup" in rollback.remediation
    # What could be put back was: lbenroll's own write and the small new file.
    assert read(host, RHSM_CONF) == ORIGINAL_CONF
    assert not os.path.exists(real(host, "/etc/rhsm/facts/new.facts"))
    # The exit code is the failed step's, not the rollback's.
    assert rollback.exit_code == ExitCode.FAILED
    assert engine.exit_code(results) == ExitCode.UNAVAILABLE


def test_a_failed_undo_action_fails_the_rollback(run, host):
    class PushesABrokenUndo(Step):
        id = "A"

        def run(self, run):
            fileio.write_file(run.ctx, TARGET, b"changed\n")

            def broken():
                raise OSError("disk on fire")
            run.ctx.undo.push("put back the moon", broken)
            return Result(self.id, Status.CHANGED, "changed")

    results = engine.execute(run, [PushesABrokenUndo, Fails])
    rollback = results[-1]
    assert rollback.status == Status.FAILED
    assert "NOT undone: put back the moon (disk on fire)" in rollback.detail
    assert "the host is as it was" not in rollback.summary
    assert read(host, RHSM_CONF) == ORIGINAL_CONF  # the other undo actions still ran


def test_a_file_someone_else_edited_during_the_run_is_not_to_be_restored_from_the_backup(
        run, host):
    # fileio spares a file something else changed during the run (fileio.take_back): the
    # rollback leaves it to them, and its advice must not send the admin to the backup store,
    # which holds the file as it was before that other edit.
    class WritesThenSomeoneEdits(Step):
        id = "A"

        def run(self, run):
            fileio.write_file(run.ctx, TARGET, b"[server]\nhostname = smartproxy.example.test\n")
            with open(real(run.ctx.root, REPO), "ab") as f:
                f.write(b"# an admin's edit during the run\n")
            run.ctx.snapshot.spare(REPO, "changed by something else during the run; left as "
                                         "it is")
            return Result(self.id, Status.CHANGED, "changed")

    results = engine.execute(run, [WritesThenSomeoneEdits, Fails])
    rollback = results[-1]
    assert rollback.status == Status.FAILED
    assert "NOT as it was: %s (changed by something else" % REPO in rollback.detail[-1]
    assert REPO in rollback.remediation and "backup" not in rollback.remediation
    assert "something else changed it" in rollback.remediation
    assert read(host, RHSM_CONF) == ORIGINAL_CONF
    assert read(host, REPO).endswith(b"# an admin's edit during the run\n")


def test_a_failed_undo_action_says_to_do_what_it_names(run, host):
    class PushesABrokenUndo(Step):
        id = "A"

        def run(self, run):
            fileio.write_file(run.ctx, TARGET, b"changed\n")

            def broken():
                raise LbenrollError("no copy of pkg-1-1 is kept; run: rpm -U FILE")
            run.ctx.undo.push("reinstall pkg-1-1", broken)
            return Result(self.id, Status.CHANGED, "changed")

    rollback = engine.execute(run, [PushesABrokenUndo, Fails])[-1]
    assert rollback.status == Status.FAILED
    assert "1 change(s) not undone" in rollback.summary
    assert "NOT undone" in rollback.remediation and "backup" not in rollback.remediation


def test_a_failure_before_any_change_has_no_rollback(run, host):
    results = engine.execute(run, [Fails])
    assert [r.id for r in results] == ["B"]
    assert run.ctx.snapshot is None


def test_a_run_that_changes_only_outside_the_watched_paths_says_only_that(run, host):
    run.ctx.watched = None  # as for a removal: no snapshot is ever taken

    class WritesElsewhere(Step):
        id = "A"

        def run(self, run):
            fileio.write_file(run.ctx, Target("/opt/demo.conf", 0o644, "root", "root", "x"),
                              b"demo\n")
            return Result(self.id, Status.CHANGED, "wrote")

    results = engine.execute(run, [WritesElsewhere, Fails])
    rollback = results[-1]
    assert rollback.status == Status.CHANGED
    assert rollback.summary == "undid this run's changes"
    assert not os.path.exists(real(host, "/opt/demo.conf"))


def test_a_successful_run_keeps_its_changes(run, host):
    results = engine.execute(run, [WritesAndMeddles])
    assert [r.id for r in results] == ["A"]
    assert read(host, REPO) == WritesAndMeddles.repo_bytes


def test_an_unexpected_lbenroll_error_is_a_failed_step(run, host):
    class Raises(Step):
        id = "B"

        def run(self, run):
            raise LbenrollError("plain failure")

    results = engine.execute(run, [WritesAndMeddles, Raises])
    assert results[1].status == Status.FAILED and results[1].exit_code == ExitCode.FAILED
    assert results[-1].id == "ROLLBACK" and results[-1].status == Status.CHANGED
    assert read(host, REPO) == ORIGINAL_REPO


# -- the kill hook ------------------------------------------------------------------------------


@pytest.fixture
def kills(monkeypatch):
    recorded = []
    monkeypatch.setattr(engine.os, "kill", lambda pid, sig: recorded.append((pid, sig)))
    return recorded


def ordered_steps(events):
    def step(step_id):
        class S(Step):
            id = step_id

            def run(self, run):
                events.append(("ran", step_id))
                return Result(step_id, Status.UNCHANGED, "ok")
        return S
    return [step("A"), step("B"), step("C")]


def test_the_kill_hook_is_inert_when_unset(run, kills, monkeypatch):
    monkeypatch.delenv(engine.KILL_BEFORE_ENV, raising=False)
    events = []
    results = engine.execute(run, ordered_steps(events))
    assert kills == []
    assert events == [("ran", "A"), ("ran", "B"), ("ran", "C")]
    assert [r.status for r in results] == [Status.UNCHANGED] * 3


def test_the_kill_hook_kills_the_run_just_before_its_step(run, monkeypatch):
    monkeypatch.setenv(engine.KILL_BEFORE_ENV, "B")
    events = []
    monkeypatch.setattr(engine.os, "kill", lambda pid, sig: events.append(("kill", pid, sig)))
    engine.execute(run, ordered_steps(events))
    assert events == [("ran", "A"), ("kill", os.getpid(), signal.SIGKILL), ("ran", "B"),
                      ("ran", "C")]


def test_the_kill_hook_ignores_an_unknown_step(run, kills, monkeypatch):
    monkeypatch.setenv(engine.KILL_BEFORE_ENV, "NO_SUCH_STEP")
    engine.execute(run, ordered_steps([]))
    assert kills == []


OLD_CONSUMER = "katello-ca-consumer-proxy01.example.test-1.0-1"


class ReplacesTheConsumerPackage(Step):
    """What INSTALL_CONSUMER_RPM records before it changes the consumer packages."""

    id = "A"

    def run(self, run):
        run.consumer_packages_before = [OLD_CONSUMER]
        fileio.write_file(run.ctx, TARGET, b"changed\n")
        return Result(self.id, Status.CHANGED, "replaced the consumer package")


def test_the_host_is_not_as_it_was_while_the_consumer_packages_differ(run, host, fake_runner):
    from tests.conftest import rpm_answer, rpm_qa
    fake_runner.expect(rpm_qa(host), 0, rpm_answer("katello-ca-consumer-lb.example.test-1.0-1"))
    results = engine.execute(run, [ReplacesTheConsumerPackage, Fails])
    rollback = results[-1]
    assert rollback.status == Status.FAILED
    assert "the host is as it was" not in rollback.summary
    assert ("NOT as it was: the rpm database (katello-ca-consumer packages before the run: %s; "
            "now: katello-ca-consumer-lb.example.test-1.0-1)" % OLD_CONSUMER) in rollback.detail
    assert read(host, RHSM_CONF) == ORIGINAL_CONF  # the files were still put back


def test_the_consumer_packages_as_before_let_the_rollback_say_as_it_was(run, host, fake_runner):
    from tests.conftest import rpm_answer, rpm_qa
    fake_runner.expect(rpm_qa(host), 0, rpm_answer(OLD_CONSUMER))
    rollback = engine.execute(run, [ReplacesTheConsumerPackage, Fails])[-1]
    assert rollback.status == Status.CHANGED and "the host is as it was" in rollback.summary
    assert "compared: the installed katello-ca-consumer packages" in rollback.detail
