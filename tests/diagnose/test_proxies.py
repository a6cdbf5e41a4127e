from lbenroll.diagnose import proxies
from tests.diagnose.conftest import LB, NAMES, fake_probe, states, verdicts


def test_a_service_only_some_proxies_offer():
    probes = {NAMES[0]: fake_probe(5647, NAMES[0], protocol_ok=True, detail="AMQP header"),
              NAMES[1]: fake_probe(5647, reachable=False),
              NAMES[2]: fake_probe(5647, NAMES[2], protocol_ok=True, detail="AMQP header")}
    optional = proxies.service_results("PROXY_AMQP", 5647, "AMQP", states(), probes, False, LB)
    assert verdicts(optional) == {NAMES[0]: "unchanged", NAMES[1]: "warning",
                                  NAMES[2]: "unchanged"}
    assert "but proxy01, proxy03 do: the proxies differ" in optional[NAMES[1]].summary
    required = proxies.service_results("PROXY_AMQP", 5647, "AMQP", states(), probes, True, LB)
    assert verdicts(required)[NAMES[1]] == "failed"


def test_a_service_no_proxy_offers_is_skipped_unless_this_host_needs_it():
    probes = {name: fake_probe(5647, reachable=False) for name in NAMES}
    results = proxies.service_results("PROXY_AMQP", 5647, "AMQP", states(), probes, False, LB)
    assert set(verdicts(results).values()) == {"skipped"}
