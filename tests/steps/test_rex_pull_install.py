"""REX_PULL_INSTALL (--rex-pull): the template's requirements, the worker installed once and
recorded, config.toml kept as it was before the packages, the undo."""
import json
import os

import pytest

from lbenroll import backup
from lbenroll.errors import ExitCode, LbenrollError
from lbenroll.packages import PackageNotAvailable
from lbenroll.results import Result, Status
from lbenroll.steps.rex_pull_install import RexPullInstall
from tests.conftest import FakeRunner, rpm_answer, rpm_qa, seed
from tests.steps.conftest import dnf, rhsm_conf

pytestmark = pytest.mark.usefixtures("dnf_host")

CONFIG = "/etc/yggdrasil/config.toml"
RECORD = "/var/lib/lbenroll/rex-pull.json"
IDENTITY = {"/etc/pki/consumer/cert.pem": "cert", "/etc/pki/consumer/key.pem": "key"}


@pytest.fixture
def katello_host(root):
    seed(root, dict(IDENTITY, **{"/etc/rhsm/rhsm.conf": rhsm_conf()}))


def installed(fake_runner, root, *names):
    fake_runner.expect(rpm_qa(root), 0, rpm_answer(*names))


def record(root):
    with open(os.path.join(str(root), RECORD.lstrip("/"))) as f:
        return json.load(f)


def test_without_the_option_nothing_is_asked(make_run, fake_runner):
    result = RexPullInstall().run(make_run())
    assert (result.status, result.summary) == (Status.SKIPPED, "no --rex-pull given")
    assert fake_runner.calls == []


@pytest.mark.usefixtures("katello_host")
def test_installed_worker_is_one_rpm_query_and_nothing_else(make_run, fake_runner, root):
    installed(fake_runner, root, "foreman_ygg_worker", "yggdrasil")
    result = RexPullInstall().run(make_run(remote_exec_pull=True))
    assert (result.status, result.summary) == (
        Status.UNCHANGED, "foreman_ygg_worker, yggdrasil already installed")
    assert len(fake_runner.calls) == 1 and fake_runner.calls[0][:4] == rpm_qa(root)
    assert not os.path.exists(os.path.join(str(root), RECORD.lstrip("/")))


@pytest.mark.usefixtures("katello_host")
def test_install_records_what_it_installed_keeps_the_absent_file_and_undo_removes(
        make_run, fake_runner, ctx, root):
    # rpm's answers: before the install (yggdrasil only, there before lbenroll), then after.
    answers = iter([rpm_answer("yggdrasil"), rpm_answer("yggdrasil", "foreman_ygg_worker")])
    installed(fake_runner, root)

    def run(argv, **kwargs):
        result = FakeRunner.run(fake_runner, argv, **kwargs)
        if argv[:4] == rpm_qa(root):
            result.stdout = next(answers)
        return result
    fake_runner.run = run
    fake_runner.expect(dnf(root, "install", "foreman_ygg_worker"), 0, "Complete!\n",
                       effect=lambda argv: seed(root, {CONFIG: "# package\n"}))
    fake_runner.expect(dnf(root, "remove", "foreman_ygg_worker"), 0, "Complete!\n")
    result = RexPullInstall().run(make_run(remote_exec_pull=True))
    assert (result.status, result.summary) == (
        Status.CHANGED, "installed foreman_ygg_worker with dnf")
    assert record(root) == {"enabled": [], "packages": ["foreman_ygg_worker"]}
    assert os.path.exists(backup.backup_path(ctx, CONFIG) + backup.ABSENT_SUFFIX)
    done, failed = ctx.undo.rollback()
    assert failed == [] and "remove foreman_ygg_worker (installed by this run)" in done
    assert fake_runner.calls[-1] == dnf(root, "remove", "foreman_ygg_worker")
    assert not os.path.exists(os.path.join(str(root), RECORD.lstrip("/")))


def test_an_unregistered_host_fails_before_any_package(make_run, fake_runner, root):
    seed(root, {"/etc/rhsm/rhsm.conf": rhsm_conf()})
    with pytest.raises(LbenrollError) as raised:
        RexPullInstall().run(make_run(remote_exec_pull=True))
    assert raised.value.exit_code == ExitCode.CONFIG and raised.value.step == "REX_PULL_INSTALL"
    assert "/etc/pki/consumer/cert.pem and /etc/pki/consumer/key.pem are missing" in (
        raised.value.message)
    assert "register the host" in raised.value.fix
    assert fake_runner.calls == []


def test_a_host_registered_to_red_hat_is_refused(make_run, fake_runner, root):
    seed(root, dict(IDENTITY, **{"/etc/rhsm/rhsm.conf": rhsm_conf().replace(
        "prefix = /rhsm", "prefix = /subscription")}))
    with pytest.raises(LbenrollError) as raised:
        RexPullInstall().run(make_run(remote_exec_pull=True))
    assert raised.value.exit_code == ExitCode.CONFIG
    assert "prefix is '/subscription', not /rhsm" in raised.value.message
    assert fake_runner.calls == []


def test_a_dry_run_that_would_register_does_not_ask_for_the_identity_yet(
        make_run, root, ctx):
    seed(root, {"/etc/rhsm/rhsm.conf": rhsm_conf()})
    ctx.runner = FakeRunner(dry_run=True)
    ctx.runner.expect(rpm_qa(root), 0, "")
    run = make_run(remote_exec_pull=True)
    run.results["REGISTER"] = Result("REGISTER", Status.CHANGED, "")
    result = RexPullInstall().run(run)
    assert result.status == Status.MAY_CHANGE
    assert "foreman_ygg_worker, yggdrasil" in result.summary


@pytest.mark.usefixtures("katello_host")
def test_no_repository_with_the_worker_names_the_fix(make_run, fake_runner, root):
    installed(fake_runner, root)
    fake_runner.expect(dnf(root, "install"), 1, "No match for argument: foreman_ygg_worker\n",
                       "Error: Unable to find a match: foreman_ygg_worker\n")
    with pytest.raises(PackageNotAvailable) as raised:
        RexPullInstall().run(make_run(remote_exec_pull=True))
    assert raised.value.exit_code == ExitCode.UNAVAILABLE
    assert "or leave out --rex-pull" in raised.value.fix


@pytest.mark.usefixtures("katello_host")
def test_the_record_is_written_before_dnf_runs_and_a_failure_takes_it_back(
        make_run, fake_runner, ctx, root):
    """A run killed after the transaction still leaves --remove the names; a failed one, whose
    rollback runs, leaves no record."""
    installed(fake_runner, root)
    seen = {}
    fake_runner.expect(dnf(root, "install"), 1, "", "Error: GPG check FAILED\n",
                       effect=lambda argv: seen.setdefault("record", record(root)))
    with pytest.raises(LbenrollError):
        RexPullInstall().run(make_run(remote_exec_pull=True))
    assert seen["record"] == {"enabled": [], "packages": ["foreman_ygg_worker", "yggdrasil"]}
    done, failed = ctx.undo.rollback()
    assert failed == []
    assert not os.path.exists(os.path.join(str(root), RECORD.lstrip("/")))
