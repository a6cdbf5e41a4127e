"""The identity yggdrasil presents to its broker (brokers.yggdrasil_identity), how lbenroll
presents it (the files opened through diskio's walk), and the verdict of a broker probe that
got no answer after the TLS handshake. The probe against the real mosquitto is lab-tested
(tests/e2e/test_rex_pull.py); here a TLS server in a thread plays mosquitto with
require_certificate, on a socket pair (no network)."""
import os
import socket
import ssl
import threading

import pytest

from lbenroll.early import Early
from lbenroll import brokers, probe
from lbenroll.brokers import IdentityUnavailable, broker_result, yggdrasil_identity
from lbenroll.probe import mqtt_exchange, tls_probe
from lbenroll.results import Status
from lbenroll.writers.yggdrasil import top_level_strings
from tests.conftest import DATA, seed

PKI = os.path.join(DATA, "pki", "mqtt")
BALANCER = "smartproxy.example.test"
CONSUMER_CERT, CONSUMER_KEY = "/etc/pki/consumer/cert.pem", "/etc/pki/consumer/key.pem"


def pki(name):
    with open(os.path.join(PKI, name), "rb") as f:
        return f.read()


def with_consumer(root, key="consumer.key"):
    seed(root, {CONSUMER_CERT: pki("consumer.pem"), CONSUMER_KEY: pki(key)})


# -- which identity --------------------------------------------------------------------------

def test_config_toml_s_cert_file_and_key_file_are_the_identity(ctx):
    keys = top_level_strings('broker = ["mqtts://b:1883"]\ncert-file = "/etc/ygg/c.pem"\n'
                             'key-file = "/etc/ygg/k.pem"\n')
    identity = yggdrasil_identity(ctx, keys)
    assert (identity.cert, identity.key, identity.note) == ("/etc/ygg/c.pem", "/etc/ygg/k.pem",
                                                            None)
    assert identity.real_cert == ctx.path("/etc/ygg/c.pem")
    assert "cert-file" in str(identity)


def test_without_config_toml_the_consumer_identity_is_presented(ctx):
    identity = yggdrasil_identity(ctx, None)
    assert (identity.cert, identity.key, identity.note) == (CONSUMER_CERT, CONSUMER_KEY, None)


@pytest.mark.parametrize("text", ['broker = ["mqtts://b:1883"]\n',
                                  'cert-file = "/etc/ygg/c.pem"\n'])
def test_a_config_toml_without_both_keys_is_checked_with_the_consumer_identity_and_said(ctx,
                                                                                       text):
    # yggdrasil presents a certificate only with both keys set: say so, check as set up.
    identity = yggdrasil_identity(ctx, top_level_strings(text))
    assert (identity.cert, identity.key) == (CONSUMER_CERT, CONSUMER_KEY)
    assert "presents no certificate" in identity.note


# -- presenting it -----------------------------------------------------------------------------

def test_the_identity_is_handed_to_ssl_from_the_files_the_walk_opened(ctx, root):
    with_consumer(root)
    presented = brokers._Presented(yggdrasil_identity(ctx, None))
    with presented as pair:
        assert all(name.startswith("/proc/self/fd/") for name in pair)
        assert os.path.realpath(pair[1]) == os.path.realpath(ctx.path(CONSUMER_KEY))
        with open(pair[0], "rb") as f:
            assert f.read() == pki("consumer.pem")
    assert presented.files == []  # closed again: nothing of the key stays open


def test_a_host_not_registered_yet_has_no_identity_and_that_is_missing(ctx):
    with pytest.raises(IdentityUnavailable, match="there is no %s" % CONSUMER_CERT) as raised:
        brokers._Presented(yggdrasil_identity(ctx, None))
    assert raised.value.missing


def test_an_encrypted_key_is_refused_without_asking_for_a_pass_phrase(ctx, root):
    with_consumer(root, key="encrypted.key")
    with pytest.raises(IdentityUnavailable, match="unencrypted key") as raised:
        brokers._Presented(yggdrasil_identity(ctx, None))
    assert not raised.value.missing


