"""webget against a real TLS server on loopback: what it verifies, what it refuses, what it reads.

The server is Python's http.server behind an ssl context with a certificate of a CA made here
(the lab's openssl PKI helpers); every connection and request it sees is recorded, so a test can
say what reached it and what did not.
"""
import gzip
import http.server
import socket
import ssl
import threading

import pytest

from lbenroll import webget
from tests.lab.pki import make_ca, make_server_cert, read_pem

NAME = "localhost"


class Recorder(object):
    def __init__(self):
        self.connections = 0
        self.paths = []


def _server(certificate, routes, recorder, tls=True):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            recorder.connections += 1
            http.server.BaseHTTPRequestHandler.setup(self)

        def do_GET(self):
            recorder.paths.append(self.path)
            status, headers, body = routes.get(self.path, (404, {}, b"Not Found"))
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            # One request per connection, as the lab's proxies answer: a client that keeps
            # connections alive (requests) is not waited on after its answer.
            self.send_header("Connection", "close")
            self.close_connection = True
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True  # shutdown() never waits for a connection a client left open
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificate.cert, certificate.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("pki"))
    ca = make_ca(directory, "ca", "webget test CA")
    other = make_ca(directory, "other", "another CA")
    return {
        "ca": read_pem(ca.cert),
        "good": make_server_cert(directory, NAME, [NAME], ca),
        "foreign": make_server_cert(directory + "/foreign", NAME, [NAME], other),
        "misnamed": make_server_cert(directory + "/misnamed", "proxy01.example.test",
                                     ["proxy01.example.test"], ca),
    }


@pytest.fixture
def serve(pki, monkeypatch):
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)  # loopback only, never through a proxy
    started = []

    def start(routes, certificate="good", tls=True):
        recorder = Recorder()
        server = _server(pki[certificate], routes, recorder, tls)
        started.append(server)
        scheme = "https" if tls else "http"
        return "%s://%s:%d" % (scheme, NAME, server.server_address[1]), recorder
    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def get(pki, url, limit=1024, trust_system=False):
    return webget.get(url, 5, webget.context(pki["ca"], trust_system), limit)


def test_a_verified_get_returns_the_body(pki, serve):
    base, seen = serve({"/ssh/pubkey": (200, {}, b"ssh-rsa AAAA key\n")})
    assert get(pki, base + "/ssh/pubkey") == b"ssh-rsa AAAA key\n"
    assert seen.paths == ["/ssh/pubkey"]


def test_each_get_is_its_own_connection(pki, serve):
    # A TCP balancer picks a proxy per connection: a reused one would ask the same proxy again.
    base, seen = serve({"/k": (200, {}, b"k")})
    for _ in range(3):
        get(pki, base + "/k")
    assert seen.connections == 3


@pytest.mark.parametrize("certificate", ["foreign", "misnamed"])
def test_a_server_that_does_not_prove_itself_is_unverified(pki, serve, certificate):
    base, seen = serve({"/k": (200, {}, b"k")}, certificate=certificate)
    with pytest.raises(webget.GetError) as caught:
        get(pki, base + "/k")
    assert caught.value.unverified and caught.value.status is None
    assert seen.paths == []  # nothing was asked of it


def test_the_system_cas_do_not_vouch_for_a_katello_server_alone(pki, serve):
    base, _ = serve({"/k": (200, {}, b"k")}, certificate="foreign")
    with pytest.raises(webget.GetError) as caught:
        get(pki, base + "/k", trust_system=True)
    assert caught.value.unverified


@pytest.mark.parametrize("status", [404, 500, 204])
def test_an_answer_other_than_200_is_its_status(pki, serve, status):
    base, _ = serve({"/k": (status, {}, b"" if status == 204 else b"no")})
    with pytest.raises(webget.GetError) as caught:
        get(pki, base + "/k")
    assert caught.value.status == status and caught.value.reason == "HTTP %d" % status


def test_more_than_the_limit_is_too_large(pki, serve):
    base, _ = serve({"/k": (200, {}, b"x" * 1025)})
    with pytest.raises(webget.TooLarge, match="larger than 1024 bytes"):
        get(pki, base + "/k")
    assert get(pki, base + "/k", limit=1025) == b"x" * 1025


def test_a_gzip_answer_is_not_decoded(pki, serve):
    # Nothing asks for an encoding; one sent anyway is bytes that are not a key, never inflated.
    packed = gzip.compress(b"\0" * (1 << 20))
    base, _ = serve({"/k": (200, {"Content-Encoding": "gzip"}, packed)})
    assert get(pki, base + "/k", limit=len(packed)) == packed


def test_a_redirect_to_http_is_refused_before_asking_there(pki, serve):
    plain, plain_seen = serve({"/k": (200, {}, b"ssh-rsa AAAA planted\n")}, tls=False)
    base, _ = serve({"/k": (302, {"Location": plain + "/k"}, b"")})
    with pytest.raises(webget.GetError) as caught:
        get(pki, base + "/k")
    assert caught.value.status == 302
    assert plain_seen.connections == 0


def test_a_redirect_to_another_verified_https_url_is_followed(pki, serve):
    other, _ = serve({"/real": (200, {}, b"k")})
    base, _ = serve({"/k": (301, {"Location": other + "/real"}, b"")})
    assert get(pki, base + "/k") == b"k"


def test_a_redirect_to_an_unverified_https_server_is_unverified(pki, serve):
    other, other_seen = serve({"/real": (200, {}, b"k")}, certificate="foreign")
    base, _ = serve({"/k": (302, {"Location": other + "/real"}, b"")})
    with pytest.raises(webget.GetError) as caught:
        get(pki, base + "/k")
    assert caught.value.unverified and other_seen.paths == []


def test_nothing_listening_is_a_reason_not_a_traceback(pki):
    bound = socket.socket()  # bound, never listening: a connection to it is refused
    bound.bind(("127.0.0.1", 0))
    try:
        with pytest.raises(webget.GetError) as caught:
            get(pki, "https://127.0.0.1:%d/k" % bound.getsockname()[1])
    finally:
        bound.close()
    assert caught.value.reason == "connection refused" and not caught.value.unverified


def test_a_ca_that_does_not_load_is_bad_ca():
    with pytest.raises(webget.BadCa):
        webget.context("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
