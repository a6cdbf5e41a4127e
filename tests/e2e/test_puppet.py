"""The Puppet agent end to end: the stand-in puppet-agent from the lab's content repository, a
certificate from the real puppetserver through the balancer's 8141, the service, --force."""
import json
import os
import subprocess

import pytest

from tests.e2e.test_enroll import ENROLL, statuses
from tests.e2e.test_foreman import FOREMAN, FQDN, lbenroll
from tests.e2e.test_kickstart import systemctl_calls

PUPPET_STEPS = ("PUPPET_INSTALL", "PUPPET_CONF", "PUPPET_CERT", "PUPPET_ENABLE")
SSL_DIR = "/etc/puppetlabs/puppet/ssl"
CERT = "%s/certs/%s.pem" % (SSL_DIR, FQDN)
CA = "smartproxy.example.test:8141"
SET_ASIDE = "/var/lib/lbenroll/backup/set-aside"


@pytest.fixture
def box(lab, sandbox):
    lab.wait_puppetserver()
    return sandbox()


def enroll(box, *extra):
    proc = lbenroll(box, *(FOREMAN + ["--json"] + list(extra)))
    proc.report = json.loads(proc.stdout) if proc.stdout.strip() else None
    return proc


def results(proc):
    return {r["id"]: r for r in proc.report["results"]}


def ca_sessions(lab):
    """Connections HAProxy has accepted on 8141 (cumulative, counted when accepted)."""
    for line in lab.haproxy.command("show stat").splitlines():
        fields = line.split(",")
        if fields[:2] == ["fe_8141", "FRONTEND"]:
            return int(fields[7])  # stot
    raise AssertionError("no fe_8141 frontend in HAProxy's stats")


def ca_requests(lab, certname=FQDN):
    """The puppetserver access-log lines of requests about certname."""
    with open(lab.puppetserver.log_path, errors="replace") as f:
        return [line.strip() for line in f if line.startswith("access ") and certname in line]


