"""CHECK_MQTT probes each broker port yggdrasil's config.toml names on the balancer (the probe
itself is lab-tested) and reports the worst."""
import os

import pytest

from lbenroll.results import Result, Status
from lbenroll.steps import check_mqtt
from lbenroll.steps.check_mqtt import CheckMqtt
from tests.conftest import DATA, seed
from tests.steps.conftest import BALANCER, CA

CONFIG = "/etc/yggdrasil/config.toml"


def probed(monkeypatch, verdicts):
    """Replace the probe: {port: status}; returns the ports probed, in order."""
    ports = []

    def broker_result(step_id, run, port, service, exchange, identity):
        ports.append(port)
        return Result(step_id, verdicts.get(port, Status.UNCHANGED), "port %d" % port)
    monkeypatch.setattr(check_mqtt, "broker_result", broker_result)
    return ports


def test_every_broker_port_is_probed_and_the_worst_answer_is_the_result(make_run, root,
                                                                        monkeypatch):
    seed(root, {CONFIG: 'broker = ["mqtts://%s:8883", "mqtts://%s:1883", "mqtts://%s"]\n' % (
        BALANCER, BALANCER, BALANCER)})
    ports = probed(monkeypatch, {8883: Status.WARNING})
    result = CheckMqtt().run(make_run())
    assert ports == [1883, 8883]  # a URL without a port means 1883
    assert (result.id, result.status, result.summary) == ("CHECK_MQTT", Status.WARNING,
                                                          "port 8883")


def test_all_well_is_the_first_port_s_answer(make_run, root, monkeypatch):
    seed(root, {CONFIG: 'broker = ["mqtts://%s:1883"]\n' % BALANCER})
    assert probed(monkeypatch, {}) == []
    result = CheckMqtt().run(make_run())
    assert (result.status, result.summary) == (Status.UNCHANGED, "port 1883")


def test_without_a_broker_url_the_usual_port_is_probed(make_run, root, monkeypatch):
    seed(root, {CONFIG: "# no broker yet\n"})
    ports = probed(monkeypatch, {})
    CheckMqtt().run(make_run())
    assert ports == [1883]


def _identity_files(name):
    with open(os.path.join(DATA, "pki", "mqtt", name)) as f:
        return f.read()


@pytest.fixture
def answered(monkeypatch):
    """brokers' tls_probe replaced by a broker that answers CONNACK; records (port, the client
    certificate's bytes) per probe."""
    from lbenroll import brokers, probe
    asked = []

    def tls_probe(host, port, ca_pem, timeout=10.0, exchange=None, address=None,
                  client_cert=None):
        assert exchange is probe.mqtt_exchange and ca_pem == CA
        with open(client_cert[0]) as f:
            asked.append((port, f.read()))
        answer = probe.ProbeResult(host, port)
        answer.reachable, answer.chain_ok, answer.names = True, True, [host]
        answer.protocol_ok, answer.protocol_detail = True, "MQTT CONNACK accepted"
        return answer
    monkeypatch.setattr(brokers, "tls_probe", tls_probe)
    return asked


def enrolled(root):
    seed(root, {CONFIG: 'broker = ["mqtts://%s:8883", "mqtts://%s"]\n' % (BALANCER, BALANCER),
                "/etc/rhsm/ca/katello-server-ca.pem": CA,
                "/etc/pki/consumer/cert.pem": _identity_files("consumer.pem"),
                "/etc/pki/consumer/key.pem": _identity_files("consumer.key")})


def test_the_probe_of_each_broker_port_is_begun_early_and_taken_by_the_step(make_run, root,
                                                                           answered):
    enrolled(root)
    run = make_run()
    CheckMqtt().early(run)
    assert run.early.pending() == 2
    result = CheckMqtt().run(run)
    assert result.status == Status.UNCHANGED and run.early.pending() == 0
    cert = _identity_files("consumer.pem")
    assert sorted(answered) == [(1883, cert), (8883, cert)]  # each port once, early


def test_a_certificate_the_run_replaced_is_presented_again(make_run, root, answered):
    # REGISTER wrote a new consumer certificate after the probe began: asked again with it.
    enrolled(root)
    run = make_run()
    CheckMqtt().early(run)
    new = _identity_files("consumer.pem") + "\n"
    seed(root, {"/etc/pki/consumer/cert.pem": new})
    assert CheckMqtt().run(run).status == Status.UNCHANGED
    assert run.early.pending() == 2  # the early answers, for the old certificate, stay unused
    # The step's own probes presented the new one (an early probe that opened the file after
    # it was replaced may have presented it too: its answer is still not taken).
    assert {(1883, new), (8883, new)} <= set(answered)


def test_nothing_is_begun_early_without_yggdrasil_s_configuration(make_run):
    run = make_run()
    CheckMqtt().early(run)
    assert run.early.pending() == 0
