"""The Puppet agent steps with the fake runner: install, signing run outcomes, --force, service."""
import os

import pytest

from lbenroll import backup, engine, probe, services
from lbenroll.errors import LbenrollError
from lbenroll.packages import PackageNotAvailable
from lbenroll.results import Result, Status
from lbenroll.runner import CommandResult
from tests.conftest import FakeRunner, rpm_answer, rpm_qa, seed
from lbenroll.steps.puppet_cert import PuppetCert, diagnose
from lbenroll.steps.puppet_enable import PuppetEnable
from lbenroll.steps.puppet_install import PuppetInstall

FQDN = "client01.example.test"
CA = "smartproxy.example.test:8141"
CONF = "/etc/puppetlabs/puppet/puppet.conf"
SSL = "/etc/puppetlabs/puppet/ssl"
FOREMAN_MODE = dict(skip=[], hostgroup="lab/web", password="api-secret")
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


@pytest.fixture(autouse=True)
def dnf_host(root):
    seed(root, {"/usr/bin/dnf": ""})


@pytest.fixture(autouse=True)
def ca_answers(monkeypatch):
    """The Puppet CA probe: answers unless a test sets `error`; records where it looked."""
    seen = []

    def tls_probe(host, port, ca_pem, timeout=10.0):
        seen.append((host, port, ca_pem, timeout))
        result = probe.ProbeResult(host, port)
        result.error = tls_probe.error
        return result
    tls_probe.error = None
    tls_probe.seen = seen
    monkeypatch.setattr(probe, "tls_probe", tls_probe)
    return tls_probe


@pytest.fixture
def foreman_run(make_run):
    def factory(**given):
        values = dict(FOREMAN_MODE)
        values.update(given)
        return make_run(**values)
    return factory


def dnf(root, *args):
    return ["chroot", str(root), "dnf", "-y"] + list(args)


def puppet_ssl(root):
    return ["chroot", str(root), "/opt/puppetlabs/puppet/bin/puppet", "ssl", "bootstrap"]


def is_enabled(root):
    return ["systemctl", "--root=%s" % root, "is-enabled"]


def installed(fake_runner, root, names=""):
    fake_runner.expect(rpm_qa(root), 0, rpm_answer(*names.split()))


def seed_certificates(root):
    seed(root, {"%s/certs/%s.pem" % (SSL, FQDN): "CERT", "%s/certs/ca.pem" % SSL: "CA",
                "%s/private_keys/%s.pem" % (SSL, FQDN): "KEY"})


def test_order_install_before_conf_then_cert_and_enable():
    ids = [step.id for step in engine.STEPS]
    start = ids.index("PUPPET_INSTALL")
    assert ids[start:start + 4] == ["PUPPET_INSTALL", "PUPPET_CONF", "PUPPET_CERT",
                                    "PUPPET_ENABLE"]


@pytest.mark.parametrize("step", [PuppetInstall, PuppetCert, PuppetEnable])
def test_skipped_with_skip_puppet_or_without_foreman(step, foreman_run, make_run, fake_runner):
    result = step().run(foreman_run(skip=["puppet"]))
    assert (result.status, result.summary) == (Status.SKIPPED, "skipped with --skip puppet")
    result = step().run(make_run())  # --skip foreman
    assert result.status == Status.SKIPPED
    assert result.summary.startswith("skipped because Foreman is skipped (--skip foreman or "
                                     "--content-only)")
    assert fake_runner.calls == []


def test_installed_agent_is_left_alone(foreman_run, fake_runner, root):
    installed(fake_runner, root, "puppet-agent\n")
    result = PuppetInstall().run(foreman_run())
    assert (result.status, result.summary) == (Status.UNCHANGED, "puppet-agent already installed")
    assert len(fake_runner.calls) == 1


def test_install_keeps_the_absent_puppet_conf_in_the_store_and_undo_removes_it(
        foreman_run, fake_runner, ctx, root):
    installed(fake_runner, root)
    fake_runner.expect(dnf(root, "install", "puppet-agent"), 0, "Complete!\n",
                       effect=lambda argv: seed(root, {CONF: "# package\n"}))
    fake_runner.expect(dnf(root, "remove", "puppet-agent"), 0, "Complete!\n")
    result = PuppetInstall().run(foreman_run())
    assert (result.status, result.summary) == (Status.CHANGED, "installed puppet-agent with dnf")
    assert os.path.exists(backup.backup_path(ctx, CONF) + backup.ABSENT_SUFFIX)
    done, failed = ctx.undo.rollback()
    assert done == ["remove puppet-agent (installed by this run)"] and failed == []
    assert fake_runner.calls[-1] == dnf(root, "remove", "puppet-agent")


