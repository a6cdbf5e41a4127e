"""Services: enabled through systemctl; started only when systemd runs the managed system."""
import pytest

from lbenroll import services
from lbenroll.context import Context
from lbenroll.errors import LbenrollError


@pytest.fixture
def live(fake_runner, monkeypatch):
    """The running system (root /) with systemd as PID 1."""
    monkeypatch.setattr(services.os.path, "isdir", lambda path: path == "/run/systemd/system")
    return Context(root="/", runner=fake_runner)


def test_enable_and_restart_with_systemd(live, fake_runner):
    fake_runner.expect(["systemctl"], 0)
    services.enable(live, "rhsmcertd")
    assert services.restart(live, "rhsmcertd") is True
    assert fake_runner.calls == [["systemctl", "enable", "rhsmcertd"],
                                 ["systemctl", "restart", "rhsmcertd"]]


def test_without_systemd_the_start_is_deferred(fake_runner, monkeypatch):
    monkeypatch.setattr(services.os.path, "isdir", lambda path: False)
    ctx = Context(root="/", runner=fake_runner)
    fake_runner.expect(["systemctl", "enable"], 0)
    services.enable(ctx, "rhsmcertd")
    assert services.restart(ctx, "rhsmcertd") is False
    assert fake_runner.calls == [["systemctl", "enable", "rhsmcertd"]]


def test_under_root_units_are_enabled_there_and_never_started(ctx, root, fake_runner,
                                                               monkeypatch):
    monkeypatch.setattr(services.os.path, "isdir", lambda path: True)  # the installer's systemd
    fake_runner.expect(["systemctl"], 0)
    services.enable(ctx, "rhsmcertd")
    assert services.restart(ctx, "rhsmcertd") is False
    assert fake_runner.calls == [["systemctl", "--root=%s" % root, "enable", "rhsmcertd"]]


def test_a_failed_enable_names_the_command_and_the_unit(live, fake_runner):
    fake_runner.expect(["systemctl", "enable"], 1, "", "Unit file goferd.service does not exist.")
    with pytest.raises(LbenrollError) as exc:
        services.enable(live, "goferd", step="KATELLO_AGENT")
    message = exc.value.format_message()
    assert "systemctl enable goferd failed (exit 1)" in message and "does not exist" in message
