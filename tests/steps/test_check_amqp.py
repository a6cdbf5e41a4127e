"""CHECK_AMQP probes 5647 only where katello-agent is in use (the probe itself is lab-tested)."""
import pytest

from lbenroll import probe
from lbenroll.results import Status
from tests.conftest import seed
from lbenroll import brokers
from lbenroll.steps.check_amqp import CheckAmqp


class Probed(Exception):
    pass


def fail_if_probed(*args, **kwargs):
    raise Probed(args)


def test_check_amqp_without_katello_agent_is_skipped_without_a_connection(make_run, monkeypatch):
    monkeypatch.setattr(brokers, "tls_probe", fail_if_probed)
    result = CheckAmqp().run(make_run())
    assert result.status == Status.SKIPPED
    assert "katello-agent is not in use" in result.summary


def test_check_amqp_probes_when_goferd_is_configured(make_run, root, monkeypatch):
    seed(root, {"/etc/gofer/plugins/katello.conf": "[messaging]\nurl=amqps://x:5647\n"})
    refused = probe.ProbeResult("smartproxy.example.test", 5647)
    refused.error = "connection refused"
    monkeypatch.setattr(brokers, "tls_probe", lambda *a, **k: refused)
    result = CheckAmqp().run(make_run())
    assert result.status == Status.WARNING
    assert "connection refused" in result.summary
    assert "forward port 5647" in result.remediation


def test_check_amqp_probes_when_katello_agent_is_asked_for(make_run, monkeypatch):
    monkeypatch.setattr(brokers, "tls_probe", fail_if_probed)
    with pytest.raises(Probed):
        CheckAmqp().run(make_run(install_katello_agent=True))
