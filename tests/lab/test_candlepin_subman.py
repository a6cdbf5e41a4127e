"""Tests of the Candlepin subset and the subscription-manager stand-in over real HTTPS.

The stand-in runs as a subprocess against a throw-away root (LAB_SUBMAN_ROOT) inside a private
mount namespace whose /etc/hosts is a bind-mounted file naming the test servers, so it connects
by hostname exactly as on a client host. Servers listen on 127.0.9.x only.
"""
import base64
import http.server
import json
import os
import re
import shutil
import socket
import ssl
import stat
import subprocess
import threading
import time
import types
import urllib.parse

import pytest

from tests.lab.candlepin import Candlepin

LAB_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(LAB_DIR))
SUBMAN = os.path.join(LAB_DIR, "bin", "subscription-manager")
SYSTEMCTL = os.path.join(LAB_DIR, "bin", "systemctl")
SHIPPED_CONF = os.path.join(LAB_DIR, "files", "rhsm.conf")

GOOD_ADDRESS = "127.0.9.10"       # lb.example.test, proxy-a.example.test (nosan: not in cert)
UNTRUSTED_ADDRESS = "127.0.9.11"  # untrusted.example.test: certificate from an unknown CA
DOWN_ADDRESS = "127.0.9.12"       # down.example.test: port bound, nobody listening
ORG = "ACME"
KEY = "ak-lab"
HELLO = {"label": "ACME_Lab_hello", "name": "hello", "path": "/ACME/Library/custom/Lab/hello",
         "gpg_url": None, "enabled": True}
SIGNED = {"label": "ACME_Lab_signed", "name": "signed",
          "path": "/ACME/Library/custom/Lab/signed/$releasever",
          "gpg_url": "/katello/api/repositories/7/gpg_key_content", "enabled": False}


def stand_in():
    """The stand-in as a module; compiled by hand so no bytecode lands beside it in bin/."""
    module = types.ModuleType("lab_subman")
    with open(SUBMAN) as f:
        exec(compile(f.read(), SUBMAN, "exec"), module.__dict__)
    return module


# --- PKI and servers -------------------------------------------------------------------------

def openssl(*argv):
    subprocess.run(["openssl"] + list(argv), check=True, capture_output=True)


def make_ca(directory, name):
    cert, key = os.path.join(directory, name + ".pem"), os.path.join(directory, name + ".key")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", cert, "-subj", "/CN=%s" % name, "-days", "30",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return cert, key


def make_server_cert(directory, name, dns_names, ca):
    cert, key = os.path.join(directory, name + ".pem"), os.path.join(directory, name + ".key")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", cert, "-subj", "/CN=%s" % dns_names[0], "-days", "30",
            "-CA", ca[0], "-CAkey", ca[1],
            "-addext", "subjectAltName=" + ",".join("DNS:" + n for n in dns_names),
            "-addext", "extendedKeyUsage=serverAuth")
    return cert, key


