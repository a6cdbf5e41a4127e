"""Tests of the lab's real services (tests/lab/services.py) on private 127.0.9.x addresses."""
import json
import os
import shutil
import socket
import ssl
import subprocess
import textwrap

import pytest

from tests.lab.daemon import wait_until
from tests.lab.services import (
    SYSTEM_PYTHON, client_puppet_conf, puppet_ssl_bootstrap, start_amqp, start_mosquitto,
    start_puppetserver)

AMQP_HEADER = b"AMQP\x00\x01\x00\x00"
SASL_HEADER = b"AMQP\x03\x01\x00\x00"
BALANCER = "balancer9.example.test"
# name -> address for this file only; the lab itself uses 127.0.1.x and 127.0.2.x.
HOSTS = {
    "amqp91.example.test": "127.0.9.1",
    "amqp92.example.test": "127.0.9.2",
    "mqtt93.example.test": "127.0.9.3",
    "mqtt94.example.test": "127.0.9.4",
    "puppet9.example.test": "127.0.9.10",
    "puppetca9.example.test": "127.0.9.10",
    BALANCER: "127.0.9.1",
}


# P-256 keys: generating RSA keys would dominate the run time of the fast tests.
NEW_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")


def openssl(*args):
    subprocess.run(("openssl",) + args, check=True, capture_output=True)


class ThrowawayPki(object):
    """A throw-away CA and certificates made with the openssl CLI."""

    def __init__(self, directory):
        self.dir = directory
        self.ca = os.path.join(directory, "ca.pem")
        self.ca_key = os.path.join(directory, "ca.key")
        openssl("req", "-x509", *NEW_KEY, "-days", "2", "-subj", "/CN=Services Test CA",
                "-keyout", self.ca_key, "-out", self.ca,
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def issue(self, name, sans=(), usage="serverAuth"):
        """Sign a certificate for name (plus extra DNS SANs); returns (cert, key) paths."""
        base = os.path.join(self.dir, name)
        cert, key, csr, ext = base + ".pem", base + ".key", base + ".csr", base + ".ext"
        openssl("req", *NEW_KEY, "-subj", "/CN=%s" % name, "-keyout", key, "-out", csr)
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\nextendedKeyUsage=%s\nsubjectAltName=%s\n" % (
                usage, ",".join("DNS:%s" % san for san in (name,) + tuple(sans))))
        openssl("x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", self.ca_key,
                "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", cert)
        return cert, key


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("services"))


@pytest.fixture(scope="module")
def pki(workdir):
    directory = os.path.join(workdir, "pki")
    os.makedirs(directory)
    return ThrowawayPki(directory)


@pytest.fixture(scope="module")
def hosts_prefix(workdir):
    """argv prefix running a command with HOSTS resolvable (private mount namespace)."""
    path = os.path.join(workdir, "hosts")
    shutil.copy("/etc/hosts", path)
    with open(path, "a") as f:
        f.writelines("%s %s\n" % (address, name) for name, address in HOSTS.items())
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            'mount --bind "$0" /etc/hosts && exec "$@"', path]


def tls_connect(address, port, ca, server_name, client_cert=None):
    context = ssl.create_default_context(cafile=ca)
    if client_cert:
        context.load_cert_chain(*client_cert)
    raw = socket.create_connection((address, port), timeout=10)
    return context.wrap_socket(raw, server_hostname=server_name)


