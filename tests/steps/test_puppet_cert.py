"""PUPPET_CERT: the signing run against the Puppet CA, its bounds and outcomes, --force, dry run."""
import os

import pytest

from lbenroll.results import Status
from lbenroll.runner import CommandResult
from lbenroll.steps.puppet_cert import PuppetCert, diagnose
from tests.conftest import FakeRunner, seed

pytestmark = pytest.mark.usefixtures("dnf_host", "ca_answers")

FQDN = "client01.example.test"
CA = "smartproxy.example.test:8141"
SSL = "/etc/puppetlabs/puppet/ssl"
NOT_SIGNED = (
    "Couldn't fetch certificate from CA server; you might still need to sign this agent's "
    "certificate (%s).\n" % FQDN)
GAVE_UP = (
    "Error: Couldn't fetch certificate from CA server; you might still need to sign this agent's "
    "certificate (%s). Exiting now because the maxwaitforcert timeout has been exceeded.\n" % FQDN)
REFUSED = ('Error: Request to https://smartproxy.example.test:8141/puppet-ca/v1/certificate/ca '
           'failed after 0.002 seconds: Failed to open TCP connection to '
           'smartproxy.example.test:8141 (Connection refused)\n')
MISMATCH = "Error: The certificate for 'CN=%s' does not match its private key\n" % FQDN


def puppet_ssl(root):
    return ["chroot", str(root), "/opt/puppetlabs/puppet/bin/puppet", "ssl", "bootstrap"]


def seed_certificates(root):
    seed(root, {"%s/certs/%s.pem" % (SSL, FQDN): "CERT", "%s/certs/ca.pem" % SSL: "CA",
                "%s/private_keys/%s.pem" % (SSL, FQDN): "KEY"})


def test_existing_certificate_means_no_network(foreman_run, fake_runner, root, ca_answers):
    seed_certificates(root)
    result = PuppetCert().run(foreman_run())
    assert result.status == Status.UNCHANGED
    assert fake_runner.calls == [] and ca_answers.seen == []


def test_unreachable_ca_is_a_warning_without_a_signing_run(foreman_run, fake_runner, root,
                                                           ca_answers):
    seed_certificates(root)
    ca_answers.error = "Connection refused"
    result = PuppetCert().run(foreman_run(force=True, timeout=7))
    assert (result.status, result.summary) == (
        Status.WARNING, "the Puppet CA at %s does not answer: Connection refused" % CA)
    assert "lbenroll diagnose" in result.remediation
    assert ca_answers.seen == [("smartproxy.example.test", 8141, None, 7)]
    assert fake_runner.calls == []
    assert os.path.exists(str(root) + "%s/certs/ca.pem" % SSL)  # --force moved nothing aside


def test_signed_names_the_ca_and_the_bounds(foreman_run, fake_runner, root):
    fake_runner.expect(puppet_ssl(root), 0, "Notice: Completed SSL initialization\n")
    result = PuppetCert().run(foreman_run(timeout=45))
    assert (result.status, result.summary) == (
        Status.CHANGED, "got a certificate for %s from the Puppet CA at %s" % (FQDN, CA))
    assert fake_runner.calls == [puppet_ssl(root) + [
        "--certname", FQDN, "--waitforcert", "10", "--maxwaitforcert", "45", "--color", "false"]]


def test_interval_never_exceeds_the_timeout(foreman_run, fake_runner, root):
    fake_runner.expect(puppet_ssl(root), 0)
    PuppetCert().run(foreman_run(timeout=3, fqdn="Client01.Example.Test"))
    assert fake_runner.calls[0][-7:] == ["client01.example.test", "--waitforcert", "3",
                                         "--maxwaitforcert", "3", "--color", "false"]


def test_default_ca_port_is_puppets(foreman_run, fake_runner, root):
    fake_runner.expect(puppet_ssl(root), 0)
    result = PuppetCert().run(foreman_run(puppet_ca_port=None))
    assert result.summary.endswith("at smartproxy.example.test:8140")