class RhsmHandler(http.server.BaseHTTPRequestHandler):
    """/rhsm/... delegated to Candlepin, one request per connection like the proxy stand-in."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _serve(self):
        url = urllib.parse.urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if url.path.startswith("/rhsm/"):
            der = self.connection.getpeercert(binary_form=True)
            status, headers, payload = self.server.candlepin.handle(
                self.command, url.path[len("/rhsm"):],
                urllib.parse.parse_qs(url.query, keep_blank_values=True),
                dict(self.headers.items()), body, ssl.DER_cert_to_PEM_cert(der) if der else None)
        else:
            status, headers, payload = 404, {}, b"not here\n"
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)
        self.close_connection = True

    do_GET = do_POST = do_DELETE = do_PUT = _serve


class RhsmServer(http.server.ThreadingHTTPServer):
    """HTTPS on (address, free port); the TLS handshake runs in the request thread."""

    daemon_threads = True

    def __init__(self, address, cert, ca, candlepin):
        super().__init__((address, 0), RhsmHandler)
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(*cert)
        self.tls.load_verify_locations(ca)
        self.tls.verify_mode = ssl.CERT_OPTIONAL
        self.candlepin = candlepin
        self.port = self.server_address[1]
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    def finish_request(self, request, client_address):
        try:
            connection = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # e.g. the client rejected our certificate: nothing to answer
        try:
            self.RequestHandlerClass(connection, client_address, self)
        finally:
            connection.close()

    def stop(self):
        self.shutdown()
        self.server_close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """CA, world, Candlepin state, the good and the untrusted server, and a dead port."""
    base = tmp_path_factory.mktemp("rhsm-lab")
    pki = str(base / "pki")
    os.makedirs(pki)
    ca = make_ca(pki, "ca")
    foreign_ca = make_ca(pki, "foreign-ca")
    state = str(base / "state")
    os.makedirs(state)
    world = {"orgs": {ORG: {"name": "ACME Corporation", "activation_keys": [KEY, "ak-other"],
                            "content": [HELLO, SIGNED]}}}
    with open(os.path.join(state, "world.json"), "w") as f:
        json.dump(world, f)
    good = RhsmServer(GOOD_ADDRESS, make_server_cert(
        pki, "good", ["proxy-a.example.test", "lb.example.test"], ca), ca[0],
        Candlepin(state, ca[0], ca[1], "proxy-a"))
    untrusted = RhsmServer(UNTRUSTED_ADDRESS, make_server_cert(
        pki, "untrusted", ["untrusted.example.test"], foreign_ca), ca[0],
        Candlepin(state, ca[0], ca[1], "proxy-untrusted"))
    # A bound socket that never listens: connecting to it is refused at once.
    down = socket.socket()
    down.bind((DOWN_ADDRESS, 0))
    hosts = str(base / "hosts")
    with open(hosts, "w") as f:
        f.write("127.0.0.1 localhost\n"
                "%s lb.example.test proxy-a.example.test nosan.example.test\n"
                "%s untrusted.example.test\n%s down.example.test\n"
                % (GOOD_ADDRESS, UNTRUSTED_ADDRESS, DOWN_ADDRESS))
    for server in (good, untrusted):
        server.thread.start()
    yield {"ca": ca, "state": state, "world": world, "good": good, "untrusted": untrusted,
           "down_port": down.getsockname()[1], "hosts": hosts,
           "candlepin": good.candlepin}
    for server in (good, untrusted):
        server.stop()
    down.close()


class Client(object):
    """A client host as a tree under LAB_SUBMAN_ROOT, with the katello CA files in place."""

    def __init__(self, root, lab):
        self.root = root
        self.lab = lab
        os.makedirs(self.path("/etc/rhsm/ca"))
        shutil.copy(SHIPPED_CONF, self.path("/etc/rhsm/rhsm.conf"))
        for name in ("katello-server-ca.pem", "katello-default-ca.pem"):
            shutil.copy(lab["ca"][0], self.path("/etc/rhsm/ca/" + name))
        with open(self.path("/etc/os-release"), "w") as f:
            f.write('NAME="Red Hat Enterprise Linux"\nID="rhel"\nVERSION_ID="9.4"\n')

    def path(self, logical):
        return os.path.join(self.root, logical.lstrip("/"))

    def read(self, logical):
        with open(self.path(logical)) as f:
            return f.read()

    def run(self, *args, setup="", env=None):
        """The stand-in with args in its own mount namespace; setup: shell run first there."""
        environ = dict(os.environ, LAB_SUBMAN_ROOT=self.root)
        environ.pop("LAB_SUBMAN_COST", None)  # free unless the test asks for the cost
        environ.update(env or {})
        return subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c",
             'mount --bind "$0" /etc/hosts && %s exec "$@"' % setup, self.lab["hosts"],
             SUBMAN] + list(args), env=environ, capture_output=True, text=True, timeout=120,
            stdin=subprocess.DEVNULL)  # non-interactive, like lbenroll's runner

    def configure_for(self, host):
        """Point rhsm.conf at host the way the katello-ca-consumer %post does: `config`."""
        proc = self.run("config", "--server.hostname=" + host,
                        "--server.port=%d" % self.lab["good"].port, "--server.prefix=/rhsm",
                        "--rhsm.repo_ca_cert=%(ca_cert_dir)skatello-server-ca.pem",
                        "--rhsm.baseurl=https://%s/pulp/content/" % host)
        assert proc.returncode == 0, proc.stderr

    def register(self, *extra):
        return self.run("register", "--org", ORG, "--activationkey", KEY,
                        "--name", "client01.example.test", *extra)

    def consumer_uuid(self):
        proc = subprocess.run(["openssl", "x509", "-in", self.path("/etc/pki/consumer/cert.pem"),
                               "-noout", "-subject", "-nameopt", "RFC2253"],
                              capture_output=True, text=True, check=True)
        return re.search(r"CN=([0-9a-f-]+)", proc.stdout).group(1)

    def repos(self):
        sections, current = {}, None
        for line in self.read("/etc/yum.repos.d/redhat.repo").splitlines():
            if line.startswith("["):
                current = sections.setdefault(line.strip("[]"), {})
            elif " = " in line and current is not None:
                key, value = line.split(" = ", 1)
                current[key] = value
        return sections


@pytest.fixture
def client(tmp_path, lab):
    host = Client(str(tmp_path / "root"), lab)
    host.configure_for("proxy-a.example.test")
    return host


def registered(client):
    proc = client.register()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def ask(candlepin, method, path, cert=None, query=None, body=b"", host="test"):
    status, _, payload = candlepin.handle(method, path, query or {}, {"Host": host}, body, cert)
    return status, json.loads(payload) if payload else None


def register_direct(candlepin, name="direct.example.test", keys=KEY, org=ORG):
    query = {"owner": [org]} if org else {}
    if keys is not None:
        query["activation_keys"] = [keys]
    return ask(candlepin, "POST", "/consumers", query=query,
               body=json.dumps({"name": name, "type": {"label": "system"}}).encode(),
               host="lb.example.test")


# --- Candlepin subset ------------------------------------------------------------------------

def test_status_answers_without_credentials(lab):
    status, body = ask(lab["candlepin"], "GET", "/status/")
    assert status == 200 and body["result"] is True and body["version"] == "4.4.0"
    assert ask(lab["candlepin"], "GET", "/status")[0] == 200


@pytest.mark.parametrize("org, keys, expected", [
    ("NOPE", KEY, 404), (ORG, None, 400), (ORG, "", 400), (ORG, "ak-unknown", 400),
    (ORG, "ak-unknown,%s" % KEY, 200)])
def test_registration_needs_known_org_and_a_known_key(lab, org, keys, expected):
    status, body = register_direct(lab["candlepin"], keys=keys, org=org)
    assert status == expected
    if expected != 200:
        assert body["displayMessage"]


def test_consumer_resources_need_that_consumers_certificate(lab):
    candlepin = lab["candlepin"]
    _, mine = register_direct(candlepin, "mine")
    _, other = register_direct(candlepin, "other")
    path = "/consumers/" + mine["uuid"]
    cert = mine["idCert"]["cert"]
    status, body = ask(candlepin, "GET", path, cert)
    assert status == 200 and body["uuid"] == mine["uuid"] and body["name"] == "mine"
    assert body["owner"] == {"key": ORG, "displayName": "ACME Corporation"}
    assert ask(candlepin, "GET", path)[0] == 401
    assert ask(candlepin, "GET", path, other["idCert"]["cert"])[0] == 401
    assert ask(candlepin, "GET", "/consumers/0000-unknown", cert)[0] == 404
    assert ask(candlepin, "GET", path + "/content_overrides", cert) == (200, [])
    assert ask(candlepin, "DELETE", path, cert) == (204, None)
    assert ask(candlepin, "GET", path, cert)[0] == 410
    assert ask(candlepin, "GET", path + "/certificates", cert)[0] == 410
    assert ask(candlepin, "GET", "/nothing/here")[0] == 404
    assert ask(candlepin, "PUT", "/status")[0] == 405


def test_certificates_are_signed_by_the_lab_ca_and_carry_the_content(lab, tmp_path):
    candlepin = lab["candlepin"]
    _, consumer = register_direct(candlepin, "certs.example.test")
    status, entitlements = ask(candlepin, "GET", "/consumers/%s/certificates" % consumer["uuid"],
                               consumer["idCert"]["cert"])
    assert status == 200 and len(entitlements) == 1
    entitlement = entitlements[0]
    assert entitlement["content"] == [HELLO, SIGNED]
    for name, pem in (("identity", consumer["idCert"]["cert"]), ("entitlement",
                                                                 entitlement["cert"])):
        path = tmp_path / (name + ".pem")
        path.write_text(pem)
        subprocess.run(["openssl", "verify", "-CAfile", lab["ca"][0], str(path)], check=True,
                       capture_output=True)
    text = subprocess.run(["openssl", "x509", "-in", str(tmp_path / "identity.pem"), "-noout",
                           "-subject", "-serial", "-ext", "subjectAltName",
                           "-nameopt", "RFC2253"], capture_output=True, text=True).stdout
    assert "CN=%s,O=%s" % (consumer["uuid"], ORG) in text
    assert "DirName:/CN=certs.example.test" in text
    assert int(text.split("serial=")[1].split()[0], 16) == consumer["idCert"]["serial"]["serial"]
    block = re.search(r"-----BEGIN ENTITLEMENT DATA-----\n(.*)-----END ENTITLEMENT DATA-----",
                      entitlement["cert"], re.S).group(1)
    content = json.loads(base64.b64decode(block))["products"][0]["content"]
    assert [c["label"] for c in content] == [HELLO["label"], SIGNED["label"]]
    assert content[1]["gpg_url"] == SIGNED["gpg_url"] and content[1]["enabled"] is False
    assert "BEGIN PRIVATE KEY" in entitlement["key"]


def test_changed_org_content_reissues_the_entitlement(lab, tmp_path):
    state = str(tmp_path / "state")
    shutil.copytree(lab["state"], state)
    candlepin = Candlepin(state, lab["ca"][0], lab["ca"][1], "proxy-a")
    _, consumer = register_direct(candlepin)
    path = "/consumers/%s/certificates" % consumer["uuid"]
    cert = consumer["idCert"]["cert"]
    first = ask(candlepin, "GET", path, cert)[1][0]
    assert ask(candlepin, "GET", path, cert)[1][0]["serial"] == first["serial"]
    world = dict(lab["world"])
    world["orgs"] = {ORG: dict(world["orgs"][ORG], content=[HELLO])}
    with open(os.path.join(state, "world.json"), "w") as f:
        json.dump(world, f)
    second = ask(candlepin, "GET", path, cert)[1][0]
    assert second["serial"] != first["serial"] and second["content"] == [HELLO]


def test_state_is_shared_with_another_proxy_process(lab):
    _, consumer = register_direct(lab["candlepin"], "shared.example.test")
    script = ("import json, sys\nsys.path.insert(0, %r)\n"
              "from tests.lab.candlepin import Candlepin\n"
              "cp = Candlepin(*sys.argv[1:5])\n"
              "print(json.dumps(cp.handle('GET', '/consumers/' + sys.argv[5], {}, {}, b'',"
              " sys.stdin.read())[:2]))\n" % REPO_ROOT)
    proc = subprocess.run(["/usr/bin/python3", "-c", script, lab["state"], lab["ca"][0],
                           lab["ca"][1], "proxy-b", consumer["uuid"]],
                          input=consumer["idCert"]["cert"], capture_output=True, text=True)
    assert json.loads(proc.stdout) == [200, {"Content-Type": "application/json"}], proc.stderr
    with open(os.path.join(lab["state"], "registrations.jsonl")) as f:
        entries = [json.loads(line) for line in f]
    mine = [e for e in entries if e["uuid"] == consumer["uuid"]]
    assert len(mine) == 1 and mine[0]["proxy"] == "proxy-a"
    assert mine[0]["host"] == "lb.example.test" and mine[0]["org"] == ORG


# --- subscription-manager: register ----------------------------------------------------------

def test_register_writes_identity_entitlements_and_repo_file(client, lab):
    proc = registered(client)
    uuid = client.consumer_uuid()
    assert "The system has been registered with ID: %s" % uuid in proc.stdout
    assert "The registered system name is: client01.example.test" in proc.stdout
    assert "BEGIN PRIVATE KEY" in client.read("/etc/pki/consumer/key.pem")
    assert stat.S_IMODE(os.stat(client.path("/etc/pki/consumer/key.pem")).st_mode) == 0o600
    serials = [name[:-4] for name in os.listdir(client.path("/etc/pki/entitlement"))
               if not name.endswith("-key.pem")]
    assert len(serials) == 1 and serials[0].isdigit()
    serial = serials[0]
    assert "-----BEGIN ENTITLEMENT DATA-----" in client.read("/etc/pki/entitlement/%s.pem" % serial)
    repos = client.repos()
    assert repos["ACME_Lab_hello"] == {
        "name": "hello",
        "baseurl": "https://proxy-a.example.test/pulp/content/ACME/Library/custom/Lab/hello",
        "enabled": "1", "gpgcheck": "0", "sslverify": "1",
        "sslcacert": "/etc/rhsm/ca/katello-server-ca.pem",
        "sslclientkey": "/etc/pki/entitlement/%s-key.pem" % serial,
        "sslclientcert": "/etc/pki/entitlement/%s.pem" % serial, "enabled_metadata": "1"}
    signed = repos["ACME_Lab_signed"]
    assert signed["enabled"] == "0" and signed["gpgcheck"] == "1"
    assert signed["gpgkey"] == ("https://proxy-a.example.test/pulp/content/katello/api/"
                                "repositories/7/gpg_key_content")
    assert signed["baseurl"].endswith("/signed/$releasever")
    assert signed["ui_repoid_vars"] == "releasever"
    assert "Changes made here will be overwritten" in client.read("/etc/yum.repos.d/redhat.repo")
    with open(os.path.join(lab["state"], "registrations.jsonl")) as f:
        entry = [json.loads(line) for line in f if uuid in line][0]
    assert entry["proxy"] == "proxy-a"
    assert entry["host"] == "proxy-a.example.test:%d" % lab["good"].port
    log = [json.loads(line) for line in client.read("/var/log/rhsm/lab-subman.jsonl").splitlines()]
    assert log[-1]["argv"] == ["register", "--org", ORG, "--activationkey", "******", "--name",
                               "client01.example.test"]
    assert log[-1]["rc"] == 0 and log[-1]["ts"]


def test_register_release_expands_releasever(client):
    registered_proc = client.register("--release", "9.4")
    assert registered_proc.returncode == 0, registered_proc.stderr
    signed = client.repos()["ACME_Lab_signed"]
    assert signed["baseurl"].endswith("/signed/9.4") and "ui_repoid_vars" not in signed


def test_serverurl_keeps_port_and_prefix_and_is_saved_after_success(client, lab):
    before = client.read("/etc/rhsm/rhsm.conf")
    proc = client.register("--serverurl", "https://lb.example.test",
                           "--baseurl", "lb.example.test/pulp/content")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    after = client.read("/etc/rhsm/rhsm.conf")
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]
    assert changed == [
        ("hostname = proxy-a.example.test", "hostname = lb.example.test"),
        ("baseurl = https://proxy-a.example.test/pulp/content/",
         "baseurl = https://lb.example.test/pulp/content")]
    assert "port = %d\n" % lab["good"].port in after and "prefix = /rhsm\n" in after
    assert client.repos()["ACME_Lab_hello"]["baseurl"] == (
        "https://lb.example.test/pulp/content/ACME/Library/custom/Lab/hello")
    with open(os.path.join(lab["state"], "registrations.jsonl")) as f:
        last = json.loads(f.readlines()[-1])
    assert last["host"] == "lb.example.test:%d" % lab["good"].port


def test_failed_register_saves_no_server_options(client):
    before = client.read("/etc/rhsm/rhsm.conf")
    proc = client.run("register", "--org", ORG, "--activationkey", "ak-unknown",
                      "--serverurl", "https://lb.example.test", "--insecure",
                      "--baseurl", "https://lb.example.test:8443/pulp/content/")
    assert proc.returncode == 70
    assert "None of the activation keys specified exist for this org." in proc.stderr
    assert client.read("/etc/rhsm/rhsm.conf") == before
    assert not os.path.exists(client.path("/etc/pki/consumer/cert.pem"))


def test_register_twice_needs_force(client, lab):
    registered(client)
    first = client.consumer_uuid()
    proc = client.register()
    assert proc.returncode == 64
    assert "This system is already registered. Use --force to override" in proc.stderr
    proc = client.register("--force")
    assert proc.returncode == 0, proc.stderr
    assert "Unregistering from: proxy-a.example.test:%d/rhsm" % lab["good"].port in proc.stdout
    assert "The system with UUID %s has been unregistered" % first in proc.stdout
    assert client.consumer_uuid() != first
    with open(os.path.join(lab["state"], "consumers", first + ".json")) as f:
        assert json.load(f)["deleted"]


@pytest.mark.parametrize("args, message", [
    (["--name", ""], "Error: system name can not be empty."),
    (["--org", ORG, "--activationkey", KEY, "--username", "admin"],
     "Error: Activation keys do not require user credentials."),
    (["--org", ORG, "--activationkey", KEY, "--environments", "Library"],
     "Error: Activation keys do not allow environments to be specified."),
    (["--org", ORG, "--activationkey", ""], "Error: Must specify an activation key"),
    (["--activationkey", KEY], "Error: Must provide --org with activation keys."),
    (["--force", "--consumerid", "abc"], "Error: Can not force registration"),
    (["--type", "candlepin"], "Error: The --type option has been deprecated"),
    (["--org", ORG], "Error: --username is a required argument in non-interactive mode."),
])
def test_register_option_validation_is_a_usage_error(client, args, message):
    proc = client.run("register", *args)
    assert proc.returncode == 64 and message in proc.stderr


def test_unreachable_server_is_unavailable(client, lab):
    before = client.read("/etc/rhsm/rhsm.conf")
    url = "https://down.example.test:%d/rhsm" % lab["down_port"]
    proc = client.run("register", "--org", ORG, "--activationkey", KEY, "--serverurl", url)
    assert proc.returncode == 69
    assert "Unable to reach the server at down.example.test:%d/rhsm" % lab["down_port"] \
        in proc.stderr
    assert client.read("/etc/rhsm/rhsm.conf") == before


def test_untrusted_server_certificate_is_a_config_error(client, lab):
    url = "https://untrusted.example.test:%d/rhsm" % lab["untrusted"].port
    proc = client.run("register", "--org", ORG, "--activationkey", KEY, "--serverurl", url)
    assert proc.returncode == 78
    assert "CA certificate for subscription service has not been installed" in proc.stderr
    # A name the server certificate does not carry fails the same way.
    proc = client.run("register", "--org", ORG, "--activationkey", KEY,
                      "--serverurl", "https://nosan.example.test")
    assert proc.returncode == 78
    # So does the right server before the katello-ca-consumer RPM put its CA in ca_cert_dir.
    os.remove(client.path("/etc/rhsm/ca/katello-default-ca.pem"))
    os.remove(client.path("/etc/rhsm/ca/katello-server-ca.pem"))
    proc = client.run("register", "--org", ORG, "--activationkey", KEY,
                      "--serverurl", "https://lb.example.test")
    assert proc.returncode == 78


def test_insecure_skips_server_verification(client):
    os.remove(client.path("/etc/rhsm/ca/katello-default-ca.pem"))
    os.remove(client.path("/etc/rhsm/ca/katello-server-ca.pem"))
    proc = client.register("--insecure", "--serverurl", "proxy-a.example.test")
    assert proc.returncode == 0, proc.stderr
    assert "insecure = 1\n" in client.read("/etc/rhsm/rhsm.conf")


@pytest.mark.parametrize("url, message", [
    ("ftp://lb.example.test", "Server URL has an invalid scheme"),
    ("http:/lb.example.test", "Server URL has an invalid scheme"),
    ("https://", "Server URL is just a schema"),
    ("https://lb.example.test:abc/rhsm", "Server URL port should be numeric"),
    ("https://lb.example.test:/rhsm", "Server URL port should be numeric"),
])
def test_bad_server_url_is_rejected_before_any_contact(client, url, message):
    proc = client.run("register", "--org", ORG, "--activationkey", KEY, "--serverurl", url)
    assert proc.returncode == 70
    assert "Error parsing serverurl:" in proc.stdout and message in proc.stderr


@pytest.mark.parametrize("url, serverurl, baseurl", [
    ("lb.example.test", ("lb.example.test", "8443", "/rhsm"), "https://lb.example.test"),
    ("https://lb.example.test:443/", ("lb.example.test", "443", "/"), "https://lb.example.test"),
    ("http://lb.example.test:9443/pulp/content/", ("lb.example.test", "9443", "/pulp/content/"),
     "https://lb.example.test:9443/pulp/content/"),
    ("https://user:pw@[fd00::1]:8443", ("fd00::1", "8443", "/rhsm"), "https://[fd00::1]:8443"),
])
def test_url_options_take_missing_parts_from_their_defaults(url, serverurl, baseurl):
    module = stand_in()
    assert module.parse_url(url, "old.example.test", "8443", "/rhsm") == serverurl
    assert module.format_baseurl(*module.parse_url(url, *module.CDN_DEFAULTS)) == baseurl


# --- identity, unregister, clean, refresh ----------------------------------------------------

def test_identity_before_and_after_registration(client, lab):
    proc = client.run("identity")
    assert proc.returncode == 1 and "This system is not yet registered" in proc.stderr
    registered(client)
    uuid = client.consumer_uuid()
    proc = client.run("identity")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "system identity: %s" % uuid, "name: client01.example.test",
        "org name: ACME Corporation", "org ID: %s" % ORG]
    status, _ = ask(lab["candlepin"], "DELETE", "/consumers/" + uuid,
                    client.read("/etc/pki/consumer/cert.pem"))
    assert status == 204
    proc = client.run("identity")
    assert proc.returncode == 69 and "has been deleted from the server" in proc.stderr
    with open(client.path("/etc/pki/consumer/cert.pem"), "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n")
    proc = client.run("identity")
    assert proc.returncode == 65 and "corrupted" in proc.stderr


def test_unregister(client, lab):
    proc = client.run("unregister")
    assert proc.returncode == 1 and "This system is currently not registered." in proc.stderr
    registered(client)
    uuid = client.consumer_uuid()
    proc = client.run("unregister")
    assert proc.returncode == 0 and "System has been unregistered." in proc.stdout
    with open(os.path.join(lab["state"], "consumers", uuid + ".json")) as f:
        assert json.load(f)["deleted"]
    assert not os.path.exists(client.path("/etc/pki/consumer/cert.pem"))
    assert os.listdir(client.path("/etc/pki/entitlement")) == []
    # As the real one (katello-client-facts.md section 11: a 376-byte header-only file): the
    # repositories are gone, the file stays with its header, and only `clean` removes it.
    header_only = client.read("/etc/yum.repos.d/redhat.repo")
    assert header_only.strip() and all(line.startswith("#")
                                       for line in header_only.splitlines() if line.strip())
    assert client.repos() == {}
    assert client.run("clean").returncode == 0
    assert not os.path.exists(client.path("/etc/yum.repos.d/redhat.repo"))


def test_clean_removes_local_data_but_not_rhsm_conf(client):
    registered(client)
    conf = client.read("/etc/rhsm/rhsm.conf")
    proc = client.run("clean")
    assert proc.returncode == 0 and "All local data removed" in proc.stdout
    assert client.read("/etc/rhsm/rhsm.conf") == conf
    assert not os.path.exists(client.path("/etc/pki/consumer/cert.pem"))
    assert not os.path.exists(client.path("/etc/pki/consumer/key.pem"))
    assert os.listdir(client.path("/etc/pki/entitlement")) == []
    assert not os.path.exists(client.path("/etc/yum.repos.d/redhat.repo"))
    assert client.run("identity").returncode == 1


def test_refresh_requires_registration_and_replaces_stale_certificates(client):
    proc = client.run("refresh")
    assert proc.returncode == 1
    registered(client)
    stale = client.path("/etc/pki/entitlement/42.pem")
    shutil.copy(client.path("/etc/pki/consumer/cert.pem"), stale)
    proc = client.run("refresh")
    assert proc.returncode == 0 and "All local data refreshed" in proc.stdout
    assert not os.path.exists(stale)


def file_state(client, logical):
    """(bytes, inode, mtime in ns) of a file of the client: a rewrite changes the inode."""
    path = client.path(logical)
    with open(path, "rb") as f:
        data = f.read()
    info = os.stat(path)
    return data, info.st_ino, info.st_mtime_ns


def test_refresh_rewrites_redhat_repo_only_when_the_certificates_changed(client):
    """entcertlib's repo_hook runs only when a serial was installed or deleted (section 11:
    refresh leaves redhat.repo alone unless the certificates changed, even after a baseurl
    change); a hand edit, as lbenroll's REDHAT_REPO makes, survives such a refresh."""
    registered(client)
    repo = "/etc/yum.repos.d/redhat.repo"
    before = file_state(client, repo)
    assert client.run("refresh").returncode == 0
    assert file_state(client, repo) == before
    edited = before[0].replace(b"https://proxy-a.example.test/", b"https://lb.example.test/")
    assert edited != before[0]
    with open(client.path(repo), "wb") as f:
        f.write(edited)
    edited_state = file_state(client, repo)
    proc = client.run("config", "--rhsm.baseurl=https://other.example.test/pulp/content/")
    assert proc.returncode == 0, proc.stderr
    proc = client.run("refresh")
    assert proc.returncode == 0 and "All local data refreshed" in proc.stdout
    assert file_state(client, repo) == edited_state
    # A certificate the server has and the host lacks: installed, so redhat.repo is regenerated
    # from the current rhsm.conf baseurl.
    for name in os.listdir(client.path("/etc/pki/entitlement")):
        os.remove(client.path("/etc/pki/entitlement/" + name))
    assert client.run("refresh").returncode == 0
    assert client.repos()["ACME_Lab_hello"]["baseurl"] == (
        "https://other.example.test/pulp/content/ACME/Library/custom/Lab/hello")
    # `repos --list` regenerates from the baseurl whatever the certificates did.
    assert client.run("config", "--rhsm.baseurl=https://lb.example.test/pulp/content/"
                      ).returncode == 0
    assert client.run("refresh").returncode == 0
    assert client.repos()["ACME_Lab_hello"]["baseurl"].startswith("https://other.example.test/")
    assert client.run("repos", "--list").returncode == 0
    assert client.repos()["ACME_Lab_hello"]["baseurl"].startswith("https://lb.example.test/")
    regenerated = file_state(client, repo)
    assert client.run("repos", "--list").returncode == 0
    assert file_state(client, repo) == regenerated  # nothing to change: not rewritten


