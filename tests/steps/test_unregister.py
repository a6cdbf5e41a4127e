"""UNREGISTER: subscription-manager unregister, then clean, with the fake runner."""

import pytest

from lbenroll.errors import ExitCode, LbenrollError
from lbenroll.results import Status
from tests.conftest import seed
from tests.steps.conftest import sm
from lbenroll.steps.unregister import Unregister


CERT = "/etc/pki/consumer/cert.pem"


def test_unregistered_host_runs_nothing(remove_run, fake_runner):
    result = Unregister().run(remove_run())
    assert result.status == Status.UNCHANGED and fake_runner.calls == []


def test_unregister_then_clean(remove_run, fake_runner, root):
    seed(root, {CERT: "cert"})
    fake_runner.expect(sm(root, "unregister"), 0)
    fake_runner.expect(sm(root, "clean"), 0)
    result = Unregister().run(remove_run())
    assert result.status == Status.CHANGED
    assert fake_runner.calls == [sm(root, "unregister"), sm(root, "clean")]


def test_identity_not_accepted_is_cleaned(remove_run, fake_runner, root):
    seed(root, {CERT: "cert"})
    fake_runner.expect(sm(root, "unregister"), 1, "", "This system is currently not registered.")
    fake_runner.expect(sm(root, "clean"), 0)
    result = Unregister().run(remove_run())
    assert result.status == Status.CHANGED and "stale" in result.summary
    assert fake_runner.calls[-1] == sm(root, "clean")


@pytest.mark.parametrize("rc,code", [(69, ExitCode.UNAVAILABLE), (70, ExitCode.UNAVAILABLE),
                                     (78, ExitCode.CONFIG), (5, ExitCode.FAILED)])
def test_unregister_failure_stops_with_our_exit_code(remove_run, fake_runner, root, rc, code):
    seed(root, {CERT: "cert"})
    fake_runner.expect(sm(root, "unregister"), rc, "", "Unable to reach the server")
    with pytest.raises(LbenrollError) as exc:
        Unregister().run(remove_run())
    assert exc.value.exit_code == code
    assert "Unable to reach the server" in exc.value.message and "clean" in exc.value.fix
    assert fake_runner.calls == [sm(root, "unregister")]  # no clean: the consumer still exists


def test_failed_clean_after_unregistering_is_a_warning(remove_run, fake_runner, root):
    seed(root, {CERT: "cert"})
    fake_runner.expect(sm(root, "unregister"), 0)
    fake_runner.expect(sm(root, "clean"), 1, "", "disk full")
    result = Unregister().run(remove_run())
    assert result.status == Status.WARNING and "disk full" in result.summary


def test_unregister_dry_run(remove_run, fake_runner, root):
    seed(root, {CERT: "cert"})
    fake_runner.dry_run = True
    result = Unregister().run(remove_run())
    assert result.status == Status.CHANGED and fake_runner.calls == []
    assert fake_runner.would_run == [" ".join(sm(root, "unregister")),
                                     " ".join(sm(root, "clean"))]
