"""RECORD_OPTIONS: an enrollment that did not fail records its options (never secrets) for
lbenroll repair; a repair does not rewrite the record; a move keeps what the record had."""
import pytest

from lbenroll import fileio
from lbenroll.errors import WriteError
from lbenroll.results import Status
from lbenroll.steps.record_options import RecordOptions, previous_record
from lbenroll.writers import lbenroll_conf
from tests.conftest import seed
from tests.steps.conftest import repair_run


def test_enrollment_records_its_options(make_run, ctx):
    result = RecordOptions().run(make_run())
    assert result.status == Status.CHANGED and result.id == "RECORD_OPTIONS"
    text = fileio.read_bytes(ctx, "/etc/lbenroll/lbenroll.conf").decode()
    assert lbenroll_conf.parse(text) == {
        "server": "smartproxy.example.test", "fqdn": "client01.example.test",
        "puppet-ca-port": "8141", "skip": "foreman"}
    assert "ak-lab-secret" not in text


def test_repair_does_not_rewrite_the_record(make_run, ctx):
    result = RecordOptions().run(repair_run(make_run))
    assert result.status == Status.SKIPPED
    assert result.summary == "repair run: the options were read from /etc/lbenroll/lbenroll.conf"
    assert fileio.read_bytes(ctx, "/etc/lbenroll/lbenroll.conf") is None


def test_the_previous_record_is_read_through_the_one_reader(ctx, root):
    assert previous_record(ctx) == {}
    seed(root, {"/etc/lbenroll/lbenroll.conf": "server = lb.example.test\nskip = foreman\n"})
    assert previous_record(ctx) == {"server": "lb.example.test", "skip": "foreman"}
    # One configobj cannot read is rewritten whole from this run's options.
    seed(root, {"/etc/lbenroll/lbenroll.conf": "server = a\nserver = b\n"})
    assert previous_record(ctx) == {}


def test_a_record_that_cannot_be_opened_fails_the_step_as_any_file_a_step_reads(
        ctx, root, monkeypatch):
    seed(root, {"/etc/lbenroll/lbenroll.conf": "server = lb.example.test\n"})

    def denied(real, path):
        raise PermissionError(13, "Permission denied", real)
    monkeypatch.setattr(lbenroll_conf.diskio, "read_file", denied)
    with pytest.raises(WriteError) as error:
        previous_record(ctx)
    assert error.value.message == ("cannot read /etc/lbenroll/lbenroll.conf: Permission "
                                   "denied")
    assert error.value.fix == "check the file's permissions"


def test_a_move_keeps_the_previous_records_options_but_the_balancers(make_run, ctx, root):
    seed(root, {"/etc/lbenroll/lbenroll.conf": "server = old.example.test\n"
                                               "puppet-ca-port = 8140\nrex = true\n"})
    run = make_run(balancer="new.example.test", new_capsule=True, activationkey=None,
                   org=None)
    assert RecordOptions().run(run).status == Status.CHANGED
    recorded = previous_record(ctx)
    assert recorded["server"] == "new.example.test" and recorded["rex"] == "true"
    assert recorded["puppet-ca-port"] == "8141"  # this run's own: a move brings its own