def test_install_keeps_an_existing_puppet_conf_as_it_was(foreman_run, fake_runner, ctx, root):
    seed(root, {CONF: "[agent]\nserver = old.example.test\n"})
    installed(fake_runner, root)
    fake_runner.expect(dnf(root, "install"), 0, "Complete!\n")
    PuppetInstall().run(foreman_run())
    with open(backup.backup_path(ctx, CONF), "rb") as f:
        assert f.read() == b"[agent]\nserver = old.example.test\n"


def test_install_failed_undo_is_reported(foreman_run, fake_runner, ctx, root):
    installed(fake_runner, root)
    fake_runner.expect(dnf(root, "install"), 0, "Complete!\n")
    fake_runner.expect(dnf(root, "remove"), 1, "", "Error: transaction failed")
    PuppetInstall().run(foreman_run())
    done, failed = ctx.undo.rollback()
    assert done == [] and "transaction failed" in failed[0]


def test_install_unavailable_is_a_failure_that_names_skip_puppet(foreman_run, fake_runner, root):
    installed(fake_runner, root)
    fake_runner.expect(dnf(root, "install"), 1, "No match for argument: puppet-agent\n",
                       "Error: Unable to find a match: puppet-agent\n")
    with pytest.raises(PackageNotAvailable) as raised:
        PuppetInstall().run(foreman_run())
    assert raised.value.message == "no enabled repository provides puppet-agent"
    assert raised.value.fix.endswith("or add --skip puppet to enroll without the Puppet agent")


def test_install_failure_is_fatal(foreman_run, fake_runner, ctx, root):
    installed(fake_runner, root)
    fake_runner.expect(dnf(root, "install"), 1, "", "Error: GPG check FAILED\n")
    with pytest.raises(LbenrollError) as raised:
        PuppetInstall().run(foreman_run())
    assert "GPG check FAILED" in raised.value.message
    assert len(ctx.undo) == 0


def test_install_dry_run_writes_nothing(foreman_run, root, ctx):
    runner = FakeRunner(dry_run=True)
    ctx.runner = runner
    installed(runner, root)
    result = PuppetInstall().run(foreman_run())
    assert (result.status, result.summary) == (Status.CHANGED, "would install puppet-agent")
    assert not os.path.exists(ctx.path("/var/lib/lbenroll"))


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


def test_enable_skipped_with_skip_puppet_enable(foreman_run, fake_runner):
    result = PuppetEnable().run(foreman_run(skip=["puppet-enable"]))
    assert result.status == Status.SKIPPED and "--skip puppet-enable" in result.summary
    assert fake_runner.calls == []


def test_enabled_agent_with_nothing_changed_is_left_alone(foreman_run, fake_runner, root):
    fake_runner.expect(is_enabled(root), 0)
    result = PuppetEnable().run(foreman_run())
    assert result.status == Status.UNCHANGED
    assert fake_runner.calls == [is_enabled(root) + ["--quiet", "puppet"]]


def test_disabled_agent_is_enabled_and_its_start_deferred(foreman_run, fake_runner, root):
    fake_runner.expect(is_enabled(root), 1)
    fake_runner.expect(["systemctl", "--root=%s" % root, "enable", "puppet"], 0)
    result = PuppetEnable().run(foreman_run())
    assert (result.status, result.summary) == (
        Status.CHANGED, "puppet enabled; start deferred: systemd is not running")


@pytest.mark.parametrize("changed", ["PUPPET_INSTALL", "PUPPET_CONF", "PUPPET_CERT"])
def test_restarted_when_what_the_agent_reads_changed(foreman_run, fake_runner, monkeypatch,
                                                     changed):
    monkeypatch.setattr(services, "systemd_running", lambda ctx: True)
    fake_runner.expect(["systemctl"], 0)
    run = foreman_run()
    run.results[changed] = Result(changed, Status.CHANGED, "")
    result = PuppetEnable().run(run)
    assert result.summary == "puppet enabled and restarted"
    assert [call[-2] for call in fake_runner.calls] == ["enable", "restart"]


def test_enable_failure_is_fatal(foreman_run, fake_runner, root):
    fake_runner.expect(is_enabled(root), 1)
    fake_runner.expect(["systemctl", "--root=%s" % root, "enable"], 1, "",
                       "Failed to enable unit: Unit file puppet.service does not exist.")
    with pytest.raises(LbenrollError):
        PuppetEnable().run(foreman_run())


def test_enable_dry_run(foreman_run, root, ctx):
    ctx.runner = FakeRunner(dry_run=True)
    ctx.runner.expect(is_enabled(root), 1)
    result = PuppetEnable().run(foreman_run())
    assert result.summary == "would enable puppet (start deferred: systemd is not running)"
