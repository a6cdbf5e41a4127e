"""Tests of the lab itself: balancing, consumer RPMs, sandboxes, faults and services."""
import configparser
import hashlib
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import time
import uuid

import pytest

from tests.lab import pki
from tests.lab.daemon import wait_until
from tests.lab.lab import ACTIVATION_KEY, BALANCED_PROXIES, BALANCER, ORG, WORLD

BALANCER_IP = "127.0.1.10"
BALANCED_FQDNS = sorted("%s.example.test" % name for name in BALANCED_PROXIES)
LATEST_RPM = "/pub/katello-ca-consumer-latest.noarch.rpm"
CONTENT_PATH = WORLD["orgs"][ORG]["content"][0]["path"]


# -- helpers ---------------------------------------------------------------------------------------

def probe(path):
    """path with a unique query, so its entry in the proxies' request logs can be found."""
    return "%s?probe=%s" % (path, uuid.uuid4().hex)


def http_get(port, path, address=BALANCER_IP, host=BALANCER, source="127.0.0.1"):
    conn = http.client.HTTPConnection(address, port, timeout=10, source_address=(source, 0))
    try:
        conn.request("GET", path, headers={"Host": host})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def https_get(port, path, ca, address=BALANCER_IP, host=BALANCER, source="127.0.0.1",
              client_cert=None):
    """GET over TLS to address, verifying the certificate for `host` against ca."""
    context = ssl.create_default_context(cafile=ca)
    if client_cert:
        context.load_cert_chain(client_cert.cert, client_cert.key)
    raw = socket.create_connection((address, port), timeout=10, source_address=(source, 0))
    conn = http.client.HTTPSConnection(host, port, timeout=10)
    conn.sock = context.wrap_socket(raw, server_hostname=host)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def answering_proxy(lab, path):
    entries = [entry for entry in lab.requests() if entry["path"] == path]
    assert len(entries) == 1, entries
    return entries[0]["proxy"]


def host_tree_digest(top):
    """sha256 over every path, type and content below top on the host (symlinks not followed)."""
    digest = hashlib.sha256()
    for directory, dirnames, filenames in os.walk(top):
        dirnames.sort()
        for name in sorted(filenames + dirnames):
            path = os.path.join(directory, name)
            digest.update(path.encode() + b"\0")
            if os.path.islink(path):
                digest.update(b"link:" + os.readlink(path).encode())
            elif os.path.isfile(path):
                with open(path, "rb") as f:
                    digest.update(f.read())
    return digest.hexdigest()


def rhsm_conf(box):
    parser = configparser.RawConfigParser()
    parser.read_string(box.read_text("/etc/rhsm/rhsm.conf"))
    return parser


def run_ok(box, argv, **kwargs):
    proc = box.run(argv, **kwargs)
    assert proc.returncode == 0, "%s -> %s\n%s\n%s" % (argv, proc.returncode, proc.stdout,
                                                      proc.stderr)
    return proc


def install_consumer_rpm(lab, box):
    """Download the -latest consumer RPM through the balancer's :80 and install it.

    Returns the fqdn of the proxy that served it.
    """
    path = probe(LATEST_RPM)
    run_ok(box, ["curl", "-fsS", "-o", "/var/tmp/consumer.rpm", "http://%s%s" % (BALANCER, path)])
    run_ok(box, ["rpm", "-Uvh", "/var/tmp/consumer.rpm"])
    return answering_proxy(lab, path)


def rpm_query(path, query):
    proc = subprocess.run(["rpm", "-qp", "--qf", query, path], capture_output=True, text=True,
                          check=True)
    return proc.stdout


def consumer_script(rpm_path):
    proc = subprocess.run(
        "rpm2cpio %s | cpio -i --quiet --to-stdout ./usr/bin/katello-rhsm-consumer" % rpm_path,
        shell=True, capture_output=True, check=True)
    return proc.stdout.decode()


def embedded_server_ca(script):
    match = re.search(r"^read -r -d '' KATELLO_SERVER_CA_DATA << EOM\n(.*?)\nEOM$", script,
                      re.M | re.S)
    assert match, script
    return match.group(1).strip()


