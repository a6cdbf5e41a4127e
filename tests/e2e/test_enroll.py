"""lbenroll end to end: the real tool enrolls sandboxed hosts through the real load-balanced lab."""
import configparser
import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import uuid

import pytest

from tests.lab.lab import ACTIVATION_KEY, BALANCED_PROXIES, BALANCER, ORG

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROXY_FQDNS = sorted("%s.example.test" % name for name in BALANCED_PROXIES)
ENROLL = ["--server", BALANCER, "--puppet-ca-port", "8141", "-o", ORG, "-a", ACTIVATION_KEY,
          "--skip", "foreman", "--fqdn", "client01.example.test"]
RHSM_CONF = "/etc/rhsm/rhsm.conf"
REDHAT_REPO = "/etc/yum.repos.d/redhat.repo"
PUPPET_CONF = "/etc/puppetlabs/puppet/puppet.conf"


def lbenroll(box, *args, **kwargs):
    """Run the real lbenroll inside the sandbox; JSON output parsed when --json is given."""
    argv = [sys.executable, "-m", "lbenroll"] + list(args)
    proc = box.run(argv, env={"PYTHONPATH": REPO}, timeout=kwargs.get("timeout", 300))
    proc.report = json.loads(proc.stdout) if "--json" in args and proc.stdout.strip() else None
    return proc


def statuses(report):
    return {r["id"]: r["status"] for r in report["results"]}


def enroll(box, *extra):
    proc = lbenroll(box, *(ENROLL + ["--json"] + list(extra)))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.report


def rhsm(box):
    """rhsm.conf read raw (no interpolation), the way subscription-manager's parser keeps it."""
    parser = configparser.RawConfigParser()
    parser.read_string(box.read_text(RHSM_CONF))
    return parser


def repo_urls(box):
    parser = configparser.RawConfigParser()
    parser.read_string(box.read_text(REDHAT_REPO))
    return {section: parser.get(section, "baseurl") for section in parser.sections()}


def comment_lines(text):
    return [line for line in text.splitlines() if line.lstrip().startswith("#")]


def etc_written(box):
    """What the runs wrote or deleted under /etc (the overlay's record)."""
    return {p: v for p, v in box.written_files().items() if p.startswith("/etc/")}


def etc_bytes(box):
    """/etc as {path: sha256}: what a failed run must leave byte-identical."""
    return {path: digest for path, (digest, _mtime) in box.snapshot(["/etc"]).items()}


def makecache(box, n):
    return box.run(["dnf", "-y", "--setopt=reposdir=/etc/yum.repos.d", "--installroot",
                    "/var/tmp/dnf-root-%d" % n, "--releasever", "9", "makecache"])