@pytest.mark.parametrize("stdout,stderr,summary,fix", [
    (NOT_SIGNED, GAVE_UP,
     "the Puppet CA at %s did not sign the request for %s within 900s" % (CA, FQDN),
     "puppetserver ca sign --certname %s` on the Puppet CA, then run lbenroll again" % FQDN),
    ("", REFUSED + GAVE_UP,
     "could not get a certificate from the Puppet CA at %s: Request to https://smartproxy."
     "example.test:8141/puppet-ca/v1/certificate/ca failed after 0.002 seconds: Failed to "
     "open TCP connection to smartproxy.example.test:8141 (Connection refused)" % CA,
     "check that %s answers as the Puppet CA (lbenroll diagnose shows what the balancer "
     "forwards), then run lbenroll again" % CA),
    ("", MISMATCH + GAVE_UP,
     "the Puppet CA at %s refused a new certificate for %s: it already holds one for that "
     "name, which this host's key does not match" % (CA, FQDN),
     "`puppetserver ca clean --certname %s` (or delete the host's certificate in Foreman), "
     "then run lbenroll again with --force" % FQDN),
])
def test_no_certificate_is_a_warning_with_cause_and_fix(foreman_run, fake_runner, root, stdout,
                                                         stderr, summary, fix):
    fake_runner.expect(puppet_ssl(root), 1, stdout, stderr)
    result = PuppetCert().run(foreman_run())
    assert (result.status, result.summary) == (Status.WARNING, summary)
    assert result.remediation.endswith(fix)
    assert result.detail[-1] == GAVE_UP.strip()


def test_a_signing_run_killed_at_the_bound():
    result = CommandResult(["puppet"], 124, "", "timed out after 940s", timed_out=True)
    summary, fix = diagnose(result, FQDN, CA, 900, 940)
    assert summary == "the signing run against the Puppet CA at %s did not finish within " \
                      "940s" % CA
    assert "lbenroll diagnose" in fix


def test_dry_run_shows_the_command(foreman_run, root, ctx, ca_answers):
    ctx.runner = FakeRunner(dry_run=True)
    result = PuppetCert().run(foreman_run())
    assert result.status == Status.CHANGED and ca_answers.seen == []
    assert result.detail == ["would run: chroot %s /opt/puppetlabs/puppet/bin/puppet ssl "
                             "bootstrap --certname %s --waitforcert 10 --maxwaitforcert 900 "
                             "--color false" % (root, FQDN)]


def test_force_sets_the_ssl_directory_aside_first(foreman_run, fake_runner, ctx, root):
    seed_certificates(root)
    fake_runner.expect(puppet_ssl(root), 0, effect=lambda argv: seed(
        root, {"%s/certs/%s.pem" % (SSL, FQDN): "NEW"}))
    result = PuppetCert().run(foreman_run(force=True))
    assert result.status == Status.CHANGED
    prefix = "--force: moved %s aside to /var/lib/lbenroll/backup/set-aside/" % SSL
    assert result.detail[0].startswith(prefix)
    aside = ctx.path(result.detail[0][len("--force: moved %s aside to " % SSL):])
    with open(os.path.join(aside, "certs", FQDN + ".pem")) as f:
        assert f.read() == "CERT"
    ctx.undo.rollback()  # a later failure puts the old directory back
    with open(ctx.path("%s/certs/%s.pem" % (SSL, FQDN))) as f:
        assert f.read() == "CERT"


def test_force_without_ssl_directory_or_in_a_dry_run(foreman_run, fake_runner, ctx, root):
    fake_runner.expect(puppet_ssl(root), 0)
    result = PuppetCert().run(foreman_run(force=True))
    assert result.detail == ["--force: no %s to move aside" % SSL]
    seed_certificates(root)
    ctx.runner = FakeRunner(dry_run=True)
    result = PuppetCert().run(foreman_run(force=True))
    assert result.detail[0] == ("--force: would move %s aside into "
                                "/var/lib/lbenroll/backup/set-aside" % SSL)
    assert os.path.exists(ctx.path("%s/certs/ca.pem" % SSL))
