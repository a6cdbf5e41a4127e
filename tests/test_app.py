import os

import pytest

from lbenroll import app
from lbenroll.context import Context
from lbenroll.errors import ExitCode, PermissionDenied, WriteError
from lbenroll.lock import RunLock
from tests.steps.conftest import make_options


def test_non_root_is_refused_before_the_log_file_and_the_lock(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(PermissionDenied) as exc:
        app.run(make_options(log_file="/nonexistent-dir/lbenroll.log"))
    assert exc.value.exit_code == ExitCode.NOPERM and "--dry-run" in exc.value.fix


def test_an_unwritable_lock_directory_is_a_documented_error(root):
    (root / "var").mkdir()
    (root / "var" / "lib").write_text("a file where a directory should be")
    with pytest.raises(WriteError) as exc:
        with RunLock(Context(root=str(root))):
            pass
    assert exc.value.exit_code == ExitCode.CANTCREAT and "lock file" in exc.value.message


def test_a_root_without_an_rpm_database_is_refused_and_left_untouched(root):
    from lbenroll.errors import UsageError
    before = sorted(os.listdir(str(root)))
    with pytest.raises(UsageError) as exc:
        app.run(make_options(root=str(root), dry_run=False))
    assert "holds no rpm database" in exc.value.message and exc.value.exit_code == ExitCode.USAGE
    # No log, no lock, no rpm database was created inside it.
    assert sorted(os.listdir(str(root))) == before == []


def test_the_privileges_are_checked_by_the_run_unless_a_repair_checked_them(monkeypatch, root):
    (root / "var" / "lib" / "rpm").mkdir(parents=True)
    checked = []
    monkeypatch.setattr(app, "refuse_unprivileged", lambda *args: checked.append(args))
    monkeypatch.setattr(app, "steps_for", lambda options: [])
    # The logger as it is: configuring it would stop caplog seeing it in later tests.
    monkeypatch.setattr(app.logs, "configure", lambda *args, **kwargs: None)
    options = make_options(root=str(root), dry_run=True, json=True)
    assert app.run(options) == 0 and checked == [(str(root), True)]
    options.recorded_in = str(root / "etc" / "lbenroll" / "lbenroll.conf")  # lbenroll repair
    assert app.run(options) == 0 and checked == [(str(root), True)]


@pytest.mark.parametrize("euid,dry_run,root,refused", [
    (1000, False, "/", True), (1000, True, "/", False), (1000, False, "/mnt/sysimage", False),
    (1000, False, "/mnt/../", True), (0, False, "/", False)])
def test_only_a_change_to_this_host_needs_root(monkeypatch, euid, dry_run, root, refused):
    monkeypatch.setattr(os, "geteuid", lambda: euid)
    if refused:
        with pytest.raises(PermissionDenied) as exc:
            app.refuse_unprivileged(root, dry_run)
        assert exc.value.message == "lbenroll must run as root to change this host"
        assert exc.value.exit_code == ExitCode.NOPERM and exc.value.step == "PREFLIGHT"
    else:
        assert app.refuse_unprivileged(root, dry_run) is None