def puppet_print(box):
    out = subprocess.run(["puppet", "config", "print", "server", "ca_server", "ca_port",
                          "--section", "agent", "--config", box.host_path(PUPPET_CONF)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert out.returncode == 0, out.stderr
    return dict(line.split(" = ", 1) for line in out.stdout.splitlines() if " = " in line)


def registrations(lab):
    return [e for e in lab.requests() if e["method"] == "POST" and e["path"].startswith(
        "/rhsm/consumers")]


@pytest.mark.parametrize("layout,port,content_path", [
    ("current", "443", "/pulp/content/"), ("pulp2", "8443", "/pulp/repos")])
def test_fresh_enrollment_points_everything_at_the_balancer(lab, sandbox, layout, port,
                                                           content_path):
    lab.set_layout(layout)
    box = sandbox()
    original = box.read_text(RHSM_CONF)
    before = len(registrations(lab))
    report = enroll(box)

    assert report["answering_proxy"] in PROXY_FQDNS
    assert statuses(report)["INSTALL_CONSUMER_RPM"] == "changed"
    assert statuses(report)["REGISTER"] == "changed"
    conf = rhsm(box)
    assert conf.get("server", "hostname") == BALANCER
    assert conf.get("server", "port") == port
    assert conf.get("server", "prefix") == "/rhsm"
    assert conf.get("rhsm", "baseurl") == "https://%s%s" % (BALANCER, content_path)
    assert conf.get("rhsm", "repo_ca_cert") == "%(ca_cert_dir)skatello-server-ca.pem"
    assert comment_lines(box.read_text(RHSM_CONF)) == comment_lines(original)

    urls = repo_urls(box)
    assert urls and all(url.startswith("https://%s/" % BALANCER) for url in urls.values())
    assert makecache(box, 1).returncode == 0

    assert puppet_print(box) == {"server": BALANCER, "ca_server": BALANCER, "ca_port": "8141"}
    new = registrations(lab)[before:]
    assert len(new) == 1 and new[0]["host"].split(":")[0] == BALANCER


def test_rerun_on_an_enrolled_host_writes_and_registers_nothing(lab, sandbox):
    box = sandbox()
    enroll(box)
    etc_before = box.snapshot(["/etc"])
    registered = len(registrations(lab))
    report = enroll(box)
    assert not report["changed"], statuses(report)
    assert set(statuses(report).values()) <= {"unchanged", "skipped"}
    assert box.snapshot(["/etc"]) == etc_before  # bytes and mtimes
    assert len(registrations(lab)) == registered


def test_bare_repair_run_needs_no_activation_key(lab, sandbox):
    box = sandbox()
    enroll(box)
    proc = lbenroll(box, "--server", BALANCER, "--puppet-ca-port", "8141", "--skip", "foreman",
                    "--fqdn", "client01.example.test", "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not proc.report["changed"]


def test_unregistered_host_without_key_is_told_what_is_missing(lab, sandbox):
    box = sandbox()
    proc = lbenroll(box, "--server", BALANCER, "--skip", "foreman",
                    "--fqdn", "client01.example.test")
    assert proc.returncode == 2
    # Everything missing, in one usage error, before anything runs.
    assert ("lbenroll: error: -a KEY and -o ORG_LABEL are needed to register this host"
            in proc.stderr)
    assert etc_written(box) == {}


def test_drift_is_repaired_exactly(lab, sandbox):
    box = sandbox()
    enroll(box)
    drifted_proxy = "proxy02.example.test"
    box.seed(RHSM_CONF, box.read(RHSM_CONF).replace(
        ("hostname = %s" % BALANCER).encode(), ("hostname = %s" % drifted_proxy).encode()))
    box.seed(REDHAT_REPO, box.read(REDHAT_REPO).replace(
        ("https://%s/" % BALANCER).encode(), ("https://%s/" % drifted_proxy).encode()))
    box.seed(PUPPET_CONF, b"\n".join(line for line in box.read(PUPPET_CONF).split(b"\n")
                                    if not line.startswith(b"ca_port")))
    registered = len(registrations(lab))

    report = enroll(box)
    changed = sorted(i for i, s in statuses(report).items() if s == "changed")
    assert changed == ["PUPPET_CONF", "REDHAT_REPO", "RHSM_CONF"]
    assert rhsm(box).get("server", "hostname") == BALANCER
    assert all(BALANCER in url for url in repo_urls(box).values())
    assert puppet_print(box)["ca_port"] == "8141"
    assert len(registrations(lab)) == registered


def sticky_proxy(lab):
    """The proxy that balancer:443 pins this machine's clients (source 127.0.0.1) to."""
    path = "/rhsm/status?probe=%s" % uuid.uuid4().hex
    raw = socket.create_connection(("127.0.1.10", 443), timeout=10)
    context = ssl.create_default_context(cafile=lab.ca.cert)
    conn = http.client.HTTPSConnection(BALANCER, 443, timeout=10)
    conn.sock = context.wrap_socket(raw, server_hostname=BALANCER)
    conn.request("GET", path)
    conn.getresponse().read()
    conn.close()
    return [e["proxy"] for e in lab.requests() if e["path"] == path][0]


def test_enrollment_survives_a_proxy_dying_before_haproxy_notices(lab, sandbox):
    # Stopped right before the run, inside HAProxy's health-check window: the balancer still
    # believes in it, so the run's first connections to it fail and are redispatched.
    box = sandbox()
    victim = sticky_proxy(lab)
    lab.stop_proxy(victim.split(".")[0])
    report = enroll(box)
    assert report["answering_proxy"] != victim
    assert rhsm(box).get("server", "hostname") == BALANCER
    assert all(e["proxy"] != victim for e in registrations(lab)[-1:])


def test_non_sticky_443_breaks_dnf_as_the_article_warns(lab, sandbox):
    box = sandbox()
    enroll(box)
    assert makecache(box, 1).returncode == 0
    lab.set_balance(443, "roundrobin")
    broken = makecache(box, 2)
    assert broken.returncode != 0 and "404" in broken.stderr
    lab.set_balance(443, "source")
    assert makecache(box, 3).returncode == 0


def test_dry_run_shows_diffs_and_commands_and_touches_nothing(lab, sandbox):
    box = sandbox()
    proc = lbenroll(box, *(ENROLL + ["--dry-run"]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "would install katello-ca-consumer-" in proc.stdout
    assert "+hostname = %s" % BALANCER not in proc.stdout or "-hostname" in proc.stdout
    assert "+server = %s" % BALANCER in proc.stdout  # puppet.conf diff
    assert "subscription-manager register" in proc.stdout
    assert ACTIVATION_KEY not in proc.stdout + proc.stderr
    assert etc_written(box) == {}
    written = box.written_files()
    assert "/var/log/lbenroll.log" not in written and "/var/lib/lbenroll/lock" not in written


def test_secrets_never_appear_in_output_json_or_log(lab, sandbox):
    box = sandbox()
    proc = lbenroll(box, *(ENROLL + ["--json", "--verbose"]))
    assert proc.returncode == 0, proc.stderr
    log = box.read_text("/var/log/lbenroll.log")
    assert "subscription-manager register" in log
    for text in (proc.stdout, proc.stderr, log):
        assert ACTIVATION_KEY not in text


def test_messaging_agents_follow_the_balancer(lab, sandbox):
    box = sandbox()
    box.seed("/etc/yggdrasil/config.toml",
             b'# yggdrasil\nbroker = ["mqtts://proxy02.example.test:1883"]\n'
             b'cert-file = "/etc/pki/consumer/cert.pem"\n')
    box.seed("/etc/gofer/plugins/katello.conf",
             b"[main]\nenabled=1\n\n[messaging]\nurl=proxy+amqps://proxy03.example.test:5647\n")
    report = enroll(box)
    result = statuses(report)
    assert result["CHECK_AMQP"] == "unchanged"
    assert result["YGGDRASIL_CONFIG"] == "changed" and result["GOFER_CONFIG"] == "changed"
    assert result["CHECK_MQTT"] == "unchanged"
    assert 'mqtts://%s:1883' % BALANCER in box.read_text("/etc/yggdrasil/config.toml")
    assert "amqps://%s:5647" % BALANCER in box.read_text("/etc/gofer/plugins/katello.conf")


# -- bad worlds: a documented non-zero exit, a message with cause and fix, /etc untouched ---------

def test_html_error_page_instead_of_the_rpm(lab, sandbox):
    for proxy in BALANCED_PROXIES:
        lab.set_fault(proxy, pub="html_error")
    box = sandbox()
    proc = lbenroll(box, *ENROLL)
    assert proc.returncode == 65, proc.stdout
    assert "not a usable RPM" in proc.stdout and "fix:" in proc.stdout
    assert etc_written(box) == {}


def test_proxy_certificate_without_the_balancer_name(lab, sandbox):
    lab.haproxy.route_only(443, "proxy09")
    box = sandbox()
    proc = lbenroll(box, *ENROLL)
    assert proc.returncode == 78, proc.stdout
    assert "proxy09.example.test" in proc.stdout and BALANCER in proc.stdout
    assert "--foreman-proxy-cname %s" % BALANCER in proc.stdout
    assert etc_written(box) == {}


@pytest.mark.parametrize("server,cause", [("nowhere.example.test", "does not resolve"),
                                          ("refused.example.test", "connection refused")])
def test_unreachable_balancer(lab, sandbox, server, cause):
    box = sandbox()
    args = ["--server", server] + ENROLL[2:]
    proc = lbenroll(box, *args)
    assert proc.returncode == 69, proc.stdout
    assert cause in proc.stdout and "fix:" in proc.stdout
    assert etc_written(box) == {}


@pytest.mark.parametrize("fault,key,code", [("unavailable", ACTIVATION_KEY, 69),
                                            (None, "no-such-key", 76)])
def test_registration_failure_rolls_back_to_the_original_etc(lab, sandbox, fault, key, code):
    if fault:
        for proxy in BALANCED_PROXIES:
            lab.set_fault(proxy, rhsm=fault)
    box = sandbox()
    before = etc_bytes(box)
    args = list(ENROLL)
    args[args.index(ACTIVATION_KEY)] = key
    proc = lbenroll(box, *args)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert "REGISTER" in proc.stdout and "fix:" in proc.stdout
    assert "ROLLBACK" in proc.stdout
    assert etc_bytes(box) == before
    assert key not in proc.stdout + proc.stderr

