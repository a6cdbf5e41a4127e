from lbenroll.diagnose import proxies
from lbenroll.diagnose.checks import proxy_reachable
from lbenroll.diagnose.fetch import ConsumerFetch
from tests.diagnose.conftest import fake_probe, states


def test_a_proxy_answering_nowhere_is_down_and_its_other_checks_are_not_run():
    proxy = states()[1]
    proxy.consumer = ConsumerFetch(fake_probe(80, reachable=False))
    proxy.https = fake_probe(443, reachable=False)
    assert not proxy.up
    result = proxy_reachable.check_reachable(proxy)
    assert result.status.value == "failed"
    assert "does not answer on 80 (connection refused) or 443 (connection refused)" in (
        result.summary)
    assert proxies.not_checked("PROXY_TLS", proxy).status.value == "skipped"


# -- PROXY_REGISTRATION: the root cause of hosts pinned to one proxy ------------------------------
