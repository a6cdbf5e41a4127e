"""KATELLO_AGENT: katello-agent and goferd, only on request."""
import pytest

from lbenroll.packages import PackageNotAvailable
from lbenroll.results import Status
from lbenroll.steps.katello_agent import KatelloAgent
from tests.conftest import rpm_answer, rpm_qa
from tests.steps.conftest import NO_MATCH, dnf

pytestmark = pytest.mark.usefixtures("dnf_host")


def test_katello_agent_installed_and_goferd_enabled(make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, "")
    fake_runner.expect(dnf(root, "install"), 0, "Complete!\n")
    fake_runner.expect(["systemctl", "--root=%s" % root, "enable", "goferd"], 0)
    result = KatelloAgent().run(make_run(install_katello_agent=True))
    assert result.summary == "installed katello-agent with dnf"
    assert result.detail == ["goferd enabled; start deferred: systemd is not running"]


def test_katello_agent_unavailable_is_fatal(make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, "")
    fake_runner.expect(dnf(root, "install"), 1, "", NO_MATCH % (("katello-agent",) * 2))
    with pytest.raises(PackageNotAvailable):
        KatelloAgent().run(make_run(install_katello_agent=True))


def test_katello_agent_only_on_request_and_once(make_run, fake_runner, root):
    assert KatelloAgent().run(make_run()).status == Status.SKIPPED
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("katello-agent"))
    assert KatelloAgent().run(make_run(install_katello_agent=True)).status == Status.UNCHANGED
    assert len(fake_runner.calls) == 1
