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
