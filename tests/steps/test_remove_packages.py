"""REMOVE_PACKAGES: bootstrap.py's packages less the skipped ones; the consumer package without
its scriptlets."""

import pytest

from lbenroll.results import Status
from tests.conftest import rpm_answer, rpm_qa, seed
from tests.steps.conftest import dnf
from lbenroll.steps.remove_packages import RemovePackages, wanted_packages


@pytest.fixture
def with_dnf(root):
    seed(root, {"/usr/bin/dnf": ""})


@pytest.mark.parametrize("skip,expected", [
    ([], ["katello-ca-consumer-*", "katello-agent", "gofer", "katello-host-tools",
          "katello-host-tools-fact-plugin", "puppet-agent", "openvox-agent"]),
    (["katello-agent", "katello-host-tools", "puppet"], ["katello-ca-consumer-*"]),
])
def test_packages_are_bootstrap_pys_and_openvox_agent_less_the_skipped(remove_run, skip,
                                                                        expected):
    assert wanted_packages(remove_run(skip=["foreman"] + skip).options) == expected


def test_installed_packages_are_removed(remove_run, fake_runner, root, with_dnf):
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("katello-ca-consumer-lb.example.test",
                                                    "puppet-agent"))
    fake_runner.expect(["rpm", "--root", str(root), "-e"], 0)
    fake_runner.expect(dnf(root, "remove"), 0)
    result = RemovePackages().run(remove_run())
    assert result.status == Status.CHANGED
    # The consumer package without its scriptlets: its %postun would restore kat-backup.
    assert fake_runner.calls[-2] == ["rpm", "--root", str(root), "-e", "--noscripts",
                                     "--nodeps", "katello-ca-consumer-lb.example.test"]
    assert fake_runner.calls[-1] == dnf(root, "remove", "puppet-agent")


def test_nothing_installed_is_unchanged(remove_run, fake_runner, root, with_dnf):
    fake_runner.expect(rpm_qa(root), 0, "")
    assert RemovePackages().run(remove_run()).status == Status.UNCHANGED
    assert len(fake_runner.calls) == 1


def test_package_removal_failure_is_a_warning(remove_run, fake_runner, root, with_dnf):
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("katello-ca-consumer-lb.example.test",
                                                    "puppet-agent"))
    fake_runner.expect(["rpm", "--root", str(root), "-e"], 0)
    fake_runner.expect(dnf(root, "remove"), 1, "", "Error: transaction failed")
    result = RemovePackages().run(remove_run())
    assert result.status == Status.WARNING and "transaction failed" in result.summary
    assert "dnf -y remove puppet-agent" in result.remediation


def test_an_openvox_agent_is_removed_like_puppet_agent(remove_run, fake_runner, root, with_dnf):
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("openvox-agent-8.23.1-1.el9"))
    fake_runner.expect(dnf(root, "remove"), 0)
    result = RemovePackages().run(remove_run())
    assert result.status == Status.CHANGED and result.data["removed"] == ["openvox-agent"]
    assert fake_runner.calls[-1] == dnf(root, "remove", "openvox-agent")