def test_refresh_of_a_consumer_deleted_on_the_server_is_a_software_error(client, lab):
    """refresh handles the 410 itself: 70 with the HTTP status; identity says 69 "deleted"."""
    registered(client)
    uuid = client.consumer_uuid()
    status, _ = ask(lab["candlepin"], "DELETE", "/consumers/" + uuid,
                    client.read("/etc/pki/consumer/cert.pem"))
    assert status == 204
    proc = client.run("refresh")
    assert proc.returncode == 70, proc.stderr
    assert proc.stderr.strip().endswith("(HTTP error code 410: Gone)")
    proc = client.run("identity")
    assert proc.returncode == 69 and 'Consumer profile "%s" has been deleted' % uuid \
        in proc.stderr


def test_refused_registration_carries_the_http_status(client):
    proc = client.run("register", "--org", "NOPE", "--activationkey", KEY)
    assert proc.returncode == 70
    assert proc.stderr.strip().endswith("(HTTP error code 404: Not Found)")
    proc = client.run("register", "--org", ORG, "--activationkey", "ak-unknown")
    assert proc.returncode == 70
    assert proc.stderr.strip().endswith("(HTTP error code 400: Bad Request)")


def test_unreachable_serverurl_names_host_port_and_prefix_only(client, lab):
    """69, "Unable to reach the server at HOST:PORT/rhsm", with no socket or resolver detail."""
    url = "https://down.example.test:%d/rhsm" % lab["down_port"]
    proc = client.run("register", "--org", ORG, "--activationkey", KEY, "--serverurl", url)
    assert proc.returncode == 69
    assert proc.stderr.strip() == ("Unable to reach the server at down.example.test:%d/rhsm"
                                   % lab["down_port"])


