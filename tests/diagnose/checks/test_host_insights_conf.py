import pytest

from lbenroll.diagnose import hostconf
from lbenroll.diagnose.checks import host_insights_conf
from tests.diagnose.test_hostconf import LB, PROXIES, enrolled

CONF = "/etc/insights-client/insights-client.conf"
PROXY_URL = "proxy02.example.test:443/redhat_access/r/insights"


def verdict(root, text):
    facts = enrolled(root, **{CONF: text})
    return host_insights_conf.check_insights(facts, LB, PROXIES)


def test_not_installed_is_skipped(root):
    result = host_insights_conf.check_insights(enrolled(root), LB, PROXIES)
    assert result.status.value == "skipped"


@pytest.mark.parametrize("text", [
    "[insights-client]\n#base_url=cert-api.access.redhat.com:443/r/insights\n",
    "[insights-client]\nbase_url=%s:443/redhat_access/r/insights\n" % LB,
    "[insights-client]\nauto_config=False\nbase_url=cert-api.access.redhat.com:443/r/insights\n",
])
def test_no_base_url_the_balancer_or_red_hat_passes(root, text):
    assert verdict(root, text).status.value == "unchanged"


def test_a_proxy_with_auto_config_off_fails_and_is_pinned(root):
    result = verdict(root, "[insights-client]\nauto_config=False\nbase_url=%s\n" % PROXY_URL)
    assert result.status.value == "failed"
    assert "proxy02.example.test, one of the proxies, directly" in result.summary
    assert "auto_config is off" in result.summary
    assert {"file": CONF, "key": "base_url", "names": "proxy02.example.test",
            "repositories": []} in hostconf.pinned(enrolled(root), LB)


def test_a_proxy_with_auto_config_on_is_the_fallback_and_a_warning(root):
    result = verdict(root, "[insights-client]\nbase_url=%s\n" % PROXY_URL)
    assert result.status.value == "warning" and "falls back to it" in result.summary
