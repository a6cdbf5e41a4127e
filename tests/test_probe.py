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


def _served(answer):
    """Run http_exchange over a socket pair whose far end sends `answer` (bytes)."""
    import socket
    import threading
    from lbenroll.probe import http_exchange
    near, far = socket.socketpair()
    got = {}

    def server():
        got["request"] = far.recv(65536)
        far.sendall(answer)
        far.close()
    thread = threading.Thread(target=server)
    thread.start()
    try:
        result = http_exchange("smartproxy.example.test", "/pub/x", {"Accept": "text/plain"},
                               limit=10)(near)
    finally:
        thread.join()
        near.close()
    return got["request"], result


def test_http_exchange_presents_the_balancer_name_and_reads_the_answer():
    request, (ok, answer) = _served(b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n"
                                    b"X-Thing: a\r\n\r\nno\n")
    assert request.startswith(b"GET /pub/x HTTP/1.1\r\n")
    assert b"\r\nHost: smartproxy.example.test\r\n" in request
    assert b"\r\nAccept: text/plain\r\n" in request and b"*/*" not in request
    assert ok and (answer.status, answer.body, answer.complete) == (404, b"no\n", True)
    assert answer.headers["x-thing"] == "a" and str(answer) == "HTTP 404 Not Found"


def test_http_exchange_caps_the_body_and_says_so():
    _, (ok, answer) = _served(b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n" + b"x" * 20)
    assert ok and answer.body == b"x" * 10 and not answer.complete


def test_http_exchange_without_an_http_answer():
    _, (ok, detail) = _served(b"AMQP\x00\x01\x00\x00")
    assert not ok and detail.startswith("no HTTP answer")


def test_a_client_certificate_that_cannot_be_loaded_is_reported_before_connecting(tmp_path):
    from lbenroll.probe import tls_probe
    missing = str(tmp_path / "missing.pem")
    result = tls_probe("smartproxy.example.test", 443, None, client_cert=(missing, missing))
    assert not result.reachable
    assert result.error.startswith("cannot load the client certificate %s" % missing)
