"""The insights-client stand-in (bin/insights-client) against a throw-away root: registration
state in /etc/insights-client/.registered, upstream's exit codes, and the base_url auto_config
derives from rhsm.conf (docs/katello-client-facts.md, "OpenSCAP and Insights through the
balancer"). The "Satellite" is a TLS listener on localhost with a certificate of a test CA."""
import json
import os
import socket
import ssl
import subprocess
import sys
import threading

import pytest

from tests.lab import pki

STAND_IN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin", "insights-client")
REGISTERED = "etc/insights-client/.registered"
UNREGISTERED = "etc/insights-client/.unregistered"


def insights(root, *args):
    env = dict(os.environ, LAB_INSIGHTS_ROOT=str(root))
    return subprocess.run([sys.executable, STAND_IN] + list(args), env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=30)


def calls(root):
    with open(os.path.join(str(root), "var/log/insights-client/lab-calls.jsonl")) as f:
        return [json.loads(line) for line in f]


def write(root, path, text):
    real = os.path.join(str(root), path)
    os.makedirs(os.path.dirname(real), exist_ok=True)
    with open(real, "w") as f:
        f.write(text)


@pytest.fixture
def satellite(tmp_path):
    """A TLS listener on localhost (accepts, handshakes, closes) and its CA file."""
    ca = pki.make_ca(str(tmp_path / "pki"), "ca", "Insights test CA")
    cert = pki.make_server_cert(str(tmp_path / "pki"), "localhost", ["localhost"], ca)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert.cert, cert.key)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(conn, server_side=True):
                    pass
            except (OSError, ssl.SSLError):
                conn.close()
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], ca.cert
    stop.set()
    server.close()
    thread.join(5)


def registered_with_rhsm(root, port, ca_file):
    write(root, "etc/pki/consumer/cert.pem", "consumer certificate\n")
    write(root, "etc/rhsm/ca/katello-server-ca.pem", open(ca_file).read())
    write(root, "etc/rhsm/rhsm.conf", "[server]\nhostname = localhost\nport = %d\n\n[rhsm]\n"
          "ca_cert_dir = /etc/rhsm/ca/\nrepo_ca_cert = %%(ca_cert_dir)skatello-server-ca.pem\n"
          % port)


def test_register_follows_rhsm_conf_once_then_unregister(tmp_path, satellite):
    port, ca_file = satellite
    registered_with_rhsm(tmp_path, port, ca_file)
    assert insights(tmp_path, "--status").returncode == 1
    proc = insights(tmp_path, "--register")
    assert proc.returncode == 0, proc.stdout
    assert os.path.exists(os.path.join(str(tmp_path), REGISTERED))
    assert calls(tmp_path)[-1]["base_url"] == "localhost:%d/redhat_access/r/insights" % port
    again = insights(tmp_path, "--register")
    assert again.returncode == 0 and "already been registered" in again.stdout
    assert insights(tmp_path, "--status").returncode == 0
    assert insights(tmp_path, "--unregister").returncode == 0
    assert not os.path.exists(os.path.join(str(tmp_path), REGISTERED))
    assert os.path.exists(os.path.join(str(tmp_path), UNREGISTERED))
    assert insights(tmp_path, "--unregister").returncode == 1  # not registered


def test_auto_config_off_uses_the_file_base_url(tmp_path, satellite):
    port, ca_file = satellite
    registered_with_rhsm(tmp_path, port, ca_file)
    write(tmp_path, "etc/insights-client/insights-client.conf",
          "[insights-client]\nauto_config=False\nbase_url=127.0.0.1:1/r/insights\n")
    proc = insights(tmp_path, "--register")
    assert proc.returncode == 1 and "Could not connect" in proc.stdout
    assert calls(tmp_path)[-1]["base_url"] == "127.0.0.1:1/r/insights"
    assert not os.path.exists(os.path.join(str(tmp_path), REGISTERED))


def test_without_a_consumer_certificate_it_is_red_hat_and_unreachable_here(tmp_path):
    proc = insights(tmp_path, "--register")
    assert proc.returncode == 1
    assert calls(tmp_path)[-1]["base_url"] == "cert-api.access.redhat.com:443/r/insights"
