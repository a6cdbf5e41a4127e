"""Steps in a repair run: a lost identity is an enrollment's job; the record is not rewritten."""
import socket

import pytest

from lbenroll import fileio
from lbenroll.errors import ExitCode, LbenrollError
from lbenroll.results import Status
from lbenroll.steps.preflight import Preflight
from lbenroll.writers import lbenroll_conf
from tests.conftest import rpm_qa
from tests.steps.conftest import seed_host
from lbenroll.steps.record_options import RecordOptions


@pytest.fixture
def resolvable(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo",
                        lambda *a, **k: [(2, 1, 6, "", ("127.0.1.10", 0))])


def repair_run(make_run):
    run = make_run(activationkey=None, org=None)
    run.options.recorded_in = "/etc/lbenroll/lbenroll.conf"
    return run


def test_repair_with_lost_identity_says_to_re_enroll_with_a_key(make_run, fake_runner, root,
                                                               resolvable):
    fake_runner.expect(rpm_qa(root), 0, "")
    with pytest.raises(LbenrollError) as exc:
        Preflight().run(repair_run(make_run))
    assert exc.value.exit_code == ExitCode.USAGE
    assert exc.value.message.startswith("identity lost:")
    assert exc.value.fix.startswith("re-enroll with -a KEY")
    assert "/etc/lbenroll/lbenroll.conf" in exc.value.fix


def test_repair_of_a_registered_host_passes_preflight(make_run, fake_runner, root, resolvable):
    seed_host(root, {"/etc/pki/consumer/cert.pem": "cert"})
    fake_runner.expect(rpm_qa(root), 0, "")
    assert Preflight().run(repair_run(make_run)).status == Status.WARNING  # no os-release


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
