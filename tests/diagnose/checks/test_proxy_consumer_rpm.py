from lbenroll.diagnose.checks import proxy_consumer_rpm
from lbenroll.diagnose.fetch import ConsumerFetch
from lbenroll.diagnose.trust import KatelloCa
from tests.diagnose.conftest import CA, OTHER_CA, fake_probe, states


def test_a_consumer_rpm_with_another_ca_names_the_proxy_and_the_katello_ca(monkeypatch):
    proxy = states()[2]

    class Rpm(object):
        fingerprint = KatelloCa(OTHER_CA, "x").fingerprint

        class package(object):
            nvr = "katello-ca-consumer-proxy03.example.test-1.0-1"
    proxy.consumer = ConsumerFetch(fake_probe(80), rpm=Rpm())
    result = proxy_consumer_rpm.check_consumer_rpm(proxy, KatelloCa(CA, "served by proxy01, "
                                                                    "proxy02"))
    assert result.status.value == "failed"
    assert "is not the Katello CA" in result.summary and "served by proxy01, proxy02" in (
        result.summary)
    assert "proxy03.example.test was set up with another CA" in result.summary
