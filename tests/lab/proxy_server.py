#!/usr/bin/python3
"""Smart Proxy stand-in: one process serving one proxy's ports (/pub, /rhsm, /api, /pulp, 9090)."""
import html
import http.server
import importlib
import json
import mimetypes
import os
import ssl
import sys
import threading
import time
import traceback
import urllib.parse

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Which port serves what (lab-contract.md "Proxy stand-in").
PUB_PORTS = (80, 443)
RHSM_PORTS = (443, 8443)
FOREMAN_PORTS = (443, 8443)
FOREMAN_PREFIXES = ("/api/", "/katello/api/")
CONTENT_PORTS = (443,)
CONTENT_PREFIXES = ("/pulp/content/", "/pulp/repos/")
API_PORTS = (9090,)
ECHO_PORTS = (8000, 5000, 8140)

HTML_ERROR_PAGE = (b"<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>\n"
                   b"<body><h1>Service Unavailable</h1><p>The server is temporarily unable to "
                   b"service your request.</p></body></html>\n")
TRUNCATED_LENGTH = 100


class Proxy(object):
    """Configuration and shared state of one proxy: request log, faults, Candlepin."""

    def __init__(self, config):
        self.config = config
        self.name = config["name"]
        self._log_lock = threading.Lock()
        self._log = open(config["log"], "a", buffering=1)
        self._candlepin_lock = threading.Lock()
        self._candlepin = None
        self._foreman = None

    def faults(self):
        """The control file is read on every request so tests can flip faults at any time."""
        try:
            with open(self.config["control"]) as f:
                return json.load(f)
        except FileNotFoundError:
            return {}

    def candlepin(self):
        # Imported lazily: candlepin.py is another component and only /rhsm needs it.
        with self._candlepin_lock:
            if self._candlepin is None:
                if REPO_ROOT not in sys.path:
                    sys.path.insert(0, REPO_ROOT)
                module = importlib.import_module("tests.lab.candlepin")
                self._candlepin = module.Candlepin(
                    self.config["state_dir"], self.config["ca"], self.config["ca_key"], self.name)
            return self._candlepin

    def foreman(self):
        # Imported lazily like Candlepin; Foreman's state is shared by all proxies too.
        with self._candlepin_lock:
            if self._foreman is None:
                if REPO_ROOT not in sys.path:
                    sys.path.insert(0, REPO_ROOT)
                module = importlib.import_module("tests.lab.foreman")
                self._foreman = module.Foreman(self.config["state_dir"])
            return self._foreman

    def log_request(self, entry):
        with self._log_lock:
            self._log.write(json.dumps(entry, sort_keys=True) + "\n")


class ProxyHTTPServer(http.server.ThreadingHTTPServer):
    """One listening port of the proxy; TLS is set up per connection in the request thread."""

    daemon_threads = True

    def __init__(self, proxy, port, ssl_context):
        self.proxy = proxy
        self.port = port
        self.ssl_context = ssl_context
        super().__init__((proxy.config["address"], port), ProxyHandler)

    def finish_request(self, request, client_address):
        if self.ssl_context is None:
            return super().finish_request(request, client_address)
        # The handshake runs here, not in the accept loop, so a stalled client cannot block
        # the port. HAProxy's TCP health checks (connect, then close) fail right here.
        request.settimeout(30)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            tls.close()


def _remember_sni(tls_socket, server_name, context):
    tls_socket.lab_sni = server_name


