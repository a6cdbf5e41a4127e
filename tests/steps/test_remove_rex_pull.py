"""REMOVE_REX_PULL: --remove takes back the unit --rex-pull enabled and the packages it
installed, as rex-pull.json records them, and nothing that was there before lbenroll."""
import json
import os

import pytest

from lbenroll.errors import DataError
from lbenroll.results import Status
from lbenroll.steps.remove_rex_pull import RemoveRexPull
from tests.conftest import FakeRunner, rpm_answer, rpm_qa, seed
from tests.steps.conftest import dnf

pytestmark = pytest.mark.usefixtures("dnf_host")

RECORD = "/var/lib/lbenroll/rex-pull.json"


def systemctl(root, *args):
    return ["systemctl", "--root=%s" % root] + list(args)


def recorded(root, packages=(), enabled=()):
    seed(root, {RECORD: json.dumps({"packages": list(packages), "enabled": list(enabled)})})


def record_exists(root):
    return os.path.exists(os.path.join(str(root), RECORD.lstrip("/")))


def test_no_record_is_nothing_to_do(make_run, fake_runner):
    result = RemoveRexPull().run(make_run(remove=True))
    assert result.status == Status.UNCHANGED
    assert fake_runner.calls == []


def test_the_recorded_unit_and_packages_go_and_the_record_with_them(make_run, fake_runner, root):
    recorded(root, ["foreman_ygg_worker"], ["yggdrasild"])
    fake_runner.expect(systemctl(root, "is-enabled"), 0)
    fake_runner.expect(systemctl(root, "disable", "yggdrasild"), 0)
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("foreman_ygg_worker", "yggdrasil"))
    fake_runner.expect(dnf(root, "remove", "foreman_ygg_worker"), 0, "Complete!\n")
    result = RemoveRexPull().run(make_run(remove=True))
    assert (result.status, result.summary) == (
        Status.CHANGED, "disabled yggdrasild; removed foreman_ygg_worker")
    # yggdrasil was there before lbenroll: not in the record, not removed.
    assert dnf(root, "remove", "foreman_ygg_worker") in fake_runner.calls
    assert not any("yggdrasil" in call and "remove" in call for call in fake_runner.calls)
    assert not record_exists(root)


def test_what_is_gone_already_is_not_asked_again(make_run, fake_runner, root):
    recorded(root, ["foreman_ygg_worker", "yggdrasil"], ["yggdrasild"])
    fake_runner.expect(systemctl(root, "is-enabled"), 1)
    fake_runner.expect(rpm_qa(root), 0, "")
    result = RemoveRexPull().run(make_run(remove=True))
    assert result.status == Status.CHANGED and "forgot" in result.summary
    assert not record_exists(root)


def test_a_failed_removal_is_a_warning_that_keeps_the_record(make_run, fake_runner, root):
    recorded(root, ["foreman_ygg_worker"])
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("foreman_ygg_worker"))
    fake_runner.expect(dnf(root, "remove"), 1, "", "Error: transaction failed\n")
    result = RemoveRexPull().run(make_run(remove=True))
    assert result.status == Status.WARNING and "transaction failed" in result.summary
    assert "remove foreman_ygg_worker" in result.remediation
    assert record_exists(root)


def test_dry_run_changes_nothing(make_run, root, ctx):
    recorded(root, ["foreman_ygg_worker"], ["yggdrasild"])
    ctx.runner = FakeRunner(dry_run=True)
    ctx.runner.expect(systemctl(root, "is-enabled"), 0)
    ctx.runner.expect(rpm_qa(root), 0, rpm_answer("foreman_ygg_worker"))
    result = RemoveRexPull().run(make_run(remove=True))
    assert (result.status, result.summary) == (
        Status.CHANGED, "would disable yggdrasild; remove foreman_ygg_worker")
    assert record_exists(root)


def test_a_record_that_is_not_lbenrolls_is_refused(make_run, root):
    seed(root, {RECORD: "not json"})
    with pytest.raises(DataError) as raised:
        RemoveRexPull().run(make_run(remove=True))
    assert "rex-pull.json is not lbenroll's record" in raised.value.message