def pem_text(path):
    with open(path) as f:
        return f.read().strip()


# -- balancing -------------------------------------------------------------------------------------

def test_port_8000_rotates_over_the_balanced_proxies(lab):
    answers = [http_get(8000, "/")[1].decode().split()[0] for _ in range(6)]
    assert sorted(answers[:3]) == BALANCED_FQDNS
    assert answers[3:] == answers[:3]


def test_port_443_keeps_a_client_on_one_proxy(lab):
    paths = [probe("/pub/") for _ in range(5)]
    for path in paths:
        assert https_get(443, path, lab.ca.cert)[0] == 200
    assert len({answering_proxy(lab, path) for path in paths}) == 1
    entry = [e for e in lab.requests() if e["path"] == paths[0]][0]
    assert (entry["sni"], entry["host"], entry["scheme"]) == (BALANCER, BALANCER, "https")


def test_port_443_spreads_different_source_addresses(lab):
    chosen = {}
    for n in range(1, 11):
        source = "127.0.0.%d" % n
        first, second = probe("/pub/"), probe("/pub/")
        https_get(443, first, lab.ca.cert, source=source)
        https_get(443, second, lab.ca.cert, source=source)
        chosen[source] = answering_proxy(lab, first)
        assert answering_proxy(lab, second) == chosen[source]
    assert len(set(chosen.values())) >= 2


def test_set_balance_reloads_haproxy_and_changes_443(lab):
    old = lab.haproxy.daemon
    lab.set_balance(443, "roundrobin")
    assert not old.running() and lab.haproxy.daemon.running()
    assert "Pid: %d" % lab.haproxy.daemon.pid in lab.haproxy.command("show info")
    paths = [probe("/pub/") for _ in range(3)]
    for path in paths:
        https_get(443, path, lab.ca.cert)
    assert sorted(answering_proxy(lab, path) for path in paths) == BALANCED_FQDNS


def test_stopped_proxy_is_routed_around_by_redispatch(lab):
    log_offset = len(lab.haproxy.daemon.log_text())
    lab.stop_proxy("proxy02")
    # Health checks need two failures 1 s apart to mark proxy02 DOWN; these requests are done
    # well before that, so HAProxy still picks proxy02 in turn and must redispatch.
    answers = [http_get(8000, "/") for _ in range(6)]
    assert all(status == 200 for status, _ in answers)
    assert {body.decode().split()[0] for _, body in answers} == {
        "proxy01.example.test", "proxy03.example.test"}
    wait_until(lambda: re.search(r" fe_8000 be_8000/\S+ .* \d+/\d+/\d+/\d+/\+\d+ ",
                                 lab.haproxy.daemon.log_text()[log_offset:]),
               5, "a redispatched connection in the HAProxy log")
    lab.haproxy.wait_server(8000, "proxy02", up=False)


def test_proxy09_certificate_lacks_the_balancer_name(lab):
    lab.haproxy.route_only(443, "proxy09")
    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        https_get(443, "/pub/", lab.ca.cert)
    status, _ = https_get(443, "/pub/", lab.ca.cert, address="127.0.2.9",
                          host="proxy09.example.test")
    assert status == 200


# -- consumer RPMs and content ---------------------------------------------------------------------

def test_consumer_rpm_via_port_80_names_the_answering_proxy(lab, tmp_path):
    served_by = []
    for n in range(3):
        path = probe(LATEST_RPM)
        status, body = http_get(80, path)
        assert status == 200
        rpm_path = tmp_path / ("consumer-%d.rpm" % n)
        rpm_path.write_bytes(body)
        proxy = answering_proxy(lab, path)
        assert rpm_query(str(rpm_path), "%{NAME}") == "katello-ca-consumer-" + proxy
        assert rpm_query(str(rpm_path), "[%{REQUIRENAME}\n]").splitlines().count(
            "subscription-manager") == 1
        script = consumer_script(rpm_path)
        assert embedded_server_ca(script) == pem_text(lab.ca.cert)
        served_by.append(proxy)
    assert sorted(served_by) == BALANCED_FQDNS