def x509(box, path, *fields):
    proc = subprocess.run(["openssl", "x509", "-noout"] + list(fields), input=box.read(path),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.decode().strip()


def rpm_installed(box, name):
    return box.run(["rpm", "-q", name]).returncode == 0


def test_enrollment_installs_the_agent_gets_its_certificate_through_8141_then_leaves_it(
        lab, box):
    sessions = ca_sessions(lab)
    proc = enroll(box)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = results(proc)
    assert result["PUPPET_INSTALL"]["summary"] == "installed puppet-agent with dnf"
    assert rpm_installed(box, "puppet-agent")
    assert result["PUPPET_CONF"]["status"] == "changed"
    assert result["PUPPET_CERT"]["summary"] == (
        "got a certificate for %s from the Puppet CA at %s" % (FQDN, CA))
    assert result["PUPPET_ENABLE"]["summary"] == (
        "puppet enabled; start deferred: systemd is not running")

    # The certificate the real CA signed, chaining to the CA's certificate the agent fetched.
    assert x509(box, CERT, "-subject") == "subject=CN = %s" % FQDN
    assert x509(box, CERT, "-issuer") == "issuer=CN = Puppet CA: proxy01.example.test"
    assert box.read("%s/certs/ca.pem" % SSL_DIR) == open(lab.puppetserver.ca_cert_path,
                                                          "rb").read()
    # ... requested through the balancer's 8141, which only forwards to proxy01's puppetserver.
    assert ca_sessions(lab) > sessions
    requests = ca_requests(lab)
    assert any('"PUT /puppet-ca/v1/certificate_request/%s' % FQDN in r for r in requests)
    assert any('"GET /puppet-ca/v1/certificate/%s' % FQDN in r for r in requests)
    assert "systemctl enable puppet" in systemctl_calls(box)
    assert not any("restart puppet" in call for call in systemctl_calls(box))

    sessions, seen, calls = ca_sessions(lab), len(ca_requests(lab)), len(systemctl_calls(box))
    again = enroll(box)
    assert again.returncode == 0, again.stdout + again.stderr
    assert {statuses(again.report)[step] for step in PUPPET_STEPS} == {"unchanged"}
    assert results(again)["PUPPET_CERT"]["summary"] == (
        "%s has its certificate and the CA's in %s" % (FQDN, SSL_DIR))
    assert ca_sessions(lab) == sessions and len(ca_requests(lab)) == seen
    assert systemctl_calls(box)[calls:] == ["systemctl is-enabled --quiet puppet"]


def test_skip_puppet_enable_and_puppet_noop(lab, box):
    proc = enroll(box, "--skip", "puppet-enable", "--puppet-noop")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = results(proc)
    assert result["PUPPET_CERT"]["status"] == "changed"
    assert result["PUPPET_ENABLE"]["status"] == "skipped"
    assert "--skip puppet-enable" in result["PUPPET_ENABLE"]["summary"]
    assert not any("puppet" in call for call in systemctl_calls(box))
    # The agent itself reads noop from the [agent] section lbenroll wrote.
    printed = box.run(["/opt/puppetlabs/puppet/bin/puppet", "config", "print", "noop", "server",
                       "ca_port", "--section", "agent"])
    assert printed.returncode == 0, printed.stderr
    assert dict(line.split(" = ", 1) for line in printed.stdout.splitlines()) == {
        "noop": "true", "server": "smartproxy.example.test", "ca_port": "8141"}


def test_skip_puppet_and_content_only_leave_the_agent_out(lab, box, sandbox):
    sessions = ca_sessions(lab)
    proc = enroll(box, "--skip", "puppet")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for step in PUPPET_STEPS:
        assert results(proc)[step]["status"] == "skipped"
        assert results(proc)[step]["summary"] == "skipped with --skip puppet"
    assert not rpm_installed(box, "puppet-agent")

    content_only = sandbox()
    proc = lbenroll(content_only, *(ENROLL + ["--json"]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = {r["id"]: r for r in json.loads(proc.stdout)["results"]}
    assert result["PUPPET_CONF"]["status"] == "changed"
    for step in ("PUPPET_INSTALL", "PUPPET_CERT", "PUPPET_ENABLE"):
        assert result[step]["status"] == "skipped"
        assert "Foreman is skipped" in result[step]["summary"]
    assert not rpm_installed(content_only, "puppet-agent")
    assert ca_sessions(lab) == sessions


def test_dry_run_shows_the_signing_run_and_runs_nothing(lab, box):
    sessions = ca_sessions(lab)
    proc = enroll(box, "--dry-run")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = results(proc)
    assert result["PUPPET_INSTALL"]["summary"] == "would install puppet-agent"
    assert result["PUPPET_CERT"]["summary"] == (
        "would request a certificate for %s from the Puppet CA at %s" % (FQDN, CA))
    assert result["PUPPET_CERT"]["detail"] == [
        "would run: /opt/puppetlabs/puppet/bin/puppet ssl bootstrap --certname %s "
        "--waitforcert 10 --maxwaitforcert 900 --color false" % FQDN]
    assert not rpm_installed(box, "puppet-agent") and ca_sessions(lab) == sessions


def test_unsigned_request_is_a_bounded_warning_and_a_rerun_after_signing_gets_it(lab, box):
    lab.set_puppet_autosign(False)
    proc = enroll(box, "--timeout", "5")
    assert proc.returncode == 3, proc.stdout + proc.stderr  # finished: the wait was bounded
    result = results(proc)
    cert = result["PUPPET_CERT"]
    assert cert["status"] == "warning"
    assert cert["summary"] == ("the Puppet CA at %s did not sign the request for %s within 5s"
                               % (CA, FQDN))
    assert "puppetserver ca sign --certname %s" % FQDN in cert["remediation"]
    assert any("you might still need to sign" in line for line in cert["detail"])
    # The rest of the enrollment stays.
    assert "ROLLBACK" not in result and result["REGISTER"]["status"] == "changed"
    assert result["PUPPET_ENABLE"]["status"] == "changed"
    assert not box.exists(CERT)

    lab.puppetserver.sign_certificate(FQDN)  # the fix the warning names
    again = enroll(box, "--timeout", "5")
    assert again.returncode == 0, again.stdout + again.stderr
    assert statuses(again.report)["PUPPET_CERT"] == "changed"
    assert box.exists(CERT)


def test_force_sets_the_old_ssl_directory_aside_and_gets_a_new_certificate(lab, box):
    assert enroll(box).returncode == 0
    old_serial = x509(box, CERT, "-serial")

    # The CA still holds the old certificate: it refuses a second one for the name.
    refused = enroll(box, "--force", "--timeout", "5")
    assert refused.returncode == 3, refused.stdout + refused.stderr
    cert = results(refused)["PUPPET_CERT"]
    assert cert["summary"] == (
        "the Puppet CA at %s refused a new certificate for %s: it already holds one for that "
        "name, which this host's key does not match" % (CA, FQDN))
    assert "puppetserver ca clean --certname %s" % FQDN in cert["remediation"]
    assert "--force" in cert["remediation"]

    # As Foreman does when a host is rebuilt: the old certificate is cleaned on the CA.
    assert lab.puppetserver.clean_certificate(FQDN)
    proc = enroll(box, "--force")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    cert = results(proc)["PUPPET_CERT"]
    assert cert["status"] == "changed"
    assert cert["detail"][0].startswith("--force: moved %s aside to %s/" % (SSL_DIR, SET_ASIDE))
    new_serial = x509(box, CERT, "-serial")
    assert new_serial != old_serial
    aside = [os.path.join(SET_ASIDE, stamp, SSL_DIR.lstrip("/"), "certs", FQDN + ".pem")
             for stamp in box.listdir(SET_ASIDE)]
    assert old_serial in [x509(box, path, "-serial") for path in aside if box.exists(path)]


def test_unreachable_ca_is_an_immediate_warning(lab, box):
    args = list(FOREMAN)
    args[args.index("8141")] = "8149"  # nothing listens there on the balancer
    proc = lbenroll(box, *(args + ["--json"]))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    cert = {r["id"]: r for r in json.loads(proc.stdout)["results"]}["PUPPET_CERT"]
    assert cert["summary"] == ("the Puppet CA at smartproxy.example.test:8149 does not answer: "
                               "Connection refused")
    assert "lbenroll diagnose" in cert["remediation"]
    assert not box.exists(SSL_DIR)
