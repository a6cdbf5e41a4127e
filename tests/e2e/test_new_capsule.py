"""--new-capsule end to end: a host enrolled through one balancer name moves to another."""
import json
import sys

import pytest

from tests.e2e.test_enroll import (PUPPET_CONF, REPO, enroll, etc_bytes, etc_written, makecache,
                                   puppet_print, registrations, repo_urls, rhsm, statuses)
from tests.e2e.test_foreman import FOREMAN
from tests.lab.foreman import BALANCED_PROXY_NAMES, PASSWORD
from tests.lab.lab import BALANCER, SECOND_BALANCER

FQDN = "client01.example.test"
MOVE = ["--new-capsule", "--server", SECOND_BALANCER, "--fqdn", FQDN]
CONTENT_ONLY = ["--skip", "foreman"]
GOFER = "/etc/gofer/plugins/katello.conf"
YGGDRASIL = "/etc/yggdrasil/config.toml"
CONSUMER_CERT = "/etc/pki/consumer/cert.pem"
LBENROLL_CONF = "/etc/lbenroll/lbenroll.conf"
SCAP = "/etc/foreman_scap_client/config.yaml"


def lbenroll(box, *args):
    """The real lbenroll in the sandbox, with the Foreman password in its environment."""
    argv = [sys.executable, "-m", "lbenroll"] + list(args)
    proc = box.run(argv, env={"PYTHONPATH": REPO, "LBENROLL_PASSWORD": PASSWORD}, timeout=300)
    proc.report = json.loads(proc.stdout) if "--json" in args and proc.stdout.strip() else None
    return proc


