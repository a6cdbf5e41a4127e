"""DISABLE_REPAIR_TIMER: lbenroll-repair.timer is disabled when it is enabled."""
from lbenroll.results import Status
from lbenroll.steps.disable_repair_timer import DisableRepairTimer


def systemctl(root, *args):
    return ["systemctl", "--root=%s" % root] + list(args)


def test_an_enabled_repair_timer_is_disabled(remove_run, fake_runner, root):
    fake_runner.expect(systemctl(root, "is-enabled"), 0)
    fake_runner.expect(systemctl(root, "disable"), 0)
    result = DisableRepairTimer().run(remove_run())
    assert result.status == Status.CHANGED and "lbenroll-repair.timer" in result.summary
    # Under --root nothing is running to stop.
    assert fake_runner.calls[-1] == systemctl(root, "disable", "lbenroll-repair.timer")


def test_a_disabled_repair_timer_is_left_alone(remove_run, fake_runner, root):
    fake_runner.expect(systemctl(root, "is-enabled"), 1)
    result = DisableRepairTimer().run(remove_run())
    assert result.status == Status.UNCHANGED
    assert fake_runner.calls == [systemctl(root, "is-enabled", "--quiet",
                                           "lbenroll-repair.timer")]


def test_a_failed_disable_is_a_warning(remove_run, fake_runner, root):
    fake_runner.expect(systemctl(root, "is-enabled"), 0)
    fake_runner.expect(systemctl(root, "disable"), 1, "", "Access denied")
    result = DisableRepairTimer().run(remove_run())
    assert result.status == Status.WARNING and "Access denied" in result.summary
    assert result.remediation == "systemctl disable --now lbenroll-repair.timer"


def test_dry_run_only_asks_whether_the_timer_is_enabled(remove_run, fake_runner, root):
    fake_runner.expect(systemctl(root, "is-enabled"), 0)
    fake_runner.dry_run = True
    result = DisableRepairTimer().run(remove_run())
    assert result.status == Status.CHANGED and result.summary.startswith("would disable")
    assert fake_runner.calls == [systemctl(root, "is-enabled", "--quiet",
                                           "lbenroll-repair.timer")]