def test_read_only_rhsm_conf_directory_after_register_is_a_network_error(client):
    """An OS error while saving rhsm.conf maps to upstream's SOCKET_MESSAGE (exit 70), although
    the consumer is registered and its certificate written."""
    etc_rhsm = client.path("/etc/rhsm")
    setup = "mount --bind %s %s && mount -o remount,bind,ro %s &&" % ((etc_rhsm,) * 3)
    proc = client.run("register", "--org", ORG, "--activationkey", KEY,
                      "--serverurl", "https://lb.example.test", setup=setup)
    assert proc.returncode == 70, proc.stdout + proc.stderr
    assert proc.stderr.strip() == ("Network error, unable to connect to server. Please see "
                                   "/var/log/rhsm/rhsm.log for more information.")
    assert "The system has been registered with ID: %s" % client.consumer_uuid() in proc.stdout
    assert "hostname = proxy-a.example.test\n" in client.read("/etc/rhsm/rhsm.conf")


def test_each_call_costs_what_lab_subman_cost_says(client):
    """The real program costs 0.3-0.5 s a call (section 11); the lab charges LAB_SUBMAN_COST."""
    started = time.monotonic()
    proc = client.run("config", "--list", env={"LAB_SUBMAN_COST": "0.3"})
    assert proc.returncode == 0
    assert time.monotonic() - started >= 0.3
    module = stand_in()
    for text, seconds in (("0.3", 0.3), ("0", 0.0), ("-1", 0.0), ("soon", 0.0), ("99", 10.0)):
        os.environ["LAB_SUBMAN_COST"] = text
        try:
            assert module.call_cost() == seconds
        finally:
            del os.environ["LAB_SUBMAN_COST"]


