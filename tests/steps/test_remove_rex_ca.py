"""REMOVE_REX_CA: after RESTORE_FILES put sshd's files back, sshd reloads when one of them
changed, and says when sshd reads them where no systemd runs."""
from lbenroll import services
from lbenroll.results import Result, Status
from lbenroll.steps.remove_rex_ca import RemoveRexCa
from tests.steps.test_rex_ca import CA_FILE, DROPIN, SSHD_CONFIG


def _restored(run, **data):
    run.results["RESTORE_FILES"] = Result("RESTORE_FILES", Status.CHANGED, "", data=data)
    return run


def test_remove_reloads_sshd_after_the_files_went_back(make_run, ctx, fake_runner, monkeypatch):
    monkeypatch.setattr(services, "systemd_running", lambda ctx: True)
    fake_runner.expect(["systemctl"])
    run = _restored(make_run(), removed=[CA_FILE, DROPIN], restored=["/etc/rhsm/rhsm.conf"])
    result = RemoveRexCa().run(run)
    assert result.status == Status.CHANGED
    assert fake_runner.calls[0][-2:] == ["try-reload-or-restart", "sshd"]


def test_remove_without_sshd_files_reloads_nothing(make_run, fake_runner):
    run = _restored(make_run(), removed=["/etc/rhsm/rhsm.conf"])
    assert RemoveRexCa().run(run).status == Status.UNCHANGED
    assert fake_runner.calls == []


def test_remove_reverted_sshd_config_without_systemd_says_when_sshd_reads_it(make_run,
                                                                           fake_runner):
    run = _restored(make_run(), reverted=[SSHD_CONFIG])
    result = RemoveRexCa().run(run)
    assert result.status == Status.UNCHANGED
    assert "sshd reads them when it starts" in result.summary
