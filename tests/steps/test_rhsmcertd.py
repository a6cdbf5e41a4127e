"""RHSMCERTD: enabled, and restarted where systemd runs, after a registration."""
import pytest

from lbenroll import services
from lbenroll.errors import LbenrollError
from lbenroll.results import Status
from lbenroll.steps.rhsmcertd import Rhsmcertd
from tests.steps.conftest import registered

pytestmark = pytest.mark.usefixtures("dnf_host")


def test_rhsmcertd_enabled_and_start_deferred_under_root(make_run, fake_runner, root):
    fake_runner.expect(["systemctl", "--root=%s" % root, "enable", "rhsmcertd"], 0)
    result = Rhsmcertd().run(registered(make_run()))
    assert result.status == Status.CHANGED
    assert result.summary == "rhsmcertd enabled; start deferred: systemd is not running"


def test_rhsmcertd_restarted_when_systemd_runs(make_run, fake_runner, monkeypatch, ctx):
    monkeypatch.setattr(services, "systemd_running", lambda ctx: True)
    fake_runner.expect(["systemctl"], 0)
    result = Rhsmcertd().run(registered(make_run()))
    assert result.summary == "rhsmcertd enabled and restarted"
    assert [call[-2] for call in fake_runner.calls] == ["enable", "restart"]


def test_rhsmcertd_failure_is_fatal(make_run, fake_runner):
    fake_runner.expect(["systemctl"], 1, "", "Unit rhsmcertd.service not found.")
    with pytest.raises(LbenrollError):
        Rhsmcertd().run(registered(make_run()))


def test_rhsmcertd_left_alone_when_registration_did_not_change(make_run, fake_runner):
    result = Rhsmcertd().run(registered(make_run(), Status.UNCHANGED))
    assert result.status == Status.UNCHANGED and fake_runner.calls == []
