"""INSTALL_PACKAGES: --install-packages, only the missing ones; and what a dry run of the
package steps does."""
import pytest

from lbenroll.results import Status
from lbenroll.steps.host_tools import HostTools
from lbenroll.steps.install_packages import InstallPackages
from lbenroll.steps.rhsmcertd import Rhsmcertd
from lbenroll.steps.update import Update
from tests.conftest import rpm_answer, rpm_qa
from tests.steps.conftest import NO_MATCH, dnf, registered

pytestmark = pytest.mark.usefixtures("dnf_host")


def test_install_packages_only_the_missing_ones(make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("vim-enhanced"))
    fake_runner.expect(dnf(root, "install"), 0, "Complete!\n")
    result = InstallPackages().run(make_run(install_packages="vim-enhanced,tmux"))
    assert result.status == Status.CHANGED
    assert fake_runner.calls[-1] == dnf(root, "install", "tmux")


def test_install_packages_unavailable_is_a_clear_warning(make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, "")
    fake_runner.expect(dnf(root, "install"), 1, "", NO_MATCH % ("nosuch", "nosuch"))
    result = InstallPackages().run(make_run(install_packages="nosuch"))
    assert result.status == Status.WARNING
    assert result.summary == "no enabled repository provides nosuch"
    assert "--deps-repository-url" in result.remediation


def test_dry_run_installs_and_starts_nothing(make_run, fake_runner, root):
    fake_runner.dry_run = True
    fake_runner.expect(rpm_qa(root), 0, "")
    run = registered(make_run(install_packages="tmux", update=True))
    # REGISTER changed the repositories in this (dry) run: dnf is not asked, the package steps
    # may change; rhsmcertd is restarted after every registration.
    for step in (HostTools(), InstallPackages(), Update()):
        assert step.run(run).status == Status.MAY_CHANGE
    assert Rhsmcertd().run(run).status == Status.CHANGED
    assert [c for c in fake_runner.calls if c[0] != "rpm"] == []
    assert fake_runner.would_run[-1] == "systemctl --root=%s enable rhsmcertd" % root
