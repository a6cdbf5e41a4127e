from lbenroll.diagnose.checks import host_rhsm_conf
from tests.diagnose.test_hostconf import LB, PROXIES, enrolled


def test_rhsm_conf_naming_a_proxy_is_the_bypass_and_says_how_to_repair(root):
    facts = enrolled(root, rhsm_host="proxy02.example.test")
    result = host_rhsm_conf.check_rhsm_conf(facts, LB, PROXIES)
    assert result.status.value == "failed"
    assert "server.hostname names proxy02.example.test, one of the proxies, directly" in (
        result.summary)
    assert "bypass the balancer" in result.summary
    assert "lbenroll --server %s" % LB in result.remediation


def test_short_proxy_names_from_the_option_are_recognised(root):
    facts = enrolled(root, rhsm_host="proxy02.example.test")
    assert "one of the proxies" in host_rhsm_conf.check_rhsm_conf(facts, LB, ["proxy02"]).summary
