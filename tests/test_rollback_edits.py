"""A rollback takes back only this run's writes: a file something else edited during the run
keeps those edits (issue 18, section 3), and the rollback's last check leaves it alone."""
import pytest

from lbenroll import backup, engine, fileio
from lbenroll.errors import UnavailableError
from lbenroll.results import Result, Status
from lbenroll.steps.base import Run, Step
from lbenroll.writers.base import Target
from tests.conftest import seed
from tests.steps.conftest import make_options

RHSM_CONF = "/etc/rhsm/rhsm.conf"
ORIGINAL = b"# rhsm.conf\n[server]\nhostname = proxy02.example.test\nport = 443\n"
WRITTEN = b"# rhsm.conf\n[server]\nhostname = smartproxy.example.test\nport = 443\n"
TARGET = Target(RHSM_CONF, 0o644, "root", "root", "rhsm.conf")


class Writes(Step):
    id = "A"

    def run(self, run):
        fileio.write_file(run.ctx, TARGET, WRITTEN)
        return Result(self.id, Status.CHANGED, "wrote rhsm.conf")


def others_edit(edited):
    class OthersEditThenFail(Step):
        """An administrator (or another tool) edits rhsm.conf during the run; then a step
        fails."""
        id = "B"

        def run(self, run):
            seed(run.ctx.root, {RHSM_CONF: edited})
            raise UnavailableError("the balancer went away", step=self.id, fix="start it")
    return OthersEditThenFail


@pytest.fixture
def run(ctx, root):
    seed(root, {RHSM_CONF: ORIGINAL})
    return Run(make_options(), ctx)


def rollback_of(results):
    [rollback] = [r for r in results if r.id == "ROLLBACK"]
    return rollback


def test_a_file_nobody_else_touched_goes_back_exactly(run):
    rollback = rollback_of(engine.execute(run, [Writes, others_edit(WRITTEN)]))
    assert rollback.status == Status.CHANGED and "the host is as it was" in rollback.summary
    assert fileio.read_bytes(run.ctx, RHSM_CONF) == ORIGINAL


def test_an_edit_made_during_the_run_stays_and_lbenrolls_goes(run):
    edited = WRITTEN + b"# added by the admin during the run\n"
    rollback = rollback_of(engine.execute(run, [Writes, others_edit(edited)]))
    assert fileio.read_bytes(run.ctx, RHSM_CONF) == \
        ORIGINAL + b"# added by the admin during the run\n"
    # Not "as it was": the file holds someone else's edit, and the report says whose.
    assert rollback.status == Status.FAILED
    assert any(RHSM_CONF in line and "lbenroll's edits taken out, the others kept" in line
               for line in rollback.detail)


def test_a_line_both_changed_is_left_as_the_other_editor_left_it(run):
    edited = WRITTEN.replace(b"smartproxy.example.test", b"lb2.example.test")
    rollback = rollback_of(engine.execute(run, [Writes, others_edit(edited)]))
    assert fileio.read_bytes(run.ctx, RHSM_CONF) == edited
    assert rollback.status == Status.FAILED
    assert any(line.startswith("NOT undone: restore %s" % RHSM_CONF) for line in rollback.detail)
    assert any(RHSM_CONF in line and "left as it is" in line for line in rollback.detail)
    # lbenroll's write stays on record, so --remove can still take it out later.
    assert backup.read_written(run.ctx, RHSM_CONF) == WRITTEN


def test_the_record_of_lbenrolls_write_is_rolled_back_with_it(run):
    earlier = ORIGINAL + b"# an earlier run's write\n"
    fileio.write_file(run.ctx, TARGET, earlier, undo=False)
    run.ctx.snapshot = None  # that was an earlier run's: this run records its own start
    rollback_of(engine.execute(run, [Writes, others_edit(WRITTEN)]))
    assert fileio.read_bytes(run.ctx, RHSM_CONF) == earlier
    assert backup.read_written(run.ctx, RHSM_CONF) == earlier


REGISTERED = WRITTEN.replace(b"port = 443\n", b"port = 443\nprefix = /rhsm\n")


class WritesThenRegisters(Step):
    """RHSM_CONF's write, then a command lbenroll runs that rewrites rhsm.conf itself (as
    `subscription-manager register --serverurl` does)."""
    id = "A"

    def run(self, run):
        ctx = run.ctx
        fileio.write_file(ctx, TARGET, WRITTEN)
        backup.backup_before_command(ctx, [RHSM_CONF])
        ctx.run(["subscription-manager", "register"], changes_host=True)
        return Result(self.id, Status.CHANGED, "registered")


@pytest.fixture
def registers(fake_runner, root):
    fake_runner.expect(["subscription-manager", "register"], 0,
                       effect=lambda argv: seed(root, {RHSM_CONF: REGISTERED}))


def test_a_commands_rewrite_of_lbenrolls_file_is_lbenrolls_and_rolled_back_whole(run,
                                                                                  registers):
    rollback = rollback_of(engine.execute(run, [WritesThenRegisters, others_edit(REGISTERED)]))
    assert rollback.status == Status.CHANGED and "the host is as it was" in rollback.summary
    assert fileio.read_bytes(run.ctx, RHSM_CONF) == ORIGINAL


def test_what_a_command_left_in_lbenrolls_file_is_recorded_as_lbenrolls_write(run, registers):
    engine.execute(run, [WritesThenRegisters])
    assert backup.read_written(run.ctx, RHSM_CONF) == REGISTERED
