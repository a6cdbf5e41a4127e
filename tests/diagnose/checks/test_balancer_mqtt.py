import concurrent.futures

from lbenroll.context import Context
from lbenroll.diagnose import diagnosis, hostconf, proxies
from lbenroll.diagnose.checks import balancer_mqtt
from tests.conftest import seed
from tests.diagnose.conftest import CA, LB, fake_probe

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
    result = balancer_mqtt.check_brokers(LB, BROKERS, 1883, through, directs())
    assert result.status.value == "warning"
    assert result.data["reached"] == ["proxy01", "proxy02", "proxy03"]
    assert ("4 connections from this host reached 3 different brokers (proxy01 2, proxy02 1, "
            "proxy03 1)") in result.summary
    assert "yggdrasil/<host>/data/in" in result.summary
    assert "mqtt_resend_interval" in result.summary
    assert "balance source" in result.remediation and "1883" in result.remediation


def test_one_broker_for_every_connection_passes_and_names_it():
    through = [broker(NAMES[1]) for _ in range(4)]
    result = balancer_mqtt.check_brokers(LB, BROKERS, 1883, through, directs())
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
    result = balancer_mqtt.check_brokers(LB, BROKERS, 1883, through, direct)
    assert result.status.value == "warning"
    assert result.data["reached"] == ["proxy01", "proxy03"]


def test_without_yggdrasil_or_without_a_ca_nothing_is_checked():
    assert balancer_mqtt.check_brokers(LB, None, 1883, None, {}).status.value == "skipped"
    without_ca = balancer_mqtt.check_brokers(LB, BROKERS, 1883, None, {})
    assert without_ca.status.value == "skipped" and "Katello CA" in without_ca.summary


def test_a_balancer_port_that_does_not_answer_is_left_to_balancer_port():
    result = balancer_mqtt.check_brokers(LB, BROKERS, 1883, [broker(LB, reachable=False)],
                                         directs())
    assert result.status.value == "skipped"
    assert "connection refused" in result.summary and "BALANCER_PORT" in result.summary


def test_through_balancer_stops_at_the_first_connection_refused(monkeypatch):
    calls = []

    def probe(*args, **kwargs):
        calls.append(args)
        return broker(LB, reachable=False), None
    monkeypatch.setattr(balancer_mqtt, "probe_presenting", probe)
    assert len(balancer_mqtt.through_balancer(LB, 1883, "pem", 5, 1.0)) == 1
    assert len(calls) == 1


def test_the_connack_not_checked_for_want_of_a_certificate_is_said_not_failed():
    through = [broker("proxy02.example.test") for _ in range(4)]
    for probe in through:
        probe.protocol_ok, probe.protocol_detail = None, None
        probe.unchecked = "there is no /etc/pki/consumer/cert.pem"
    result = balancer_mqtt.check_brokers(LB, BROKERS, 1883, through, directs())
    assert result.status.value == "unchanged"  # diagnose's pass
    assert result.detail[-1] == ("the MQTT CONNACK was not checked: there is no "
                                 "/etc/pki/consumer/cert.pem")


def test_a_refused_connect_is_told_in_the_detail():
    through = [broker("proxy02.example.test") for _ in range(2)]
    through[1].protocol_ok = False
    through[1].protocol_detail = "MQTT CONNACK refused the connection: return code 5"
    result = balancer_mqtt.check_brokers(LB, BROKERS, 1883, through, directs())
    assert result.detail[-1] == ("1 of 2 MQTT CONNECTs not accepted: MQTT CONNACK refused the "
                                 "connection: return code 5")


def test_the_broker_port_comes_from_yggdrasils_url_on_the_balancer():
    assert balancer_mqtt.broker_port(["mqtts://%s:8883" % LB], LB) == 8883
    assert balancer_mqtt.broker_port(["mqtts://proxy01.example.test:8883"], LB) == 1883
    assert balancer_mqtt.broker_port(None, LB) == 1883


def known_for(root, files, states, submit):
    """What round one found, on a host seeded with files, for proxies states."""
    seed(root, files)
    known = diagnosis.Known(LB, 5, hostconf.read_host(Context(root=str(root))), submit, states)
    known.katello_pem = CA
    return known


def at_once(function, *args):
    """submit, but on this thread: the future is done when it is returned."""
    future = concurrent.futures.Future()
    future.set_result(function(*args))
    return future


def test_pull_mode_is_not_checked_without_yggdrasil_and_makes_no_connection(root):
    def no_request(*args):
        raise AssertionError("a connection without yggdrasil: %r" % (args,))
    known = known_for(root, {}, [], no_request)
    assert balancer_mqtt.start(known) is None
    [result] = balancer_mqtt.judge(known, None)
    assert (result.id, result.status.value) == ("BALANCER_MQTT", "skipped")
    assert "no /etc/yggdrasil/config.toml" in result.summary


def test_pull_mode_connects_through_the_balancer_and_to_each_resolved_proxy(monkeypatch, root):
    calls = []
    monkeypatch.setattr(balancer_mqtt, "through_balancer", lambda *args: calls.append(
        ("balancer",) + args[1:4] + (args[5].cert,)) or [])
    monkeypatch.setattr(balancer_mqtt, "direct", lambda proxy, *args: calls.append(
        ("direct", proxy.name, args[-1].cert)) or fake_probe(1883, reachable=False))
    states = [proxies.ProxyState("proxy01.example.test", "127.0.2.1"),
              proxies.ProxyState("proxy02.example.test", None, "does not resolve")]
    known = known_for(root, {"/etc/yggdrasil/config.toml": 'broker = ["mqtts://%s:1883"]\n' % LB},
                      states, at_once)
    through, directs = balancer_mqtt.start(known)
    [result] = balancer_mqtt.judge(known, (through.result(), {
        name: future.result() for name, future in directs.items()}))
    # Each presents this host's identity as yggdrasil does (no cert-file: the consumer's).
    assert sorted(calls) == [("balancer", 1883, CA, 4, "/etc/pki/consumer/cert.pem"),
                             ("direct", "proxy01.example.test", "/etc/pki/consumer/cert.pem")]
    assert result.status.value == "skipped"  # no broker answered through the balancer
