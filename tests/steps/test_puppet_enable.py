"""PUPPET_ENABLE: the puppet service enabled, and started where systemd runs."""
import pytest

from lbenroll import services
from lbenroll.errors import LbenrollError
from lbenroll.results import Result, Status
from lbenroll.steps.puppet_enable import PuppetEnable
from tests.conftest import FakeRunner

pytestmark = pytest.mark.usefixtures("dnf_host", "ca_answers")


def is_enabled(root):
    return ["systemctl", "--root=%s" % root, "is-enabled"]


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