# What the consumer RPM and its %post could write on the host if the sandbox leaked. (Not all of
# /etc: package installs on a shared development machine change other files meanwhile.)
HOST_PATHS = ("/etc/rhsm", "/etc/pki", "/etc/hosts", "/etc/yum.repos.d", "/usr/bin")


def test_installing_the_consumer_rpm_points_the_sandbox_at_the_answering_proxy(lab, sandbox):
    host_before = [host_tree_digest(path) for path in HOST_PATHS]
    box = sandbox()
    original = box.read("/etc/rhsm/rhsm.conf")
    proxy = install_consumer_rpm(lab, box)
    conf = rhsm_conf(box)
    assert conf.get("server", "hostname") == proxy
    assert (conf.get("server", "port"), conf.get("server", "prefix")) == ("443", "/rhsm")
    assert conf.get("rhsm", "baseurl") == "https://%s/pulp/content/" % proxy
    assert conf.get("rhsm", "repo_ca_cert") == "%(ca_cert_dir)skatello-server-ca.pem"
    assert conf.get("rhsm", "full_refresh_on_yum") == "1"
    assert box.read_text("/etc/rhsm/ca/katello-server-ca.pem").strip() == pem_text(lab.ca.cert)
    assert box.read("/etc/rhsm/rhsm.conf.kat-backup") == original
    assert "systemctl try-restart yggdrasil" in box.read_text("/var/log/lab-systemctl.log")
    written = box.written_files()
    assert written["/usr/bin/katello-rhsm-consumer"] == "written"
    assert written["/etc/rhsm/rhsm.conf"] == "written"
    assert not os.path.exists("/usr/bin/katello-rhsm-consumer")
    assert [host_tree_digest(path) for path in HOST_PATHS] == host_before

    run_ok(box, ["rpm", "-e", "katello-ca-consumer-" + proxy])
    assert box.read("/etc/rhsm/rhsm.conf") == original


def test_pulp2_layout_rpm_uses_port_8443_and_pulp_repos(lab, sandbox):
    lab.set_layout("pulp2")
    box = sandbox()
    proxy = install_consumer_rpm(lab, box)
    conf = rhsm_conf(box)
    assert (conf.get("server", "hostname"), conf.get("server", "port")) == (proxy, "8443")
    assert conf.get("rhsm", "baseurl") == "https://%s/pulp/repos" % proxy


def test_content_needs_a_client_certificate_from_the_lab_ca(lab):
    repomd = "/pulp/content%s/repodata/repomd.xml" % CONTENT_PATH
    assert https_get(443, repomd, lab.ca.cert)[0] == 403
    client = lab.proxies["proxy01"].cert  # issued by the lab CA, with clientAuth
    status, body = https_get(443, repomd, lab.ca.cert, client_cert=client)
    assert status == 200 and b"<repomd" in body
    status, _ = https_get(443, repomd.replace("/pulp/content/", "/pulp/repos/"), lab.ca.cert,
                          client_cert=client)
    assert status == 200


def test_repository_metadata_differs_between_proxies(lab):
    repomd = "/pulp/content%s/repodata/repomd.xml" % CONTENT_PATH
    bodies = set()
    for name in BALANCED_PROXIES:
        proxy = lab.proxies[name]
        status, body = https_get(443, repomd, lab.ca.cert, address=proxy.address,
                                 host=proxy.fqdn, client_cert=proxy.cert)
        assert status == 200
        bodies.add(re.search(rb"([0-9a-f]{64})-primary\.xml", body).group(1))
    assert len(bodies) == len(BALANCED_PROXIES)


def test_dnf_makecache_through_the_balancer_needs_sticky_443(lab, sandbox):
    box = sandbox()
    install_consumer_rpm(lab, box)
    run_ok(box, ["subscription-manager", "register", "--org", ORG, "--activationkey",
                 ACTIVATION_KEY, "--serverurl", "https://%s:443/rhsm" % BALANCER,
                 "--baseurl", "https://%s/pulp/content/" % BALANCER])
    repo = box.read_text("/etc/yum.repos.d/redhat.repo")
    assert "baseurl = https://%s/pulp/content%s" % (BALANCER, CONTENT_PATH) in repo

    def makecache(n):
        return box.run(["dnf", "-y", "--setopt=reposdir=/etc/yum.repos.d", "--installroot",
                        "/var/tmp/dnf-root-%d" % n, "--releasever", "9", "makecache"])

    first = makecache(1)
    assert first.returncode == 0 and "Metadata cache created" in first.stdout, first.stderr
    lab.set_balance(443, "roundrobin")
    failed = makecache(2)
    assert failed.returncode != 0
    assert re.search(r"Status code: 404 for https://%s/\S+-(primary|filelists)\.xml"
                     % re.escape(BALANCER), failed.stderr), failed.stderr
    lab.set_balance(443, "source")
    assert makecache(3).returncode == 0


