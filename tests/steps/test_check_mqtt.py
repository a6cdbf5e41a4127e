"""CHECK_MQTT probes each broker port yggdrasil's config.toml names on the balancer (the probe
itself is lab-tested) and reports the worst."""
from lbenroll.results import Result, Status
from lbenroll.steps import check_mqtt
from lbenroll.steps.check_mqtt import CheckMqtt
from tests.conftest import seed
from tests.steps.conftest import BALANCER

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


def test_an_ipv6_broker_without_a_port_is_1883():
    assert check_mqtt._port("mqtts://[2001:db8::1]") == 1883
    assert check_mqtt._port("mqtts://[2001:db8::1]:8883") == 8883
