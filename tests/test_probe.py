from lbenroll.probe import MQTT_CONNECT, ProbeResult, name_matches


def test_name_matches_exact_and_case_insensitive():
    assert name_matches("SmartProxy.Example.Test", "smartproxy.example.test")
    assert not name_matches("proxy01.example.test", "smartproxy.example.test")


def test_wildcard_matches_one_label_only():
    assert name_matches("*.example.test", "smartproxy.example.test")
    assert not name_matches("*.example.test", "a.b.example.test")
    assert not name_matches("*.example.test", "example.test")


def test_other_names_tell_the_answering_proxy():
    probe = ProbeResult("smartproxy.example.test", 443)
    probe.names = ["proxy02.example.test", "smartproxy.example.test"]
    assert probe.name_ok
    assert probe.other_names() == ["proxy02.example.test"]


def test_mqtt_connect_packet_is_well_formed():
    # fixed header, remaining length, then "MQTT" level 4
    assert MQTT_CONNECT[0] == 0x10
    assert MQTT_CONNECT[1] == len(MQTT_CONNECT) - 2
    assert MQTT_CONNECT[2:8] == b"\x00\x04MQTT" and MQTT_CONNECT[8] == 4
