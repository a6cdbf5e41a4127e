from lbenroll.diagnose import pullmode
from tests.diagnose.conftest import LB, fake_probe

NAMES = ["proxy01.example.test", "proxy02.example.test", "proxy03.example.test"]
BROKERS = ["mqtts://%s:1883" % LB]


def broker(name, fingerprint=None, reachable=True, names=None):
    probe = fake_probe(1883, name, reachable=reachable, protocol_ok=True,
                       detail="MQTT CONNACK accepted", names=names)
    if reachable:
        probe.fingerprint = fingerprint or ("f-" + name)
    return probe


def directs():
    return {name: broker(name) for name in NAMES}


def test_connections_spread_over_several_brokers_warn_with_the_consequence_and_fix():
    through = [broker(NAMES[n % 3]) for n in range(4)]
    result = pullmode.check_brokers(LB, BROKERS, 1883, through, directs())
    assert result.status.value == "warning"
    assert result.data["reached"] == ["proxy01", "proxy02", "proxy03"]
    assert ("4 connections from this host reached 3 different brokers (proxy01 2, proxy02 1, "
            "proxy03 1)") in result.summary
    assert "yggdrasil/<host>/data/in" in result.summary
    assert "mqtt_resend_interval" in result.summary
    assert "balance source" in result.remediation and "1883" in result.remediation


def test_one_broker_for_every_connection_passes_and_names_it():
    through = [broker(NAMES[1]) for _ in range(4)]
    result = pullmode.check_brokers(LB, BROKERS, 1883, through, directs())
    assert result.status.value == "unchanged"
    assert result.data["reached"] == ["proxy02"]
    assert ("4 connections all reached the broker of proxy02: this client stays on one broker "
            "and hears the pull-mode jobs that proxy02 runs (not those of proxy01, proxy03)"
            ) == result.summary
    assert result.detail == ["brokers answering directly: proxy01, proxy02, proxy03"]


def test_brokers_are_told_apart_by_their_certificate_when_it_names_no_proxy():
    # One certificate per proxy naming only the balancer: the fingerprints still differ.
    direct = {name: broker(name, "f%d" % n, names=[LB]) for n, name in enumerate(NAMES)}
    through = [broker(NAMES[0], "f0", names=[LB]), broker(NAMES[2], "f2", names=[LB])]
    result = pullmode.check_brokers(LB, BROKERS, 1883, through, direct)
    assert result.status.value == "warning"
    assert result.data["reached"] == ["proxy01", "proxy03"]


def test_without_yggdrasil_or_without_a_ca_nothing_is_checked():
    assert pullmode.check_brokers(LB, None, 1883, None, {}).status.value == "skipped"
    without_ca = pullmode.check_brokers(LB, BROKERS, 1883, None, {})
    assert without_ca.status.value == "skipped" and "Katello CA" in without_ca.summary


def test_a_balancer_port_that_does_not_answer_is_left_to_balancer_port():
    result = pullmode.check_brokers(LB, BROKERS, 1883, [broker(LB, reachable=False)], directs())
    assert result.status.value == "skipped"
    assert "connection refused" in result.summary and "BALANCER_PORT" in result.summary


def test_through_balancer_stops_at_the_first_connection_refused(monkeypatch):
    calls = []

    def probe(*args, **kwargs):
        calls.append(args)
        return broker(LB, reachable=False)
    monkeypatch.setattr(pullmode, "tls_probe", probe)
    assert len(pullmode.through_balancer(LB, 1883, "pem", 5, 1.0)) == 1
    assert len(calls) == 1


def test_the_broker_port_comes_from_yggdrasils_url_on_the_balancer():
    assert pullmode.broker_port(["mqtts://%s:8883" % LB], LB) == 8883
    assert pullmode.broker_port(["mqtts://proxy01.example.test:8883"], LB) == 1883
    assert pullmode.broker_port(None, LB) == 1883
