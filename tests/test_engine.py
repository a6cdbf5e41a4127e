import pytest

from lbenroll import engine, fileio
from lbenroll.errors import ExitCode, UnavailableError
from lbenroll.results import Result, Status
from lbenroll.steps.base import Run, Step
from lbenroll.writers.base import Target


class Options(object):
    balancer = "smartproxy.example.test"


def make_step(step_id, status=Status.UNCHANGED, requires=(), raises=None, effect=None):
    class S(Step):
        id = step_id

        def run(self, run):
            if effect:
                effect(run)
            if raises:
                raise raises
            return Result(step_id, status, "did %s" % step_id)
    S.requires = requires
    return S


def test_all_ok_is_exit_0(ctx):
    run = Run(Options(), ctx)
    results = engine.execute(run, [make_step("A"), make_step("B", Status.CHANGED)])
    assert [r.status for r in results] == [Status.UNCHANGED, Status.CHANGED]
    assert engine.exit_code(results) == ExitCode.OK


def test_every_step_begins_its_early_probes_before_the_first_step_runs(ctx):
    events = []

    def step(step_id):
        class S(Step):
            id = step_id

            def early(self, run):
                events.append("early " + step_id)
                run.early.begin(str.upper, step_id)

            def run(self, run):
                events.append("run " + step_id)
                return Result(step_id, Status.UNCHANGED, run.early.answer(str.upper, step_id))
        return S
    results = engine.execute(Run(Options(), ctx), [step("a"), step("b")])
    assert events == ["early a", "early b", "run a", "run b"]
    assert [r.summary for r in results] == ["A", "B"]


def test_an_early_probe_that_cannot_be_begun_is_left_to_the_step(ctx):
    # Begun early or not, the step meets the problem (a file it cannot read) when it runs, and
    # says so there; the run goes on to every step.
    class Unreadable(Step):
        id = "A"

        def early(self, run):
            raise UnavailableError("cannot read /x", fix="fix /x")

        def run(self, run):
            raise UnavailableError("cannot read /x", fix="fix /x")
    results = engine.execute(Run(Options(), ctx), [make_step("B"), Unreadable])
    assert [(r.id, r.status) for r in results] == [("B", Status.UNCHANGED), ("A", Status.FAILED)]
    assert results[1].summary == "cannot read /x" and results[1].remediation == "fix /x"


def test_warning_gives_the_warnings_exit_code(ctx):
    results = engine.execute(Run(Options(), ctx), [make_step("A", Status.WARNING)])
    assert engine.exit_code(results) == ExitCode.WARNINGS


def test_failure_skips_the_rest_and_carries_its_exit_code(ctx):
    error = UnavailableError("balancer refused", step="B", fix="start it")
    results = engine.execute(Run(Options(), ctx), [make_step("A"), make_step("B", raises=error),
                                                   make_step("C")])
    assert [r.status for r in results] == [Status.UNCHANGED, Status.FAILED, Status.SKIPPED]
    assert results[1].remediation == "start it"
    assert results[2].summary == "not run: B failed"
    assert engine.exit_code(results) == ExitCode.UNAVAILABLE


def test_skipped_dependency_skips_dependents(ctx):
    results = engine.execute(Run(Options(), ctx), [
        make_step("A", Status.SKIPPED), make_step("B", requires=("A",)), make_step("C")])
    assert [r.status for r in results] == [Status.SKIPPED, Status.SKIPPED, Status.UNCHANGED]


def test_failure_rolls_back_files_written_earlier_in_the_run(ctx, root):
    target = Target("/etc/demo.conf", 0o644, "root", "root", "demo")
    (root / "etc").mkdir()
    (root / "etc" / "demo.conf").write_bytes(b"original\n")

    def write(run):
        fileio.write_file(run.ctx, target, b"changed\n")

    results = engine.execute(Run(Options(), ctx), [
        make_step("A", Status.CHANGED, effect=write),
        make_step("B", raises=UnavailableError("gone", step="B"))])
    assert (root / "etc" / "demo.conf").read_bytes() == b"original\n"
    assert results[-1].id == "ROLLBACK" and results[-1].status == Status.CHANGED
    assert engine.exit_code(results) == ExitCode.UNAVAILABLE


def test_secret_in_an_error_message_is_redacted(ctx):
    ctx.redact.add("s3cret-key")
    error = UnavailableError("server said: bad key s3cret-key", step="A")
    results = engine.execute(Run(Options(), ctx), [make_step("A", raises=error)])
    assert "s3cret-key" not in results[0].summary


@pytest.mark.parametrize("steps", [engine.STEPS, engine.REMOVE_STEPS], ids=["enroll", "remove"])
def test_every_step_requires_only_earlier_steps(steps):
    seen = set()
    for step in steps:
        assert step.id not in seen, "%s twice" % step.id
        unknown = [dep for dep in step.requires if dep not in seen]
        assert unknown == [], "%s requires %s, which does not run before it" % (step.id, unknown)
        seen.add(step.id)


def test_the_engine_refuses_a_list_with_an_unknown_requirement():
    class Later(object):
        id, requires = "LATER", ("NOWHERE",)
    with pytest.raises(ValueError) as exc:
        engine.check_order([Later])
    assert "LATER requires NOWHERE" in str(exc.value)


def test_the_removal_steps_run_in_the_decided_order():
    assert [step.id for step in engine.REMOVE_STEPS] == [
        "REMOVE_PREFLIGHT", "UNREGISTER", "FOREMAN_HOST_DELETE", "REMOVE_REX_KEYS", "RESTORE_FILES",
        "REMOVE_REX_CA", "DISABLE_REPAIR_TIMER", "REMOVE_REX_PULL", "REMOVE_PACKAGES",
        "CLEAN_PUPPET", "FORGET_BACKUPS"]