def test_a_directory_where_the_certificate_belongs_is_refused(ctx, root):
    os.makedirs(ctx.path(CONSUMER_CERT))
    seed(root, {CONSUMER_KEY: pki("consumer.key")})
    with pytest.raises(IdentityUnavailable, match="cannot read %s: Is a directory" % CONSUMER_CERT):
        brokers._Presented(yggdrasil_identity(ctx, None))


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a directory to a user")
def test_a_link_a_user_made_is_not_followed_to_root_s_key(ctx, root):
    # config.toml names a certificate in a user's directory; the user links it to root's key.
    seed(root, {"/root/secret.key": pki("consumer.key"), "/home/bob/.keep": b""})
    os.chown(ctx.path("/home/bob"), 1234, 1235)
    os.symlink(ctx.path("/root/secret.key"), ctx.path("/home/bob/cert.pem"))
    os.lchown(ctx.path("/home/bob/cert.pem"), 1234, 1235)
    keys = {"cert-file": ["/home/bob/cert.pem"], "key-file": ["/home/bob/cert.pem"]}
    with pytest.raises(IdentityUnavailable) as raised:
        brokers._Presented(yggdrasil_identity(ctx, keys))
    assert "/home/bob/cert.pem" in str(raised.value) and not raised.value.missing


# -- a TLS 1.3 server that, as mosquitto with require_certificate, closes after the handshake ---

def _broker(client_ca):
    """A server context as Foreman's mosquitto: the broker's certificate, client certificates
    required from client_ca."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # TLS 1.3 only, as mosquitto and lbenroll agree on it: the client's handshake ends before
    # the server judges its certificate. (Python 3.6 has no minimum_version: OP_NO_*.)
    if hasattr(ssl, "TLSVersion"):
        context.minimum_version = ssl.TLSVersion.TLSv1_3
    else:
        context.options |= ssl.OP_NO_TLSv1 | ssl.OP_NO_TLSv1_1 | ssl.OP_NO_TLSv1_2
    context.load_cert_chain(os.path.join(PKI, "broker.pem"), os.path.join(PKI, "broker.key"))
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(client_ca)
    return context


@pytest.fixture
def broker_pair(monkeypatch):
    """tls_probe's connection is one end of a socket pair; the broker serves the other."""
    near, far = socket.socketpair()
    seen = {}

    def serve(client_ca):
        try:
            with _broker(client_ca).wrap_socket(far, server_side=True) as tls:
                seen["client"] = tls.getpeercert()
                packet = tls.recv(64)
                seen["connect"] = packet
                tls.sendall(b"\x20\x02\x00\x00")
                tls.recv(2)
        except (ssl.SSLError, OSError) as exc:
            seen["error"] = exc
        finally:
            far.close()

    def start(client_ca=None):
        client_ca = client_ca or os.path.join(PKI, "ca.pem")
        thread = threading.Thread(target=serve, args=(client_ca,))
        thread.start()
        return thread

    def connect(result, address, timeout):
        result.reachable = True
        near.settimeout(timeout)
        return near
    monkeypatch.setattr(probe, "_connect", connect)
    return start, seen


CA_PEM = pki("ca.pem").decode()


def test_without_a_client_certificate_the_probe_says_what_happened_after_the_handshake(
        broker_pair):
    start, seen = broker_pair
    thread = start()
    result = tls_probe(BALANCER, 1883, CA_PEM, 5, mqtt_exchange)
    thread.join(10)
    assert result.chain_ok and result.name_ok
    assert result.protocol_ok is False
    assert result.protocol_detail.startswith("the server closed the connection after the TLS "
                                             "handshake (")
    assert result.protocol_detail.endswith("it may require a client certificate")


def test_presenting_the_consumer_identity_gets_the_connack(broker_pair, ctx, root):
    start, seen = broker_pair
    with_consumer(root)
    thread = start()
    result, unavailable = brokers.probe_presenting(yggdrasil_identity(ctx, None), BALANCER,
                                                   1883, CA_PEM, 5, mqtt_exchange)
    thread.join(10)
    assert unavailable is None
    assert (result.protocol_ok, result.protocol_detail) == (True, "MQTT CONNACK accepted")
    assert dict(x[0] for x in seen["client"]["subject"])["commonName"] == (
        "1f0c5e1a-9d3b-4c1e-8f55-2d4b6a7c8e90")


