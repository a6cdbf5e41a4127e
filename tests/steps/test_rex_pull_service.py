"""REX_PULL_SERVICE (--rex-pull): yggdrasil's unit enabled (and recorded), restarted only when
config.toml changed or the unit was enabled now; nothing on a converged host."""
import json
import os

import pytest

from lbenroll import services
from lbenroll.context import Context
from lbenroll.results import Result, Status
from lbenroll.steps.rex_pull_service import RexPullService
from tests.conftest import FakeRunner, seed

RECORD = "/var/lib/lbenroll/rex-pull.json"


def systemctl(root, *args):
    return ["systemctl", "--root=%s" % root] + list(args)


def config(run, status):
    run.results["YGGDRASIL_CONFIG"] = Result("YGGDRASIL_CONFIG", status, "")
    return run


def test_without_the_option_nothing_runs(make_run, fake_runner):
    assert RexPullService().run(make_run()).status == Status.SKIPPED
    assert fake_runner.calls == []


def test_enabled_with_config_unchanged_restarts_nothing(make_run, fake_runner, root, monkeypatch):
    monkeypatch.setattr(services, "systemd_running", lambda ctx: True)
    fake_runner.expect(systemctl(root, "is-enabled"), 0)
    fake_runner.expect(systemctl(root, "is-active"), 0)
    result = RexPullService().run(config(make_run(remote_exec_pull=True), Status.UNCHANGED))
    assert (result.status, result.summary) == (
        Status.UNCHANGED, "yggdrasild is enabled; /etc/yggdrasil/config.toml unchanged")
    assert fake_runner.calls == [systemctl(root, "is-enabled", "--quiet", "yggdrasild"),
                                 systemctl(root, "is-active", "--quiet", "yggdrasild")]


def test_without_systemd_running_nothing_asks_whether_it_runs(make_run, fake_runner, root):
    fake_runner.expect(systemctl(root, "is-enabled"), 0)
    result = RexPullService().run(config(make_run(remote_exec_pull=True), Status.UNCHANGED))
    assert result.status == Status.UNCHANGED
    assert fake_runner.calls == [systemctl(root, "is-enabled", "--quiet", "yggdrasild")]


def test_an_enabled_unit_that_died_is_started_and_the_undo_stops_it(make_run, fake_runner, root,
                                                                    ctx, monkeypatch):
    monkeypatch.setattr(services, "systemd_running", lambda ctx: True)
    fake_runner.expect(systemctl(root, "is-enabled"), 0)
    fake_runner.expect(systemctl(root, "is-active"), 3)  # systemctl's "inactive"
    fake_runner.expect(systemctl(root, "start", "yggdrasild"), 0)
    fake_runner.expect(systemctl(root, "stop", "yggdrasild"), 0)
    result = RexPullService().run(config(make_run(remote_exec_pull=True), Status.UNCHANGED))
    assert (result.status, result.summary) == (
        Status.CHANGED, "yggdrasild started (it was enabled but not running: remote execution "
                        "jobs wait for it)")
    assert systemctl(root, "start", "yggdrasild") in fake_runner.calls
    done, failed = ctx.undo.rollback()
    assert failed == [] and done == ["stop yggdrasild (started by this run)"]
    assert fake_runner.calls[-1] == systemctl(root, "stop", "yggdrasild")


def test_a_dry_run_says_it_would_start_a_unit_that_died(make_run, root, monkeypatch):
    monkeypatch.setattr(services, "systemd_running", lambda ctx: True)
    run = config(make_run(remote_exec_pull=True), Status.UNCHANGED)
    runner = FakeRunner(dry_run=True)
    runner.expect(systemctl(root, "is-enabled"), 0)
    runner.expect(systemctl(root, "is-active"), 3)
    run.ctx = Context(root=str(root), runner=runner)
    result = RexPullService().run(run)
    assert result.status == Status.CHANGED and result.summary.startswith("would start yggdrasild")
    assert [call[2] for call in runner.calls] == ["is-enabled", "is-active"]
    assert len(run.ctx.undo) == 0


def test_changed_config_restarts_the_enabled_unit(make_run, fake_runner, root, monkeypatch):
    monkeypatch.setattr(services, "systemd_running", lambda ctx: True)
    fake_runner.expect(systemctl(root, "is-enabled"), 0)
    fake_runner.expect(systemctl(root, "restart", "yggdrasild"), 0)
    result = RexPullService().run(config(make_run(remote_exec_pull=True), Status.CHANGED))
    assert (result.status, result.summary) == (
        Status.CHANGED, "yggdrasild restarted (/etc/yggdrasil/config.toml changed)")
    assert not os.path.exists(os.path.join(str(root), RECORD.lstrip("/")))


def test_a_disabled_unit_is_enabled_recorded_and_the_undo_disables_it(
        make_run, fake_runner, root, ctx):
    # yggdrasil 0.3 and later name the unit yggdrasil.
    seed(root, {"/usr/lib/systemd/system/yggdrasil.service": ""})
    fake_runner.expect(systemctl(root, "is-enabled"), 1)
    fake_runner.expect(systemctl(root, "enable", "yggdrasil"), 0)
    fake_runner.expect(systemctl(root, "disable", "yggdrasil"), 0)
    result = RexPullService().run(config(make_run(remote_exec_pull=True), Status.UNCHANGED))
    assert (result.status, result.summary) == (
        Status.CHANGED, "yggdrasil enabled; %s" % services.DEFERRED)  # under --root
    with open(os.path.join(str(root), RECORD.lstrip("/"))) as f:
        assert json.load(f) == {"enabled": ["yggdrasil"], "packages": []}
    done, failed = ctx.undo.rollback()
    assert failed == [] and "disable yggdrasil (enabled by this run)" in done
    assert fake_runner.calls[-1] == systemctl(root, "disable", "yggdrasil")


def test_dry_run_says_what_it_would_do(make_run, root, ctx, monkeypatch):
    monkeypatch.setattr(services, "systemd_running", lambda ctx: True)
    ctx.runner = FakeRunner(dry_run=True)
    ctx.runner.expect(systemctl(root, "is-enabled"), 1)
    result = RexPullService().run(config(make_run(remote_exec_pull=True), Status.CHANGED))
    assert (result.status, result.summary) == (
        Status.CHANGED, "would enable yggdrasild and restart yggdrasild "
                        "(/etc/yggdrasil/config.toml changed)")
    assert ctx.runner.would_run == ["systemctl --root=%s enable yggdrasild" % root,
                                    "systemctl --root=%s restart yggdrasild" % root]
    assert not os.path.exists(os.path.join(str(root), RECORD.lstrip("/")))


@pytest.mark.parametrize("returncode", [1])
def test_an_enable_failure_fails_the_step(make_run, fake_runner, root, returncode):
    from lbenroll.errors import LbenrollError
    fake_runner.expect(systemctl(root, "is-enabled"), 1)
    fake_runner.expect(systemctl(root, "enable"), returncode, "",
                       "Failed to enable unit: Unit file yggdrasild.service does not exist.")
    with pytest.raises(LbenrollError) as raised:
        RexPullService().run(config(make_run(remote_exec_pull=True), Status.CHANGED))
    assert raised.value.step == "REX_PULL_SERVICE"
    assert "does not exist" in raised.value.message