# -- sandbox ---------------------------------------------------------------------------------------

def test_sandbox_is_a_rhel_client_with_lab_name_resolution(lab, sandbox):
    box = sandbox(fqdn="client02.example.test")
    script = ("hostname; getent hosts %s; . /etc/os-release; echo $ID; "
              "rpm -q --qf '%%{NAME}\\n' subscription-manager; "
              "command -v subscription-manager; command -v systemctl" % BALANCER)
    proc = run_ok(box, ["sh", "-c", script])
    assert proc.stdout.split("\n") == [
        "client02.example.test", "127.0.1.10      %s" % BALANCER, "rhel", "subscription-manager",
        "/usr/sbin/subscription-manager", "/usr/sbin/systemctl", ""]
    started = time.monotonic()
    assert box.run(["getent", "hosts", "nowhere.example.test"]).returncode != 0
    assert time.monotonic() - started < 5


def test_sandbox_records_writes_and_deletions_without_touching_the_host(lab, sandbox):
    box = sandbox()
    watched = ["/etc/hosts", "/etc/issue", "/etc/rhsm", "/etc/os-release"]
    before = box.snapshot(watched)
    assert box.written_files() == {}
    run_ok(box, ["cat", "/etc/hosts"])
    assert box.snapshot(watched) == before
    assert box.written_files() == {}

    box.seed("/etc/rhsm/rhsm.conf", "[server]\nhostname = drifted.example.test\n")
    run_ok(box, ["sh", "-c", "rm /etc/issue && echo x > /etc/lab-new && grep -q drifted "
                             "/etc/rhsm/rhsm.conf"])
    assert box.written_files() == {"/etc/issue": "deleted", "/etc/lab-new": "written"}
    assert not box.exists("/etc/issue")
    with pytest.raises(FileNotFoundError):
        box.read("/etc/issue")
    assert box.read("/etc/lab-new") == b"x\n"
    assert os.path.exists("/etc/issue") and not os.path.exists("/etc/lab-new")
    after = box.snapshot([p for p in watched + ["/etc/lab-new"] if box.exists(p)])
    assert set(before) - set(after) == {"/etc/issue"}
    assert set(after) - set(before) == {"/etc/lab-new"}


# -- faults and the proxies' own services ----------------------------------------------------------

def test_pub_and_rhsm_fault_switches(lab):
    proxy = lab.proxies["proxy01"]
    direct = dict(address=proxy.address, host=proxy.fqdn)
    status, rpm = http_get(80, LATEST_RPM, **direct)
    assert status == 200 and rpm[:4] == b"\xed\xab\xee\xdb"  # the RPM lead's magic

    lab.set_fault("proxy01", pub="html_error")
    status, body = http_get(80, LATEST_RPM, **direct)
    assert status == 200 and body.startswith(b"<!DOCTYPE html>")
    lab.set_fault("proxy01", pub="truncated")
    assert http_get(80, LATEST_RPM, **direct) == (200, rpm[:100])

    status, body = https_get(443, "/rhsm/status", lab.ca.cert, **direct)
    assert status == 200 and json.loads(body)["result"] is True
    lab.set_fault("proxy01", rhsm="error500")
    status, body = https_get(443, "/rhsm/status", lab.ca.cert, **direct)
    assert status == 500 and "displayMessage" in json.loads(body)
    lab.set_fault("proxy01", rhsm="unavailable")
    with pytest.raises(http.client.RemoteDisconnected):
        https_get(443, "/rhsm/status", lab.ca.cert, **direct)


