"""OBSOLETE_PACKAGES: the RHN Classic and Spacewalk client packages bootstrap.py removes."""
import pytest

from lbenroll.results import Status
from lbenroll.steps.obsolete_packages import ObsoletePackages
from tests.conftest import rpm_answer, rpm_qa
from tests.steps.conftest import dnf

pytestmark = pytest.mark.usefixtures("dnf_host")


def test_no_obsolete_packages_no_transaction(make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, "")
    assert ObsoletePackages().run(make_run()).status == Status.UNCHANGED
    assert len(fake_runner.calls) == 1


def test_installed_obsolete_packages_are_removed(make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("rhn-setup", "rhnsd"))
    fake_runner.expect(dnf(root, "remove"), 0, "Complete!\n")
    result = ObsoletePackages().run(make_run())
    assert result.summary == "removed rhn-setup, rhnsd"
    assert fake_runner.calls[-1] == dnf(root, "remove", "rhn-setup", "rhnsd")


def test_obsolete_packages_failure_is_a_warning_and_skip_is_honoured(make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("osad"))
    fake_runner.expect(dnf(root, "remove"), 1, "", "Error: protected")
    assert ObsoletePackages().run(make_run()).status == Status.WARNING
    skipped = ObsoletePackages().run(make_run(skip=["foreman", "remove-obsolete-packages"]))
    assert skipped.status == Status.SKIPPED