def make_ssl_context(config):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(config["cert"], config["key"])
    # Like Apache's `SSLVerifyClient optional`: ask for a certificate, verify it if one is sent.
    context.verify_mode = ssl.CERT_OPTIONAL
    context.load_verify_locations(config["ca"])
    context.sni_callback = _remember_sni
    return context


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "lab-smart-proxy/1.0"

    def do_GET(self):
        self._dispatch("GET")

    def do_HEAD(self):
        self._dispatch("HEAD")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def log_message(self, format, *args):
        """Requests go to the JSONL log instead."""

    # -- plumbing -----------------------------------------------------------------------------

    @property
    def proxy(self):
        return self.server.proxy

    @property
    def port(self):
        return self.server.port

    def _peer_cert(self):
        """(PEM, CN) of the verified client certificate, or (None, None)."""
        if not isinstance(self.connection, ssl.SSLSocket):
            return None, None
        der = self.connection.getpeercert(binary_form=True)
        if not der:
            return None, None
        subject = dict(item for rdn in self.connection.getpeercert()["subject"] for item in rdn)
        return ssl.DER_cert_to_PEM_cert(der), subject.get("commonName")

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _log(self, method, status):
        # Written before the answer goes out, so a client that has its answer finds the entry.
        self._logged = True
        self.proxy.log_request({
            "ts": time.time(), "proxy": self.proxy.name, "port": self.port,
            "scheme": "https" if self.server.ssl_context else "http",
            "sni": getattr(self.connection, "lab_sni", None), "host": self.headers.get("Host"),
            "method": method, "path": self.path, "status": status, "client_cn": self._client_cn,
        })

    def _send(self, method, status, body, content_type="text/plain; charset=utf-8", headers=None):
        if not self._logged:
            self._log(method, status)
        self.send_response(status)
        for key, value in (headers or {}).items():
            if key.lower() not in ("content-length", "connection"):
                self.send_header(key, value)
        if content_type and not any(k.lower() == "content-type" for k in (headers or {})):
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        # One request per TCP connection keeps HAProxy's roundrobin deterministic.
        self.send_header("Connection", "close")
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(body)

    def _dispatch(self, method):
        self.close_connection = True
        self._logged = False
        url = urllib.parse.urlsplit(self.path)
        cert_pem, self._client_cn = self._peer_cert()
        try:
            self._route(method, url, cert_pem)
        except Exception:
            traceback.print_exc()
            sys.stderr.flush()
            if not self._logged:
                self._send(method, 500, b'{"displayMessage": "lab proxy internal error"}',
                           "application/json")
        if not self._logged:  # a fault closed the connection without an answer
            self._log(method, None)

    def _route(self, method, url, cert_pem):
        path = urllib.parse.unquote(url.path)
        if self.port in PUB_PORTS and path.startswith("/pub/"):
            return self._pub(method, path[len("/pub/"):])
        if self.port in RHSM_PORTS and (path == "/rhsm" or path.startswith("/rhsm/")):
            return self._rhsm(method, url, cert_pem)
        if self.port in FOREMAN_PORTS and path.startswith(FOREMAN_PREFIXES):
            return self._foreman(method, url)
        if self.port in CONTENT_PORTS and path.startswith(CONTENT_PREFIXES):
            return self._content(method, path, cert_pem)
        if self.port in CONTENT_PORTS and (path == "/v2" or path.startswith("/v2/")):
            return self._registry(method, cert_pem)
        if self.port in API_PORTS and path == "/ssh/pubkey":
            self._swap_for_link(self.proxy.faults().get("pubkey_swap"))
            return self._send(method, 200, self.proxy.config["ssh_pubkey"].encode())
        if self.port in API_PORTS and path == "/ssh/ca_pubkey":
            # smart_proxy_remote_execution_ssh answers 200 with an empty body when no
            # ssh_user_ca_public_key_file is set (api.rb); Lab.set_ssh_ca sets one.
            return self._send(method, 200, self.proxy.faults().get("ssh_ca", "").encode())
        if self.port in API_PORTS and path == "/features":
            return self._send(method, 200, json.dumps(self.proxy.config["features"]).encode(),
                              "application/json")
        if self.port in ECHO_PORTS:
            return self._send(method, 200, ("%s %s\n" % (self.proxy.name, self.port)).encode())
        return self._send(method, 404, b"Not Found\n")

    # -- routes -------------------------------------------------------------------------------

    @staticmethod
    def _swap_for_link(swap):
        """Fault pubkey_swap {"path", "link"}: while a client fetches a remote execution key,
        the directory path (on the host, outside the sandboxes' overlays) is moved aside and a
        symbolic link to link put in its place, as a user racing lbenroll would; once."""
        if not swap or os.path.islink(swap["path"]) or not os.path.isdir(swap["path"]):
            return
        try:
            os.rename(swap["path"], swap["path"] + ".moved")
            os.symlink(swap["link"], swap["path"])
        except OSError:
            pass  # another proxy's request swapped it first

    def _pub(self, method, relative):
        root = os.path.realpath(self.proxy.config["pub_dir"])
        target = os.path.realpath(os.path.join(root, relative))
        if target != root and not target.startswith(root + os.sep):
            return self._send(method, 404, b"Not Found\n")
        if os.path.isdir(target):
            return self._send(method, 200, _index_page(target, relative), "text/html")
        if not os.path.isfile(target):
            return self._send(method, 404, b"Not Found\n")
        fault = self.proxy.faults().get("pub")
        if fault == "html_error":
            return self._send(method, 200, HTML_ERROR_PAGE, "text/html")
        with open(target, "rb") as f:
            data = f.read()
        if fault == "truncated":
            data = data[:TRUNCATED_LENGTH]
        content_type = ("application/x-rpm" if target.endswith(".rpm")
                        else mimetypes.guess_type(target)[0] or "application/octet-stream")
        return self._send(method, 200, data, content_type)

    def _rhsm(self, method, url, cert_pem):
        fault = self.proxy.faults().get("rhsm")
        if fault == "unavailable":
            return None  # the connection is closed without an answer
        if fault == "error500":
            body = json.dumps({"displayMessage": "Candlepin is unavailable (lab fault)"})
            return self._send(method, 500, body.encode(), "application/json")
        body = self._body()
        status, headers, payload = self.proxy.candlepin().handle(
            method, url.path[len("/rhsm"):] or "/",
            urllib.parse.parse_qs(url.query, keep_blank_values=True),
            dict(self.headers.items()), body, cert_pem)
        return self._send(method, status, payload or b"", None, headers)

    def _foreman(self, method, url):
        if self.proxy.faults().get("foreman") == "error500":
            body = json.dumps({"error": {"message": "Internal Server Error (lab fault)"}})
            return self._send(method, 500, body.encode(), "application/json")
        status, headers, payload = self.proxy.foreman().handle(
            method, url.path, urllib.parse.parse_qs(url.query, keep_blank_values=True),
            dict(self.headers.items()), self._body(), proxy=self.proxy.name)
        return self._send(method, status, payload, None, headers)

    def _content(self, method, path, cert_pem):
        # Katello content needs an entitlement (client) certificate issued by its CA; the TLS
        # layer has already verified any certificate that was sent.
        if cert_pem is None:
            return self._send(method, 403, b"Forbidden: client certificate required\n")
        prefix = next(p for p in CONTENT_PREFIXES if path.startswith(p))
        root = os.path.realpath(self.proxy.config["content_dir"])
        target = os.path.realpath(os.path.join(root, path[len(prefix):]))
        if not target.startswith(root + os.sep) or not os.path.isfile(target):
            return self._send(method, 404, b"Not Found\n")
        with open(target, "rb") as f:
            data = f.read()
        content_type = mimetypes.guess_type(target)[0] or "application/octet-stream"
        return self._send(method, 200, data, content_type)


    def _registry(self, method, cert_pem):
        # The container registry (Katello's /v2 on the server, the container gateway on a
        # proxy): podman's first request is GET /v2/; a host certificate from the Katello CA
        # authenticates it (Katello 4.17+, registry_proxies_controller.rb), else 401.
        if cert_pem is None:
            return self._send(method, 401, b'{"errors": [{"code": "UNAUTHORIZED"}]}',
                              "application/json",
                              {"Www-Authenticate": 'Bearer realm="https://%s/v2/token"' % (
                                  self.proxy.name)})
        return self._send(method, 200, b"{}", "application/json",
                          {"Docker-Distribution-Api-Version": "registry/2.0"})