def test_sandbox_runs_carry_the_lab_cost_to_subscription_manager(bare_sandbox, monkeypatch):
    """lbenroll passes no environment to its commands, so Sandbox.run puts the cost in /run."""
    box = bare_sandbox()
    monkeypatch.setenv("LAB_SUBMAN_COST", "0.3")
    proc = box.run(["cat", "/run/lab-subman-cost"])
    assert proc.returncode == 0 and proc.stdout == "0.3"
    started = time.monotonic()
    proc = box.run(["subscription-manager", "identity"])
    assert proc.returncode == 1 and time.monotonic() - started >= 0.3
    monkeypatch.delenv("LAB_SUBMAN_COST")
    assert box.run(["test", "-e", "/run/lab-subman-cost"]).returncode == 1


# --- repos and redhat.repo -------------------------------------------------------------------

def test_repos_regenerate_from_rhsm_baseurl_and_keep_local_choices(client):
    registered(client)
    proc = client.run("config", "--rhsm.baseurl=https://lb.example.test/pulp/content")
    assert proc.returncode == 0
    proc = client.run("repos", "--list")
    assert proc.returncode == 0, proc.stderr
    assert "Repo ID:   ACME_Lab_hello" in proc.stdout
    assert "Repo URL:  https://lb.example.test/pulp/content/ACME/Library/custom/Lab/hello" \
        in proc.stdout
    assert client.repos()["ACME_Lab_hello"]["baseurl"].startswith("https://lb.example.test/")

    proc = client.run("repos", "--disable", "ACME_Lab_hel*")
    assert proc.returncode == 0
    assert "Repository 'ACME_Lab_hello' is disabled for this system." in proc.stdout
    assert client.run("refresh").returncode == 0
    assert client.repos()["ACME_Lab_hello"]["enabled"] == "0"
    proc = client.run("repos", "--list-enabled")
    assert "ACME_Lab_hello" not in proc.stdout
    assert "There were no available repositories matching" in proc.stdout

    proc = client.run("repos", "--enable", "nosuch")
    assert proc.returncode == 1 and "'nosuch' does not match a valid repository ID" in proc.stdout


