from lbenroll.diagnose.checks import host_yggdrasil_conf
from tests.diagnose.test_hostconf import LB, PROXIES, enrolled


def test_yggdrasil_naming_the_balancer_passes_and_a_proxy_fails(root):
    facts = enrolled(root, **{"/etc/yggdrasil/config.toml": 'broker = ["mqtts://%s:1883"]\n' % LB})
    assert host_yggdrasil_conf.check_yggdrasil(facts, LB, PROXIES).status.value == "unchanged"
    facts.brokers = ["mqtts://proxy01.example.test:1883"]
    result = host_yggdrasil_conf.check_yggdrasil(facts, LB, PROXIES)
    assert result.status.value == "failed"
    assert "proxy01.example.test, one of the proxies, directly" in result.summary
