"""VERIFY_BALANCER_TLS: the balancer's RHSM port must present a certificate that chains to the
Katello CA of the package it served and carries the balancer's name. The TLS probe is the edge
faked here (tests/test_probe.py and the lab test the probe itself)."""
import pytest

from lbenroll import probe
from lbenroll.errors import ExitCode, LbenrollError
from lbenroll.results import Status
from lbenroll.steps import verify_balancer_tls
from lbenroll.steps.verify_balancer_tls import VerifyBalancerTls
from tests.steps.conftest import BALANCER, CA_SCRIPT, served


@pytest.fixture
def presented(monkeypatch):
    """The probe's answer: set .reachable, .chain_ok, .names, .error; records each call."""
    answer = probe.ProbeResult(BALANCER, 443)
    answer.reachable, answer.chain_ok, answer.names = True, True, [BALANCER]
    answer.calls = []

    def tls_probe(host, port, ca_pem, timeout=10.0):
        answer.calls.append((host, port, ca_pem, timeout))
        answer.host, answer.port = host, port
        return answer
    monkeypatch.setattr(verify_balancer_tls, "tls_probe", tls_probe)
    return answer


def checked(make_run, tmp_path, **given):
    run = served(make_run(**given), tmp_path, CA_SCRIPT)
    return run, VerifyBalancerTls().run(run)


def test_a_certificate_for_the_balancer_passes_and_changes_nothing(make_run, tmp_path,
                                                                   presented):
    run, result = checked(make_run, tmp_path, timeout=60)
    assert (result.id, result.status) == ("VERIFY_BALANCER_TLS", Status.UNCHANGED)
    assert result.summary == "%s:443 presents a valid certificate for %s" % (BALANCER, BALANCER)
    assert result.detail == ["certificate names: %s" % BALANCER]
    # The package's server CA on the package's RHSM port, the probe bounded at 30 s.
    assert presented.calls == [(BALANCER, 443, run.consumer.server_ca_pem, 30)]


def test_a_wildcard_for_the_balancers_domain_passes(make_run, tmp_path, presented):
    presented.names = ["*.example.test"]
    assert checked(make_run, tmp_path)[1].status == Status.UNCHANGED


def test_a_shorter_timeout_bounds_the_probe(make_run, tmp_path, presented):
    checked(make_run, tmp_path, timeout=5)
    assert presented.calls[0][3] == 5


def refusal(make_run, tmp_path):
    with pytest.raises(LbenrollError) as error:
        checked(make_run, tmp_path)
    assert error.value.step == "VERIFY_BALANCER_TLS"
    return error.value


def test_an_unreachable_port_is_unavailable(make_run, tmp_path, presented):
    presented.reachable, presented.error = False, "connection refused"
    error = refusal(make_run, tmp_path)
    assert error.exit_code == ExitCode.UNAVAILABLE
    assert error.message == "cannot connect to %s:443: connection refused" % BALANCER
    assert error.fix == "check that the balancer forwards port 443 to the proxies"


def test_a_certificate_of_another_ca_is_a_configuration_error(make_run, tmp_path, presented):
    presented.chain_ok, presented.error = False, "unable to get local issuer certificate"
    error = refusal(make_run, tmp_path)
    assert error.exit_code == ExitCode.CONFIG
    assert error.message.startswith("the certificate presented on %s:443 does not chain to the "
                                    "Katello CA in katello-ca-consumer-proxy02" % BALANCER)
    assert "same Katello CA" in error.fix


def test_a_proxy_certificate_without_the_balancer_name_names_the_proxy_and_the_fix(
        make_run, tmp_path, presented):
    presented.names = ["proxy02.example.test"]
    error = refusal(make_run, tmp_path)
    assert error.exit_code == ExitCode.CONFIG
    assert error.message == ("the certificate of proxy02.example.test (names: "
                             "proxy02.example.test) does not carry the balancer name %s"
                             % BALANCER)
    assert "--foreman-proxy-cname %s" % BALANCER in error.fix
    assert "--certs-cname %s" % BALANCER in error.fix


def test_it_needs_the_fetched_package():
    assert VerifyBalancerTls.requires == ("FETCH_CONSUMER_RPM",)