def test_foreign_ca_on_one_proxy(lab, tmp_path):
    proxy = lab.proxies["proxy03"]
    foreign_ca = lab.set_proxy_ca("proxy03", "foreign")
    direct = dict(address=proxy.address, host=proxy.fqdn)
    with pytest.raises(ssl.SSLCertVerificationError):
        https_get(443, "/pub/", lab.ca.cert, **direct)
    status, served_ca = https_get(443, "/pub/katello-server-ca.crt", foreign_ca, **direct)
    assert status == 200 and served_ca.decode().strip() == pem_text(foreign_ca)
    rpm_path = tmp_path / "consumer.rpm"
    rpm_path.write_bytes(http_get(80, LATEST_RPM, **direct)[1])
    assert embedded_server_ca(consumer_script(rpm_path)) == pem_text(foreign_ca)


def test_port_9090_publishes_ssh_key_and_features(lab):
    keys, features = set(), set()
    for _ in BALANCED_PROXIES:
        status, body = https_get(9090, "/ssh/pubkey", lab.ca.cert)
        assert status == 200 and body.startswith(b"ssh-ed25519 ")
        keys.add(body)
        features.add(tuple(json.loads(https_get(9090, "/features", lab.ca.cert)[1])))
    assert len(keys) == len(BALANCED_PROXIES)
    assert any("puppetca" in f for f in features) and any("puppetca" not in f for f in features)


def test_amqp_through_the_balancer_reaches_a_proxy_listener(lab, sandbox):
    box = sandbox()
    body = "lab-%s" % uuid.uuid4().hex
    sender = (
        "import sys\n"
        "from proton import Message, SSLDomain\n"
        "from proton.utils import BlockingConnection\n"
        "domain = SSLDomain(SSLDomain.MODE_CLIENT)\n"
        "domain.set_trusted_ca_db(sys.argv[1])\n"
        "domain.set_peer_authentication(SSLDomain.VERIFY_PEER_NAME, sys.argv[1])\n"
        "conn = BlockingConnection('amqps://%s:5647', ssl_domain=domain)\n"
        "conn.create_sender('pulp.agent.lab').send(Message(body=sys.argv[2]))\n"
        "conn.close()\n" % BALANCER)
    run_ok(box, ["/usr/bin/python3", "-c", sender, lab.ca.cert, body])

    def delivered():
        with open(lab.amqp_log) as f:
            events = [json.loads(line) for line in f]
        return [e for e in events if e["event"] == "message" and e.get("body") == body]
    wait_until(delivered, 5, "the AMQP message in %s" % lab.amqp_log)


def test_mqtt_over_tls_through_the_balancer(lab, sandbox):
    # mosquitto as Foreman's installer sets it up (tests/lab/services.py): a client presents a
    # certificate from the lab CA and its CN is its user; a host writes its own control topic,
    # a proxy (its FQDN) reads every host's.
    box = sandbox()
    host = pki.make_server_cert(os.path.join(lab.pki_dir, "clients"), "client01.example.test",
                                ["client01.example.test"], lab.ca)
    proxy = lab.proxies["proxy02"].cert
    topic, message = "yggdrasil/client01.example.test/control/out", uuid.uuid4().hex
    tls = ["--cafile", lab.ca.cert]
    run_ok(box, ["mosquitto_pub", "-h", BALANCER, "-p", "1883", "-t", topic, "-m", message,
                 "-r", "--cert", host.cert, "--key", host.key] + tls)
    # One broker serves every proxy's listener: the retained message is there on proxy02 too.
    received = run_ok(box, ["mosquitto_sub", "-h", "proxy02.example.test", "-p", "1883", "-t",
                            "yggdrasil/+/control/out", "-C", "1", "-W", "10",
                            "--cert", proxy.cert, "--key", proxy.key] + tls)
    assert received.stdout == message + "\n"


def test_puppet_ca_behind_port_8141(lab):
    # Last on purpose: puppetserver started with the lab and needs ~45 s to answer.
    lab.wait_puppetserver()
    status, body = https_get(8141, "/status/v1/simple", lab.puppetserver.ca_cert_path)
    assert (status, body) == (200, b"running")