def _index_page(directory, relative):
    """A directory index like Apache's `Options +Indexes` on /pub."""
    title = html.escape("/pub/" + relative)
    rows = "".join('<li><a href="%s">%s</a></li>\n' % (urllib.parse.quote(name), html.escape(name))
                   for name in sorted(os.listdir(directory)))
    return ("<html><head><title>Index of %s</title></head><body><h1>Index of %s</h1>\n<ul>\n%s"
            "</ul></body></html>\n" % (title, title, rows)).encode()


def serve(config):
    proxy = Proxy(config)
    context = make_ssl_context(config)
    servers = [ProxyHTTPServer(proxy, port, None) for port in config["http_ports"]]
    servers += [ProxyHTTPServer(proxy, port, context) for port in config["https_ports"]]
    threads = [threading.Thread(target=s.serve_forever, name="port-%s" % s.port, daemon=True)
               for s in servers]
    for thread in threads:
        thread.start()
    # Every socket is bound and listening at this point; the lab waits for this line.
    print("ready %s pid=%d ports=%s" % (proxy.name, os.getpid(),
                                        ",".join(str(s.port) for s in servers)), flush=True)
    for thread in threads:
        thread.join()


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: %s CONFIG.json\n" % argv[0])
        return 64
    with open(argv[1]) as f:
        serve(json.load(f))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
