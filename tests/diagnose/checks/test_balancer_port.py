from lbenroll.diagnose import balancer
from lbenroll.diagnose.checks import balancer_port
from tests.diagnose.conftest import LB, fake_probe

PORTS = {spec.number: spec for spec in balancer.PORTS}


def result_for(number, probes, required=True):
    return balancer_port._port_result(PORTS[number], "%s:%d" % (LB, number), LB, probes, required)


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


def test_mqtt_without_this_host_s_certificate_passes_and_says_the_connack_was_not_checked():
    probes = [fake_probe(1883, "proxy0%d.example.test" % n) for n in (1, 2)]
    for probe in probes:
        probe.unchecked = "there is no /etc/pki/consumer/cert.pem"
    result = result_for(1883, probes)
    assert result.status.value == "unchanged"
    assert result.summary.endswith("; the MQTT CONNACK was not checked: there is no "
                                   "/etc/pki/consumer/cert.pem")


def test_mqtt_presents_this_host_s_identity(monkeypatch, ctx):
    from lbenroll.brokers import yggdrasil_identity
    identity = yggdrasil_identity(ctx, None)
    presented = []

    def probe_presenting(who, *args):
        presented.append(who)
        return fake_probe(1883, protocol_ok=True, detail="MQTT CONNACK accepted"), None
    monkeypatch.setattr(balancer_port, "probe_presenting", probe_presenting)
    result = balancer_port.check_port(PORTS[1883], LB, "pem", 2, 1.0, True, identity=identity)
    assert presented == [identity, identity]
    assert result.status.value == "unchanged"
