from lbenroll.diagnose.checks import puppet_ca
from lbenroll.diagnose.proxies import ProxyState
from tests.diagnose.conftest import CA, LB, OTHER_CA, fake_probe

NAMES = ["proxy01.example.test", "proxy02.example.test", "proxy03.example.test"]


def states(*signers):
    found = [ProxyState(name, "127.0.2.%d" % n) for n, name in enumerate(NAMES, 1)]
    for proxy in found:
        proxy.puppet_ca_pem = CA if proxy.name in signers else None
    return found


def test_8141_leading_to_the_only_puppet_ca_passes():
    result = puppet_ca.check_puppet_ca(LB, states(NAMES[0]), CA, fake_probe(8141, NAMES[0]), True)
    assert result.status.value == "unchanged"
    assert "8141 leads to proxy01, the only proxy answering as the Puppet CA" in result.summary


def test_8141_leading_to_a_proxy_without_a_ca_names_both_proxies():
    result = puppet_ca.check_puppet_ca(LB, states(NAMES[0]), None, fake_probe(8141, NAMES[1]), True)
    assert result.status.value == "failed"
    assert ("8141 leads to proxy02.example.test, which does not answer as a Puppet CA; the "
            "Puppet CA is on proxy01.example.test") in result.summary
    assert "proxy01.example.test:8140" in result.remediation


def test_two_puppet_cas_fail():
    result = puppet_ca.check_puppet_ca(LB, states(NAMES[0], NAMES[2]), CA,
                                    fake_probe(8141, NAMES[0]), True)
    assert result.status.value == "failed" and "2 proxies answer as a Puppet CA" in (
        result.summary)


def test_8141_serving_another_puppet_ca_fails():
    result = puppet_ca.check_puppet_ca(LB, states(NAMES[0]), OTHER_CA, fake_probe(8141), True)
    assert result.status.value == "failed" and "other than the one on proxy01" in result.summary


def test_8141_not_forwarded_fails_when_there_is_a_puppet_ca():
    result = puppet_ca.check_puppet_ca(LB, states(NAMES[0]), None,
                                    fake_probe(8141, reachable=False), True)
    assert result.status.value == "failed" and "does not forward 8141" in result.summary


def test_no_puppet_anywhere_is_skipped():
    result = puppet_ca.check_puppet_ca(LB, states(), None, fake_probe(8141, reachable=False), False)
    assert result.status.value == "skipped"


def test_without_a_ca_to_verify_against_8141_is_not_judged():
    result = puppet_ca.check_puppet_ca(LB, states(NAMES[0]), CA, None, True)
    assert result.status.value == "skipped"
