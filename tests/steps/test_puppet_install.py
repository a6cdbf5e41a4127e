"""PUPPET_INSTALL: puppet-agent installed once, puppet.conf kept as it was, failures."""
import os

import pytest

from lbenroll import backup, puppet_agent
from lbenroll.errors import LbenrollError
from lbenroll.packages import PackageNotAvailable
from lbenroll.results import Status
from lbenroll.steps.puppet_install import PuppetInstall
from tests.conftest import FakeRunner, rpm_answer, rpm_qa, seed
from tests.steps.conftest import dnf

pytestmark = pytest.mark.usefixtures("dnf_host", "ca_answers")

CONF = "/etc/puppetlabs/puppet/puppet.conf"


def installed(fake_runner, root, names=""):
    fake_runner.expect(rpm_qa(root), 0, rpm_answer(*names.split()))


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


# OpenVox (docs/katello-client-facts.md, "Parity with Global Registration").

def test_an_installed_openvox_agent_is_the_agent_and_no_puppet_agent_is_added(
        foreman_run, fake_runner, root):
    installed(fake_runner, root, "openvox-agent-8.23.1-1.el9")
    result = PuppetInstall().run(foreman_run())
    assert (result.status, result.summary) == (Status.UNCHANGED,
                                               "openvox-agent already installed")
    assert len(fake_runner.calls) == 1  # the run's one rpm query, no dnf


def test_puppet_package_openvox_agent_installs_it(foreman_run, fake_runner, ctx, root):
    installed(fake_runner, root)
    fake_runner.expect(dnf(root, "install", "openvox-agent"), 0, "Complete!\n")
    fake_runner.expect(dnf(root, "remove", "openvox-agent"), 0, "Complete!\n")
    result = PuppetInstall().run(foreman_run(puppet_package="openvox-agent"))
    assert (result.status, result.summary) == (Status.CHANGED,
                                               "installed openvox-agent with dnf")
    assert fake_runner.calls[-1] == dnf(root, "install", "openvox-agent")
    assert ctx.undo.rollback() == (["remove openvox-agent (installed by this run)"], [])


def test_puppet_package_openvox_agent_replaces_puppet_agent(foreman_run, fake_runner, root):
    # OpenVox's packages obsolete Puppet's: dnf swaps them in one transaction.
    installed(fake_runner, root, "puppet-agent-8.10.0-1.el9")
    fake_runner.expect(dnf(root, "install", "openvox-agent"), 0, "Complete!\n")
    result = PuppetInstall().run(foreman_run(puppet_package="openvox-agent"))
    assert result.status == Status.CHANGED
    assert fake_runner.calls[-1] == dnf(root, "install", "openvox-agent")


@pytest.mark.parametrize("given,installed_names,expected", [
    (None, [], "puppet-agent"),
    (None, ["puppet-agent"], "puppet-agent"),
    (None, ["openvox-agent"], "openvox-agent"),
    ("openvox-agent", [], "openvox-agent"),
    ("puppet-agent", ["openvox-agent"], "puppet-agent"),
])
def test_the_agent_package_is_the_option_then_the_installed_one(foreman_run, given,
                                                                installed_names, expected):
    options = foreman_run(puppet_package=given).options
    assert puppet_agent.package(options, installed_names) == expected
