"""HOST_TOOLS: katello-host-tools, installed once."""
import pytest

from lbenroll.errors import LbenrollError
from lbenroll.results import Status
from lbenroll.steps.host_tools import HostTools
from tests.conftest import rpm_answer, rpm_qa
from tests.steps.conftest import NO_MATCH, dnf

pytestmark = pytest.mark.usefixtures("dnf_host")


def test_host_tools_installed_once(make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, "")
    fake_runner.expect(dnf(root, "install"), 0, "Complete!\n")
    result = HostTools().run(make_run())
    assert result.summary == "installed katello-host-tools with dnf"


def test_host_tools_already_installed_needs_no_transaction(make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("katello-host-tools"))
    assert HostTools().run(make_run()).status == Status.UNCHANGED
    assert len(fake_runner.calls) == 1  # rpm only


def test_host_tools_not_available_is_reported_not_fatal(make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, "")
    fake_runner.expect(dnf(root, "install"), 1, "", NO_MATCH % (("katello-host-tools",) * 2))
    result = HostTools().run(make_run())
    assert result.status == Status.SKIPPED
    assert "no enabled repository provides katello-host-tools" in result.summary
    assert "--skip" not in result.summary and result.remediation


def test_host_tools_other_failure_is_fatal(make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, "")
    fake_runner.expect(dnf(root, "install"), 1, "", "Error: GPG check FAILED")
    with pytest.raises(LbenrollError) as exc:
        HostTools().run(make_run())
    assert "GPG check FAILED" in exc.value.format_message()


def test_host_tools_skipped(make_run, fake_runner):
    result = HostTools().run(make_run(skip=["foreman", "katello-host-tools"]))
    assert result.status == Status.SKIPPED and fake_runner.calls == []


def test_a_full_rerun_on_a_registered_host_installs_no_host_tools(make_run, fake_runner, root):
    # With -a (the full command kickstart files re-run): the consumer certificate stands.
    fake_runner.expect(rpm_qa(root), 0, "")
    run = make_run()
    run.registered_before, run.registration_problem = True, None
    result = HostTools().run(run)
    assert result.status == Status.SKIPPED and "installs no packages" in result.summary
    assert all(call[:1] == ["rpm"] for call in fake_runner.calls)  # no dnf


def test_a_dry_run_after_a_registration_says_may_change(make_run, fake_runner, root, ctx):
    from lbenroll.results import Result
    fake_runner.dry_run = True
    fake_runner.expect(rpm_qa(root), 0, "")
    run = make_run()
    run.results["REGISTER"] = Result("REGISTER", Status.CHANGED, "would register")
    result = HostTools().run(run)
    assert result.status == Status.MAY_CHANGE and "may install" in result.summary
    assert all(call[:1] == ["rpm"] for call in fake_runner.calls)  # dnf not asked


def test_a_dry_run_asks_dnf_read_only_and_says_what_the_run_will(make_run, fake_runner, root,
                                                                   ctx):
    fake_runner.dry_run = True
    fake_runner.expect(rpm_qa(root), 0, "")
    fake_runner.expect(["chroot", str(root), "dnf", "--assumeno", "install"], 1, "",
                       "Error: Unable to find a match: katello-host-tools\n")
    result = HostTools().run(make_run())
    assert result.status == Status.SKIPPED  # as the run: no repository provides it
    fake_runner.expect(["chroot", str(root), "dnf", "--assumeno", "install",
                        "katello-host-tools"], 1,
                       "Installing:\n katello-host-tools\nOperation aborted.\n")
    result = HostTools().run(make_run())
    assert result.status == Status.CHANGED and result.summary == (
        "would install katello-host-tools")
    assert fake_runner.would_run == []