def move(box, *extra):
    proc = lbenroll(box, *(MOVE + list(extra) + ["--json"]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.report


def seed_agents(box):
    """gofer and yggdrasil configured, as katello-agent and rhc leave them."""
    box.seed(YGGDRASIL, b'broker = ["mqtts://proxy02.example.test:1883"]\n'
                        b'cert-file = "/etc/pki/consumer/cert.pem"\n')
    box.seed(GOFER, b"[main]\nenabled=1\n\n[messaging]\nurl=proxy+amqps://proxy03.example.test:5647\n")
    box.seed(SCAP, b":server: 'proxy01.example.test'\n:port: 9090\n")


def recorded(box):
    return dict(line.split(" = ", 1) for line in box.read_text(LBENROLL_CONF).splitlines()
                if " = " in line and not line.startswith("#"))


def foreman_writes(lab, since=0):
    return [r for r in lab.foreman.requests()[since:] if r["method"] != "GET"]


@pytest.fixture
def puppet_ca(lab):
    """Enrolling asks the Puppet CA behind the balancer's 8141 for a certificate."""
    lab.wait_puppetserver()


def proxies_behind_the_second_balancer(lab):
    """The proxies re-registered through lb2, as an admin does when the balancer moves."""
    for proxy_id in range(1, len(BALANCED_PROXY_NAMES) + 1):
        lab.foreman.set_smart_proxy(proxy_id,
                                    registration_url="https://%s:9090" % SECOND_BALANCER)


@pytest.mark.parametrize("ca_port", [None, "8141"])
def test_content_only_host_moves_to_the_second_balancer(lab, sandbox, puppet_ca, ca_port):
    box = sandbox()
    seed_agents(box)
    enroll(box)
    assert puppet_print(box)["ca_port"] == "8141"
    consumer_cert = box.read(CONSUMER_CERT)
    registered = len(registrations(lab))

    port = ["--puppet-ca-port", ca_port] if ca_port else []
    report = move(box, *(CONTENT_ONLY + port))
    result = statuses(report)
    assert result["REGISTER"] == "unchanged" and result["INSTALL_CONSUMER_RPM"] == "unchanged"
    assert {result[s] for s in ("RHSM_CONF", "REDHAT_REPO", "PUPPET_CONF", "GOFER_CONFIG",
                                "YGGDRASIL_CONFIG", "OPENSCAP_CONFIG",
                                "RECORD_OPTIONS")} == {"changed"}
    conf = rhsm(box)
    assert conf.get("server", "hostname") == SECOND_BALANCER
    assert conf.get("rhsm", "baseurl") == "https://%s/pulp/content/" % SECOND_BALANCER
    urls = repo_urls(box)
    assert urls and all(u.startswith("https://%s/" % SECOND_BALANCER) for u in urls.values())
    assert makecache(box, 1).returncode == 0
    puppet = puppet_print(box)
    assert (puppet["server"], puppet["ca_server"]) == (SECOND_BALANCER, SECOND_BALANCER)
    if ca_port:
        assert puppet["ca_port"] == ca_port
    else:  # the old balancer's Puppet CA port must not linger: Puppet's default applies
        assert "ca_port" not in box.read_text(PUPPET_CONF) and puppet["ca_port"] == "8140"
    assert "mqtts://%s:1883" % SECOND_BALANCER in box.read_text(YGGDRASIL)
    assert "amqps://%s:5647" % SECOND_BALANCER in box.read_text(GOFER)
    assert box.read_text(SCAP) == ":server: '%s'\n:port: 9090\n" % SECOND_BALANCER
    # The same consumer: nothing registered, the identity untouched.
    assert len(registrations(lab)) == registered and box.read(CONSUMER_CERT) == consumer_cert
    assert recorded(box)["server"] == SECOND_BALANCER and "new-capsule" not in recorded(box)

    etc_before = box.snapshot(["/etc"])
    again = move(box, *(CONTENT_ONLY + port))
    assert not again["changed"], statuses(again)
    repair = lbenroll(box, "repair", "--json")
    assert repair.returncode == 0, repair.stdout + repair.stderr
    assert not repair.report["changed"], statuses(repair.report)
    assert box.snapshot(["/etc"]) == etc_before  # bytes and mtimes
    assert len(registrations(lab)) == registered


def test_foreman_host_record_moves_to_the_second_balancers_proxies(lab, sandbox, puppet_ca):
    box = sandbox()
    enrolled = lbenroll(box, *FOREMAN)
    assert enrolled.returncode == 0, enrolled.stdout + enrolled.stderr
    [host] = lab.foreman.hosts()
    proxies_behind_the_second_balancer(lab)
    seen = len(lab.foreman.requests())

    report = move(box, "-l", "admin", "--puppet-ca-port", "8141")
    assert statuses(report)["FOREMAN_HOST"] == "changed"
    [put] = foreman_writes(lab, seen)
    assert (put["method"], put["path"]) == ("PUT", "/api/v2/hosts/%d" % host["id"])
    # The OpenSCAP proxy moves too, as bootstrap.py moves it (every lab proxy has the feature).
    assert put["body"] == {"host": {"content_facet_attributes": {"content_source_id": 1},
                                    "puppet_proxy_id": 1, "puppet_ca_proxy_id": 1,
                                    "openscap_proxy_id": 1}}
    assert put["proxy"] in BALANCED_PROXY_NAMES and put["user"] == "admin"
    [moved] = lab.foreman.hosts()
    assert moved["hostgroup_id"] == host["hostgroup_id"]
    assert rhsm(box).get("server", "hostname") == SECOND_BALANCER
    assert puppet_print(box)["ca_server"] == SECOND_BALANCER

    seen = len(lab.foreman.requests())
    again = move(box, "-l", "admin", "--puppet-ca-port", "8141")
    assert statuses(again)["FOREMAN_HOST"] == "unchanged" and not again["changed"]
    assert foreman_writes(lab, seen) == []
    assert PASSWORD not in box.read_text("/var/log/lbenroll.log")


def test_host_record_missing_in_foreman_fails_before_anything_changes(lab, sandbox,
                                                                      puppet_ca):
    box = sandbox()
    enroll(box)  # content only: Foreman has no record of it
    # Registered by something else (no lbenroll record to say the host is content-only): the
    # move asks Foreman for the host record.
    assert box.run(["rm", "/etc/lbenroll/lbenroll.conf"]).returncode == 0
    before = etc_bytes(box)
    proc = lbenroll(box, *MOVE)
    assert proc.returncode == 65, proc.stdout + proc.stderr
    assert 'name="%s"' % FQDN in proc.stdout and "drop --new-capsule" in proc.stdout
    assert etc_bytes(box) == before and foreman_writes(lab) == []


def test_unregistered_host_is_not_moved(lab, sandbox):
    box = sandbox()
    proc = lbenroll(box, *(MOVE + CONTENT_ONLY))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    # Refused with the command line (issue 19): told to enroll instead, with the command.
    assert "--new-capsule moves an enrolled host, and this host was never enrolled" in proc.stderr
    assert ("fix: enroll it instead: lbenroll --server %s -o ORG_LABEL --skip foreman -a KEY"
            % SECOND_BALANCER) in proc.stderr, proc.stderr
    assert etc_written(box) == {}


def test_dry_run_shows_the_move_and_writes_nothing(lab, sandbox, puppet_ca):
    box = sandbox()
    enroll(box)
    etc_before = box.snapshot(["/etc"])
    proc = lbenroll(box, *(MOVE + CONTENT_ONLY + ["--dry-run"]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "-hostname = %s" % BALANCER in proc.stdout
    assert "+hostname = %s" % SECOND_BALANCER in proc.stdout
    assert "+server = %s" % SECOND_BALANCER in proc.stdout  # puppet.conf
    assert "-ca_port" in proc.stdout
    assert "subscription-manager register" not in proc.stdout
    assert box.snapshot(["/etc"]) == etc_before

