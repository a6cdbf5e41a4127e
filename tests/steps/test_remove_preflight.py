"""REMOVE_PREFLIGHT: a --remove refuses a Katello server and masks the proxy passwords it reads."""

import pytest

from lbenroll import backup
from lbenroll.errors import UsageError
from lbenroll.results import Status
from tests.conftest import rpm_answer, rpm_qa, seed
from lbenroll.steps.remove_preflight import RemovePreflight


RHSM = "/etc/rhsm/rhsm.conf"


def test_preflight_refuses_a_katello_server(remove_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("katello"))
    with pytest.raises(UsageError) as exc:
        RemovePreflight().run(remove_run())
    assert "Katello server" in exc.value.message


def test_preflight_masks_the_proxy_password_of_the_file_and_of_its_backup(
        remove_run, fake_runner, ctx, root):
    seed(root, {RHSM: "[server]\nproxy_password = kept-secret\n"})
    backup.backup_before_command(ctx, [RHSM])
    seed(root, {RHSM: "[server]\nproxy_password = current-secret\n"})
    fake_runner.expect(rpm_qa(root), 0, "")
    result = RemovePreflight().run(remove_run())
    assert result.status == Status.UNCHANGED
    assert "secret" not in ctx.redact("kept-secret current-secret")