def recv_exactly(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def read_events(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def events_of(path, event, **fields):
    return [e for e in read_events(path)
            if e["event"] == event and all(e.get(k) == v for k, v in fields.items())]


@pytest.fixture(scope="module")
def amqp(workdir, pki):
    # amqp91 carries the balancer name like a proxy's certificate; amqp92 lacks it (like
    # proxy09), which shows that each listener presents its own certificate.
    cert1, key1 = pki.issue("amqp91.example.test", sans=[BALANCER])
    cert2, key2 = pki.issue("amqp92.example.test")
    log_path = os.path.join(workdir, "amqp.jsonl")
    daemon = start_amqp(workdir, [("127.0.9.1", 5647, cert1, key1),
                                  ("127.0.9.2", 5647, cert2, key2)], pki.ca, log_path)
    yield log_path
    daemon.stop()


def test_amqp_answers_protocol_headers_over_verified_tls(amqp, pki):
    # A bare TCP connect and close, like HAProxy's health check, must not be logged.
    with socket.create_connection(("127.0.9.1", 5647), timeout=10) as probe:
        probe_peer = "%s:%s" % probe.getsockname()

    with tls_connect("127.0.9.1", 5647, pki.ca, BALANCER) as tls:
        tls.sendall(AMQP_HEADER)
        assert recv_exactly(tls, 8) == AMQP_HEADER
        peer = "%s:%s" % tls.getsockname()
    with tls_connect("127.0.9.2", 5647, pki.ca, "amqp92.example.test") as tls:
        tls.sendall(SASL_HEADER)
        assert recv_exactly(tls, 8) == SASL_HEADER

    wait_until(lambda: events_of(amqp, "closed", peer=peer), 10, "closed event for " + peer)
    assert events_of(amqp, "tls", listener="127.0.9.1:5647", peer=peer, sni=BALANCER,
                     client_subject=None)
    assert events_of(amqp, "tls", listener="127.0.9.2:5647", sni="amqp92.example.test")
    assert not events_of(amqp, "tls_error", peer=probe_peer)


def test_amqp_listener_presents_its_own_certificate(amqp, pki):
    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        tls_connect("127.0.9.2", 5647, pki.ca, BALANCER)
    with tls_connect("127.0.9.1", 5647, pki.ca, BALANCER) as tls:
        assert dict(x[0] for x in tls.getpeercert()["subject"]) == {
            "commonName": "amqp91.example.test"}


def test_amqp_logs_tls_errors_of_non_tls_clients(amqp):
    with socket.create_connection(("127.0.9.2", 5647), timeout=10) as raw:
        raw.sendall(b"GET / HTTP/1.0\r\n\r\n")
    wait_until(lambda: events_of(amqp, "tls_error", listener="127.0.9.2:5647"), 10,
               "tls_error event")


PROTON_CLIENT = textwrap.dedent("""\
    import sys
    from proton import Message, SSLDomain
    from proton.utils import BlockingConnection
    url, ca, cert, key, address, body = sys.argv[1:]
    domain = SSLDomain(SSLDomain.MODE_CLIENT)
    domain.set_trusted_ca_db(ca)
    domain.set_peer_authentication(SSLDomain.VERIFY_PEER_NAME, ca)
    domain.set_credentials(cert, key, None)
    connection = BlockingConnection(url, ssl_domain=domain, timeout=20)
    connection.create_sender(address).send(Message(body=body))
    connection.close()
""")


def test_amqp_proton_client_sends_message_that_is_logged(amqp, pki, hosts_prefix):
    client_cert, client_key = pki.issue("client91.example.test", usage="clientAuth")
    argv = hosts_prefix + [SYSTEM_PYTHON, "-c", PROTON_CLIENT, "amqps://%s:5647" % BALANCER,
                           pki.ca, client_cert, client_key, "pulp.agent.c91", "hello 91"]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr

    opened = events_of(amqp, "open", listener="127.0.9.1:5647", hostname=BALANCER)
    assert [e["client_subject"] for e in opened] == ["CN=client91.example.test"]
    peer = opened[0]["peer"]
    assert events_of(amqp, "message", peer=peer, address="pulp.agent.c91", body="hello 91")


def mqtt_connect_packet(client_id):
    """MQTT 3.1.1 CONNECT: clean session, keep-alive 60 s, no credentials."""
    payload = len(client_id).to_bytes(2, "big") + client_id
    variable = b"\x00\x04MQTT\x04\x02\x00\x3c"
    return bytes([0x10, len(variable) + len(payload)]) + variable + payload


@pytest.fixture(scope="module")
def mosquitto(workdir, pki):
    # Each listener's certificate is its proxy's, for clients too (as foreman-proxy-certs
    # makes them): its CN is the ACL's user that writes every host's job topic.
    cert3, key3 = pki.issue("mqtt93.example.test", sans=[BALANCER],
                            usage="serverAuth,clientAuth")
    cert4, key4 = pki.issue("mqtt94.example.test", usage="serverAuth,clientAuth")
    daemon = start_mosquitto(workdir, [("127.0.9.3", 1883, cert3, key3),
                                       ("127.0.9.4", 1883, cert4, key4)], pki.ca)
    yield daemon
    daemon.stop()


@pytest.fixture(scope="module")
def host_cert(pki):
    """A host's certificate from the CA mosquitto trusts, as a consumer certificate is."""
    return pki.issue("client95.example.test", usage="clientAuth")


@pytest.mark.parametrize("address,name", [("127.0.9.3", BALANCER),
                                          ("127.0.9.4", "mqtt94.example.test")])
def test_mosquitto_accepts_mqtt_over_tls(mosquitto, pki, host_cert, address, name):
    with tls_connect(address, 1883, pki.ca, name, host_cert) as tls:
        tls.sendall(mqtt_connect_packet(b"lab-test-" + address.encode()))
        # CONNACK, session-present 0, return code 0 (accepted).
        assert recv_exactly(tls, 4) == b"\x20\x02\x00\x00"


def test_mosquitto_requires_a_client_certificate(mosquitto, pki):
    # As Foreman's: with TLS 1.3 the handshake completes, then the broker closes the
    # connection instead of answering the CONNECT.
    with tls_connect("127.0.9.3", 1883, pki.ca, BALANCER) as tls:
        assert tls.version() == "TLSv1.3"
        with pytest.raises((ssl.SSLError, ConnectionError)):
            tls.sendall(mqtt_connect_packet(b"lab-test-anonymous"))
            assert recv_exactly(tls, 4) != b"\x20\x02\x00\x00"
            raise ConnectionError("the broker closed the connection")


def mosquitto_client(tool, cert, *args):
    """argv of mosquitto_pub or _sub to mqtt93's listener by address, presenting cert."""
    return ["stdbuf", "-oL", tool, "-h", "127.0.9.3", "-p", "1883", "--insecure", "-V",
            "mqttv311", "--cafile", cert[2], "--cert", cert[0], "--key", cert[1]] + list(args)


def test_mosquitto_acl_lets_the_proxy_announce_jobs_and_nobody_else(mosquitto, pki, host_cert):
    # The host subscribes to its own job topic; another host's publish there is dropped, the
    # proxy's (its FQDN is the ACL's user) arrives: the first message the host gets is the
    # proxy's, though the other host's was published first.
    topic = "yggdrasil/client95.example.test/data/in"
    host = host_cert + (pki.ca,)
    other = pki.issue("client96.example.test", usage="clientAuth") + (pki.ca,)
    proxy = (os.path.join(pki.dir, "mqtt93.example.test.pem"),
             os.path.join(pki.dir, "mqtt93.example.test.key"), pki.ca)
    sub = subprocess.Popen(mosquitto_client("mosquitto_sub", host, "-d", "-t", topic, "-q", "1",
                                            "-C", "1", "-W", "20"),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        seen = []
        for line in sub.stdout:
            seen.append(line)
            if "received SUBACK" in line:
                break
        assert "received SUBACK" in "".join(seen), seen
        for cert, message in ((other, "from another host"), (proxy, "from the proxy")):
            subprocess.run(mosquitto_client("mosquitto_pub", cert, "-t", topic, "-q", "1",
                                            "-m", message), check=True, timeout=20)
        out, _ = sub.communicate(timeout=30)
    finally:
        if sub.poll() is None:
            sub.kill()
            sub.wait()
    received = [line for line in out.splitlines() if line.startswith("from ")]
    assert received == ["from the proxy"], out


def test_mosquitto_listener_presents_its_own_certificate(mosquitto, pki):
    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        tls_connect("127.0.9.4", 1883, pki.ca, BALANCER)


@pytest.mark.slow
def test_puppetserver_signs_a_real_certificate_request(workdir, hosts_prefix):
    server = start_puppetserver(workdir, "127.0.9.10", 8140, "puppet9.example.test",
                                ["puppetca9.example.test"])
    try:
        server.wait_ready()
        # Bound to its own address only (the packaged default is 0.0.0.0).
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.9.11", 8140), timeout=10)

        client_dir = os.path.join(workdir, "client91")
        # By the alternative name, which the server certificate must carry.
        conf = client_puppet_conf(client_dir, "client91.example.test", "puppetca9.example.test")
        argv = puppet_ssl_bootstrap(os.path.dirname(conf), conf, run_in=hosts_prefix)
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Completed SSL initialization" in result.stdout

        client_cert = os.path.join(client_dir, "ssl", "certs", "client91.example.test.pem")
        verify = subprocess.run(["openssl", "verify", "-CAfile", server.ca_cert_path,
                                 client_cert], capture_output=True, text=True)
        assert verify.returncode == 0, verify.stdout + verify.stderr
        assert os.path.exists(os.path.join(server.cadir, "signed", "client91.example.test.pem"))
    finally:
        server.stop()
