from lbenroll.diagnose import hostconf
from lbenroll.diagnose.checks import host_openscap_conf
from tests.diagnose.test_hostconf import LB, PROXIES, enrolled

CONFIG = "/etc/foreman_scap_client/config.yaml"


def verdict(root, text):
    facts = enrolled(root, **{CONFIG: text})
    return host_openscap_conf.check_openscap(facts, LB, PROXIES)


def test_no_config_yaml_is_skipped(root):
    result = host_openscap_conf.check_openscap(enrolled(root), LB, PROXIES)
    assert result.status.value == "skipped" and "OpenSCAP not set up" in result.summary


def test_the_balancer_on_its_api_port_passes(root):
    result = verdict(root, ":server: '%s'\n:port: 9090\n" % LB)
    assert result.status.value == "unchanged"
    assert result.summary == "%s: reports go to %s:9090" % (CONFIG, LB)


def test_a_proxy_fails_and_is_pinned(root):
    result = verdict(root, ":server: 'proxy01.example.test'\n:port: 9090\n")
    assert result.status.value == "failed"
    assert "proxy01.example.test, one of the proxies, directly" in result.summary
    assert "OpenSCAP report uploads bypass the balancer" in result.summary
    assert "lbenroll --server %s" % LB in result.remediation
    facts = enrolled(root)
    assert {"file": CONFIG, "key": ":server:", "names": "proxy01.example.test",
            "repositories": []} in hostconf.pinned(facts, LB)


def test_the_balancer_on_another_port_is_a_warning(root):
    result = verdict(root, ":server: %s\n:port: 8443\n" % LB)
    assert result.status.value == "warning" and ":port: is 8443, not 9090" in result.summary


def test_no_server_is_a_warning(root):
    assert verdict(root, ":port: 9090\n").status.value == "warning"
