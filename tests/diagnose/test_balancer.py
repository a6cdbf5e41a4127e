import itertools

from lbenroll.diagnose import balancer
from lbenroll.diagnose.hostconf import HostFacts, Repo
from lbenroll.diagnose.trust import KatelloCa
from tests.diagnose.conftest import CA, LB, fake_probe, http_probe

PORTS = {spec.number: spec for spec in balancer.PORTS}


def result_for(number, probes, required=True):
    return balancer._port_result(PORTS[number], "%s:%d" % (LB, number), LB, probes, required)


def test_a_port_every_proxy_answers_properly_passes_and_names_who_answered():
    result = result_for(9090, [fake_probe(9090, "proxy0%d.example.test" % n, protocol_ok=True,
                                          detail="HTTP 200") for n in (1, 2, 3)])
    assert result.status.value == "unchanged"
    assert result.summary.endswith("answered by proxy01, proxy02, proxy03")
    assert result.data == {"target": LB + ":9090", "port": 9090,
                           "answering": ["proxy01", "proxy02", "proxy03"]}


def test_an_unforwarded_port_fails_only_when_needed():
    down = [fake_probe(5647, reachable=False)]
    assert result_for(5647, down, required=True).status.value == "failed"
    skipped = result_for(5647, down, required=False)
    assert skipped.status.value == "skipped"
    assert "this host does not use AMQP for goferd" in skipped.summary


def test_a_certificate_without_the_balancer_name_names_the_proxy_and_the_cname_fix():
    probes = [fake_probe(443, names=["proxy09.example.test"])]
    result = result_for(443, probes)
    assert result.status.value == "failed"
    assert "the certificate of proxy09.example.test lacks the balancer name" in result.summary
    assert "--foreman-proxy-cname %s" % LB in result.remediation


def test_a_certificate_from_another_ca_on_some_connections_fails():
    probes = [fake_probe(8443), fake_probe(8443, chain_ok=False,
                                           error="CERTIFICATE_VERIFY_FAILED")]
    result = result_for(8443, probes)
    assert result.status.value == "failed"
    assert "1 of 2 connections" in result.summary and "another CA" in result.summary


def test_used_ports_come_from_the_host_files():
    facts = HostFacts()
    facts.rhsm = {"port": "8443"}
    facts.puppet = {"server": LB, "ca_server": LB, "ca_port": "8141"}
    facts.brokers = ["mqtts://%s:1883" % LB]
    assert balancer.used_ports(facts) == {8443, 8140, 8141, 1883}


def sticky(monkeypatch, answers):
    sequence = iter(answers)
    monkeypatch.setattr(balancer, "https_get", lambda *args, **kwargs: next(sequence))
    repo = Repo("hello", "https://%s/pulp/content/hello" % LB, 443,
                "/pulp/content/hello/repodata/repomd.xml", None)
    return balancer.check_sticky(LB, KatelloCa(CA, "served"), repo, 4, 5)


def test_443_answered_by_several_proxies_is_not_sticky_and_explains_the_404s(monkeypatch):
    proxies = itertools.cycle(["proxy01.example.test", "proxy02.example.test"])
    result = sticky(monkeypatch, [http_probe(443, 200, b"<repomd %d/>" % n, proxy=next(proxies))
                                  for n in range(4)])
    assert result.status.value == "failed"
    assert "answered by proxy01, proxy02 with 4 different answers" in result.summary
    assert "404s" in result.summary
    assert "balance source" in result.remediation


def test_443_answered_by_one_proxy_with_one_answer_is_sticky(monkeypatch):
    result = sticky(monkeypatch, [http_probe(443, 200, b"<repomd/>") for _ in range(4)])
    assert result.status.value == "unchanged"
    assert "all answered by proxy01, identical" in result.summary


def test_stickiness_is_not_judged_when_443_gives_no_answer(monkeypatch):
    result = sticky(monkeypatch, [fake_probe(443, names=["proxy09.example.test"])])
    assert result.status.value == "skipped"
    assert "proxy09.example.test, not %s" % LB in result.summary