def test_repos_disabled_by_configuration_removes_redhat_repo(client):
    registered(client)
    assert client.run("config", "--rhsm.manage_repos=0").returncode == 0
    proc = client.run("repos", "--list")
    assert proc.returncode == 0
    assert proc.stdout.strip() == "Repositories disabled by configuration."
    assert not os.path.exists(client.path("/etc/yum.repos.d/redhat.repo"))


# --- config and rhsm.conf --------------------------------------------------------------------

def test_config_edits_change_only_their_lines(client):
    os.chmod(client.path("/etc/rhsm/rhsm.conf"), 0o640)
    before = client.read("/etc/rhsm/rhsm.conf").splitlines()
    proc = client.run("config", "--server.proxy_hostname=squid.example.test",
                      "--rhsm.productcertdir=/etc/pki/product-lab", "--rhsm.full_refresh_on_yum=1")
    assert proc.returncode == 0, proc.stderr
    after = client.read("/etc/rhsm/rhsm.conf").splitlines()
    assert [(a, b) for a, b in zip(before, after) if a != b] == [
        ("proxy_hostname =", "proxy_hostname = squid.example.test"),
        ("productCertDir = /etc/pki/product", "productCertDir = /etc/pki/product-lab"),
        ("full_refresh_on_yum = 0", "full_refresh_on_yum = 1")]
    assert len(before) == len(after)
    assert "repo_ca_cert = %(ca_cert_dir)skatello-server-ca.pem" in after
    assert stat.S_IMODE(os.stat(client.path("/etc/rhsm/rhsm.conf")).st_mode) == 0o640
    assert [n for n in os.listdir(client.path("/etc/rhsm")) if n.startswith(".")] == []

    listing = client.run("config", "--list").stdout
    assert "   repo_ca_cert = /etc/rhsm/ca/katello-server-ca.pem\n" in listing
    assert "   insecure = [0]\n" in listing and "   prefix = /rhsm\n" in listing

    proc = client.run("config", "--remove", "server.proxy_hostname")
    assert proc.returncode == 0 and "\nproxy_hostname =\n" in client.read("/etc/rhsm/rhsm.conf")
    assert "proxy_hostname = []" in client.run("config", "--list").stdout