def test_a_certificate_the_broker_does_not_accept_is_said_so(broker_pair, ctx, root):
    start, seen = broker_pair
    with_consumer(root)
    # The broker trusts another CA than the consumer certificate's.
    thread = start(client_ca=os.path.join(DATA, "pki", "ca.pem"))
    result, _ = brokers.probe_presenting(yggdrasil_identity(ctx, None), BALANCER, 1883, CA_PEM,
                                         5, mqtt_exchange)
    thread.join(10)
    assert result.protocol_ok is False
    assert "it may not accept the client certificate presented" in result.protocol_detail


# -- the step's verdict ------------------------------------------------------------------------

class _Options(object):
    timeout = 5


class _Run(object):
    def __init__(self, ctx):
        self.ctx = ctx
        self.balancer = BALANCER
        self.options = _Options()
        self.early = Early()

    def katello_ca(self):
        return CA_PEM


def _answered(monkeypatch, **fields):
    """broker_result's probe replaced: it saw a right certificate, then fields."""
    calls = []

    def fake_probe(host, port, ca_pem, timeout=10.0, exchange=None, address=None,
                   client_cert=None):
        calls.append({"exchange": exchange, "client_cert": client_cert})
        result = probe.ProbeResult(host, port)
        result.reachable, result.chain_ok, result.names = True, True, [BALANCER]
        for key, value in fields.items():
            setattr(result, key, value)
        return result
    monkeypatch.setattr(brokers, "tls_probe", fake_probe)
    return calls


def test_no_answer_and_no_detail_never_ends_a_message_in_none(monkeypatch, ctx):
    # What tls_probe gave for mosquitto's close after the handshake before it said so.
    _answered(monkeypatch, error="EOF occurred in violation of protocol (_ssl.c:2427)")
    result = broker_result("CHECK_MQTT", _Run(ctx), 1883, "yggdrasil (pull-mode REX)",
                           mqtt_exchange)
    assert result.status == Status.WARNING
    assert not result.summary.endswith("None")
    assert "EOF occurred in violation of protocol" in result.summary


def test_on_a_host_without_its_certificate_yet_the_connack_is_not_checked_nor_warned(
        monkeypatch, ctx):
    calls = _answered(monkeypatch)
    result = broker_result("CHECK_MQTT", _Run(ctx), 1883, "yggdrasil (pull-mode REX)",
                           mqtt_exchange, yggdrasil_identity(ctx, None))
    assert calls == [{"exchange": None, "client_cert": None}]  # no CONNECT without it
    assert result.status == Status.UNCHANGED
    assert result.summary == ("%s:1883 presents a valid certificate naming the balancer; the "
                              "MQTT CONNACK was not checked: there is no %s" % (
                                  BALANCER, CONSUMER_CERT))


def test_an_identity_that_cannot_be_presented_is_a_warning(monkeypatch, ctx, root):
    with_consumer(root, key="encrypted.key")
    _answered(monkeypatch)
    result = broker_result("CHECK_MQTT", _Run(ctx), 1883, "yggdrasil (pull-mode REX)",
                           mqtt_exchange, yggdrasil_identity(ctx, None))
    assert result.status == Status.WARNING
    assert "MQTT CONNACK was not checked" in result.summary
    assert CONSUMER_KEY in result.remediation


def test_the_connack_with_the_identity_is_unchanged_and_names_what_was_presented(
        monkeypatch, ctx, root):
    with_consumer(root)
    calls = _answered(monkeypatch, protocol_ok=True, protocol_detail="MQTT CONNACK accepted")
    result = broker_result("CHECK_MQTT", _Run(ctx), 1883, "yggdrasil (pull-mode REX)",
                           mqtt_exchange, yggdrasil_identity(ctx, None))
    assert result.status == Status.UNCHANGED
    assert result.detail[0] == "MQTT CONNACK accepted"
    assert "presented %s" % CONSUMER_CERT in result.detail[1]
    assert calls[0]["client_cert"][0].startswith("/proc/self/fd/")


def test_the_private_key_s_bytes_are_in_no_message(monkeypatch, ctx, root):
    with_consumer(root, key="encrypted.key")
    _answered(monkeypatch)
    result = broker_result("CHECK_MQTT", _Run(ctx), 1883, "yggdrasil (pull-mode REX)",
                           mqtt_exchange, yggdrasil_identity(ctx, None))
    text = " ".join([result.summary, result.remediation or ""] + result.detail)
    assert "PRIVATE KEY" not in text
