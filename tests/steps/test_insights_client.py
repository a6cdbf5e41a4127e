"""INSIGHTS_CLIENT: --insights installs insights-client and registers it once."""
import pytest

from lbenroll.context import Context
from lbenroll.results import Status
from lbenroll.steps.insights_client import InsightsClient
from tests.conftest import FakeRunner, rpm_answer, rpm_qa, seed
from tests.steps.conftest import NO_MATCH, dnf

pytestmark = pytest.mark.usefixtures("dnf_host")
RHEL = 'NAME="Red Hat Enterprise Linux"\nID="rhel"\nVERSION_ID="9.4"\n'
REGISTERED = "/etc/insights-client/.registered"


def rhel(root):
    seed(root, {"/etc/os-release": RHEL})


def register(root):
    return ["chroot", str(root), "insights-client", "--register"]


def test_without_insights_nothing_runs(make_run, fake_runner):
    result = InsightsClient().run(make_run())
    assert result.status == Status.SKIPPED and fake_runner.calls == []


def test_not_on_rhel_as_the_snippet(make_run, fake_runner, root):
    seed(root, {"/etc/os-release": 'ID="almalinux"\n'})
    result = InsightsClient().run(make_run(insights=True))
    assert result.status == Status.SKIPPED and "Red Hat Enterprise Linux only" in result.summary
    assert fake_runner.calls == []


def test_installs_then_registers_with_stdin_empty(make_run, fake_runner, root, ctx):
    rhel(root)
    fake_runner.expect(rpm_qa(root), 0, "")
    fake_runner.expect(dnf(root, "install"), 0, "Complete!\n")

    def registered(argv):
        seed(root, {REGISTERED: ""})
    fake_runner.expect(register(root), 0, "Successfully registered host\n", effect=registered)
    result = InsightsClient().run(make_run(insights=True))
    assert result.status == Status.CHANGED and result.summary == "insights-client registered"
    assert result.detail[0] == "installed insights-client with dnf"
    assert fake_runner.calls[-2:] == [dnf(root, "install", "insights-client"), register(root)]
    assert len(ctx.undo) == 1  # a rollback unregisters what this run registered


def test_a_converged_host_runs_only_the_rpm_query(make_run, fake_runner, root):
    rhel(root)
    seed(root, {REGISTERED: ""})
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("insights-client"))
    result = InsightsClient().run(make_run(insights=True))
    assert result.status == Status.UNCHANGED
    assert [call[0] for call in fake_runner.calls] == ["rpm"]


def test_installed_but_not_registered_registers_without_dnf(make_run, fake_runner, root):
    rhel(root)
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("insights-client"))
    fake_runner.expect(register(root), 0, "")
    assert InsightsClient().run(make_run(insights=True)).status == Status.CHANGED
    assert [call[0] for call in fake_runner.calls] == ["rpm", "chroot"]


def test_a_failed_registration_is_a_warning_with_the_fix(make_run, fake_runner, root, ctx):
    rhel(root)
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("insights-client"))
    fake_runner.expect(register(root), 1, "", "Could not connect to the Insights API.")
    result = InsightsClient().run(make_run(insights=True))
    assert result.status == Status.WARNING
    assert "exit 1" in result.summary and "Could not connect" in result.summary
    assert "insights-client --register" in result.remediation and len(ctx.undo) == 0


def test_no_repository_with_the_package_is_a_warning(make_run, fake_runner, root):
    rhel(root)
    fake_runner.expect(rpm_qa(root), 0, "")
    fake_runner.expect(dnf(root, "install"), 1, "", NO_MATCH % (("insights-client",) * 2))
    result = InsightsClient().run(make_run(insights=True))
    assert result.status == Status.WARNING
    assert "no enabled repository provides insights-client" in result.summary


def test_a_dry_run_registers_nothing(make_run, root):
    rhel(root)
    run = make_run(insights=True)
    runner = FakeRunner(dry_run=True)
    runner.expect(rpm_qa(root), 0, rpm_answer("insights-client"))
    run.ctx = Context(root=str(root), runner=runner)
    result = InsightsClient().run(run)
    assert result.status == Status.CHANGED and result.summary == "would register insights-client"
    assert [call[0] for call in runner.calls] == ["rpm"]