def test_config_always_rewrites_rhsm_conf(client):
    """rhsm.config save(): a NamedTemporaryFile beside the file renamed over it on every
    `config`, even when no value changed (section 11); the mode is kept, no temp file left."""
    conf = "/etc/rhsm/rhsm.conf"
    os.chmod(client.path(conf), 0o640)
    data, inode, _ = file_state(client, conf)
    proc = client.run("config", "--server.hostname=proxy-a.example.test")
    assert proc.returncode == 0, proc.stderr
    again, new_inode, _ = file_state(client, conf)
    assert again == data and new_inode != inode
    assert stat.S_IMODE(os.stat(client.path(conf)).st_mode) == 0o640
    assert sorted(os.listdir(client.path("/etc/rhsm"))) == ["ca", "rhsm.conf"]
    assert client.run("config", "--list").returncode == 0
    assert file_state(client, conf)[1] == new_inode  # --list only reads


def test_config_adds_missing_keys_inside_their_section(client):
    with open(client.path("/etc/rhsm/rhsm.conf"), "w") as f:
        f.write("# top\n[server]\n# the host\nhostname = a.example.test\n\n# rhsm next\n"
                "[rhsm]\nbaseurl = https://a.example.test/pulp/content/\n")
    proc = client.run("config", "--server.port=8443", "--logging.default_log_level=DEBUG",
                      "--server.hostname=a.example.test")
    assert proc.returncode == 0, proc.stderr
    assert client.read("/etc/rhsm/rhsm.conf") == (
        "# top\n[server]\n# the host\nhostname = a.example.test\nport = 8443\n\n# rhsm next\n"
        "[rhsm]\nbaseurl = https://a.example.test/pulp/content/\n\n[logging]\n"
        "default_log_level = DEBUG\n")


@pytest.mark.parametrize("args, rc, stream, message", [
    (["--server.nosuch=1"], 64, "stdout", "cannot parse argument: --server.nosuch=1"),
    (["--rhsm.productCertDir=/x"], 64, "stdout", "cannot parse argument"),
    (["--remove", "server.nosuch"], 78, "stderr", "Section server and name nosuch does not"),
    (["--remove", "hostname"], 64, "stderr", "must be of format [section.name]"),
    (["--list", "--server.port=1"], 64, "stderr", "--list should not be used with any other"),
])
def test_config_rejects_unknown_keys_and_bad_combinations(client, args, rc, stream, message):
    before = client.read("/etc/rhsm/rhsm.conf")
    proc = client.run("config", *args)
    assert proc.returncode == rc and message in getattr(proc, stream)
    assert client.read("/etc/rhsm/rhsm.conf") == before


def test_shipped_rhsm_conf_documents_every_default_key():
    defaults = stand_in().DEFAULTS
    with open(SHIPPED_CONF) as f:
        lines = f.read().splitlines()
    section, seen = None, {}
    for index, line in enumerate(lines):
        if line.startswith("["):
            section = line.strip("[]")
        elif line and not line.startswith("#"):
            key, value = [part.strip() for part in line.split("=", 1)]
            seen[(section, key.lower())] = value
            assert lines[index - 1].startswith("#"), "undocumented key %s" % key
    for section, keys in defaults.items():
        for key, value in keys.items():
            assert seen.get((section, key)) == value, (section, key)
    assert seen[("rhsm", "repo_ca_cert")] == "%(ca_cert_dir)sredhat-uep.pem"


# --- CLI surface -----------------------------------------------------------------------------

def test_cli_usage_and_exit_codes(client):
    proc = client.run()
    assert proc.returncode == 0 and "Usage: subscription-manager MODULE-NAME" in proc.stdout
    assert client.run("--help").returncode == 0
    proc = client.run("frobnicate")
    assert proc.returncode == 1 and "Primary Modules:" in proc.stdout
    proc = client.run("register", "--help")
    assert proc.returncode == 0 and "--activationkey" in proc.stdout
    assert client.run("register", "--org").returncode == 2
    log = client.read("/var/log/rhsm/lab-subman.jsonl").splitlines()
    assert [json.loads(line)["rc"] for line in log[-5:]] == [0, 0, 1, 0, 2]


def test_invocation_log_hides_secrets(client):
    client.run("register", "--org=%s" % ORG, "--activationkey=%s" % KEY, "--activ", "ak-other",
               "--username", "admin", "--password", "s3cret", "--proxy", "squid:3128")
    entry = json.loads(client.read("/var/log/rhsm/lab-subman.jsonl").splitlines()[-1])
    assert entry["argv"] == ["register", "--org=ACME", "--activationkey=******", "--activ",
                             "******", "--username", "admin", "--password", "******",
                             "--proxy", "squid:3128"]
    assert entry["rc"] == 64


def test_systemctl_logs_calls_and_reports_offline():
    script = ('mount -t tmpfs tmpfs /var/log && "$0" enable --now puppet && '
              '"$0" is-system-running; echo "rc=$?"; "$0" --quiet is-system-running; '
              'echo "rc=$?"; cat /var/log/lab-systemctl.log')
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                           SYSTEMCTL], capture_output=True, text=True, check=True)
    assert proc.stdout.splitlines() == [
        "offline", "rc=1", "rc=1", "systemctl enable --now puppet",
        "systemctl is-system-running", "systemctl --quiet is-system-running"]


def test_systemctl_show_fails_as_without_systemd_and_is_enabled_answers():
    # Ansible's systemd module asks `show` first and, when it fails, `is-enabled` (the role's
    # repair timer switch, tests/e2e/test_ansible.py).
    script = ('mount -t tmpfs tmpfs /var/log && mount -t tmpfs tmpfs /var/lib && '
              '"$0" show lbenroll-repair.timer; echo "rc=$?"; '
              '"$0" is-enabled lbenroll-repair.timer; echo "rc=$?"; '
              '"$0" enable lbenroll-repair.timer && "$0" is-enabled lbenroll-repair.timer')
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                           SYSTEMCTL], capture_output=True, text=True)
    assert proc.stdout.splitlines() == ["rc=1", "disabled", "rc=1", "enabled"]
    assert "not been booted with systemd" in proc.stderr


def test_stand_in_needs_only_the_standard_library():
    with open(SUBMAN) as f:
        assert f.readline() == "#!/usr/bin/python3\n"
    assert os.access(SUBMAN, os.X_OK) and os.access(SYSTEMCTL, os.X_OK)
    # -S: no site, so no dist-packages; an import outside the stdlib would fail here.
    proc = subprocess.run(["/usr/bin/python3", "-I", "-S", "-B", "-c",
                           "import sys; exec(compile(open(sys.argv[1]).read(), 's', 'exec'),"
                           " {'__name__': 'stdlib_check'})",
                           SUBMAN],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
