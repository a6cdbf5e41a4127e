"""Runs the fixed, ordered step list; a failure stops the run and rolls back what it changed."""
import logging
import os
import signal
import traceback

from lbenroll import host, packages
from lbenroll.errors import ExitCode, LbenrollError
from lbenroll.results import Result, Status, exit_code  # noqa: F401 (the engine's verdict)
from lbenroll.steps.ca_trust import CaTrust
from lbenroll.steps.check_amqp import CheckAmqp
from lbenroll.steps.check_mqtt import CheckMqtt
from lbenroll.steps.clean_puppet import CleanPuppet
from lbenroll.steps.container_certs import ContainerCerts
from lbenroll.steps.disable_repair_timer import DisableRepairTimer
from lbenroll.steps.enable_repos import EnableRepos
from lbenroll.steps.fetch_consumer_rpm import FetchConsumerRpm
from lbenroll.steps.foreman_host import ForemanHost
from lbenroll.steps.foreman_host_delete import ForemanHostDelete
from lbenroll.steps.forget_backups import ForgetBackups
from lbenroll.steps.gofer_config import GoferConfig
from lbenroll.steps.host_tools import HostTools
from lbenroll.steps.install_consumer_rpm import InstallConsumerRpm
from lbenroll.steps.insights_client import InsightsClient
from lbenroll.steps.insights_conf import InsightsConf
from lbenroll.steps.install_packages import InstallPackages
from lbenroll.steps.katello_agent import KatelloAgent
from lbenroll.steps.katello_default_ca import KatelloDefaultCa
from lbenroll.steps.katello_facts import KatelloFacts
from lbenroll.steps.katello_server_ca import KatelloServerCa
from lbenroll.steps.obsolete_packages import ObsoletePackages
from lbenroll.steps.openscap_config import OpenscapConfig
from lbenroll.steps.preflight import Preflight
from lbenroll.steps.prerequisites import Prerequisites
from lbenroll.steps.puppet_cert import PuppetCert
from lbenroll.steps.puppet_conf import PuppetConf
from lbenroll.steps.puppet_enable import PuppetEnable
from lbenroll.steps.puppet_install import PuppetInstall
from lbenroll.steps.record_options import RecordOptions
from lbenroll.steps.redhat_repo import RedhatRepo
from lbenroll.steps.register import Register
from lbenroll.steps.remove_packages import RemovePackages
from lbenroll.steps.remove_preflight import RemovePreflight
from lbenroll.steps.remove_rex_ca import RemoveRexCa
from lbenroll.steps.remove_rex_keys import RemoveRexKeys
from lbenroll.steps.remove_rex_pull import RemoveRexPull
from lbenroll.steps.restore_files import RestoreFiles
from lbenroll.steps.rex_ca import RexCa
from lbenroll.steps.rex_keys import RexKeys
from lbenroll.steps.rex_pull_install import RexPullInstall
from lbenroll.steps.rex_pull_service import RexPullService
from lbenroll.steps.rhsm_conf import RhsmConf
from lbenroll.steps.rhsmcertd import Rhsmcertd
from lbenroll.steps.unregister import Unregister
from lbenroll.steps.update import Update
from lbenroll.steps.verify_balancer_tls import VerifyBalancerTls
from lbenroll.steps.yggdrasil_config import YggdrasilConfig
from lbenroll.steps.yum_plugins import YumPlugins

log = logging.getLogger("lbenroll")

STEPS = (Preflight, FetchConsumerRpm, VerifyBalancerTls, Prerequisites, ForemanHost,
         InstallConsumerRpm, KatelloServerCa, KatelloDefaultCa, CaTrust, RhsmConf, KatelloFacts,
         Register,
         RedhatRepo, YumPlugins, Rhsmcertd, ContainerCerts, KatelloAgent,
         EnableRepos, HostTools, Update, PuppetInstall, PuppetConf, PuppetCert, PuppetEnable,
         RexCa, RexKeys, RexPullInstall, InstallPackages, ObsoletePackages, CheckAmqp,
         GoferConfig, YggdrasilConfig, RexPullService, CheckMqtt, OpenscapConfig, InsightsConf,
         InsightsClient, RecordOptions)

# --remove: unregister while rhsm.conf and the CA still point at the server; files back before
# the packages go, so that rpm erases a %config file restored to its packaged bytes cleanly.
REMOVE_STEPS = (RemovePreflight, Unregister, ForemanHostDelete, RemoveRexKeys, RestoreFiles,
                RemoveRexCa, DisableRepairTimer, RemoveRexPull, RemovePackages, CleanPuppet,
                ForgetBackups)

BLOCKING = (Status.FAILED, Status.SKIPPED)


def check_order(steps):
    """Every step's requirements name steps that run before it; else ValueError (a step list
    that cannot be right is refused when lbenroll starts, not ignored)."""
    seen = set()
    for step in steps:
        for dep in step.requires:
            if dep not in seen:
                raise ValueError("%s requires %s, which does not run before it" % (step.id, dep))
        seen.add(step.id)


check_order(STEPS)
check_order(REMOVE_STEPS)

# For the test suite's kill matrix only (tests/e2e/test_converge.py): set to a step id, the run
# SIGKILLs itself just before that step, as `kill -9` or a power cut would. Read from the
# environment, never from an option; unset (always, outside those tests) it does nothing.
KILL_BEFORE_ENV = "LBENROLL_TEST_KILL_BEFORE"


def execute(run, steps=STEPS):
    """Run each step in order; return the list of results, one per step, plus rollback notes."""
    results = []
    failed = None
    kill_before = os.environ.get(KILL_BEFORE_ENV)
    made = [step_class() for step_class in steps]
    for step in made:
        try:
            step.early(run)
        except LbenrollError:
            pass  # nothing begun: the step meets the same problem when it runs, and says so
    for step in made:
        if step.id == kill_before:
            os.kill(os.getpid(), signal.SIGKILL)
        if failed is not None:
            result = Result(step.id, Status.SKIPPED, "not run: %s failed" % failed.id)
        else:
            blocked = [dep for dep in step.requires
                       if dep in run.results and run.results[dep].status in BLOCKING]
            if blocked:
                result = Result(step.id, Status.SKIPPED, "not run: %s %s" % (
                    blocked[0], run.results[blocked[0]].status.value))
            else:
                result = _run_step(step, run)
        run.results[step.id] = result
        results.append(result)
        log.info("%s %s: %s", step.id, result.status.value, run.ctx.redact(result.summary))
        if result.status == Status.FAILED and failed is None:
            failed = result
    if failed is not None and (len(run.ctx.undo) or run.ctx.snapshot is not None):
        results.append(_rollback(run))
    return results


def _run_step(step, run):
    try:
        return step.run(run)
    except LbenrollError as exc:
        return Result(step.id, Status.FAILED, run.ctx.redact(exc.message),
                      remediation=exc.fix, exit_code=exc.exit_code)
    except Exception as exc:  # a bug, or input no check foresaw: the run still rolls back
        # The traceback goes to the log as a message, so that redaction sees it too.
        log.error("%s: internal error:\n%s", step.id, "".join(
            traceback.format_exception(type(exc), exc, exc.__traceback__)))
        return Result(step.id, Status.FAILED, run.ctx.redact(
            "internal error (a bug in lbenroll): %s: %s" % (type(exc).__name__, exc)),
            remediation="the traceback is in the log file (--log-file); please report it with "
                        "the log", exit_code=ExitCode.SOFTWARE)


def _consumer_packages_differ(run):
    """[(what, why)] when the katello-ca-consumer packages in the rpm database are not those
    before the run (INSTALL_CONSUMER_RPM recorded them): "as it was" covers the rpm database."""
    before = run.consumer_packages_before
    if before is None:
        return []
    try:
        now = sorted(package.nvr for package in packages.installed(
            run.ctx, [host.CONSUMER_PACKAGE_PREFIX + "*"]))
    except LbenrollError as exc:
        return [("the rpm database", "cannot list the consumer packages: %s" % exc.message)]
    if now == sorted(before):
        return []
    return [("the rpm database", "katello-ca-consumer packages before the run: %s; now: %s" % (
        ", ".join(before) or "none", ", ".join(now) or "none"))]


def _rollback_advice(failed, not_restored, spared):
    """What the admin does about each kind of leftover: an undo action that failed says what to
    run; a file something else edited during the run keeps that edit (the backup store has it
    from before, so restoring it from there would take the other edit back too); the rpm
    database says which packages; any other path is restored from the backup store."""
    advice = ["do what each 'NOT undone' line says"] if failed else []
    others = [path for path, _ in not_restored if path != "the rpm database"]
    edited = [path for path in others if path in spared]
    if edited:
        advice.append("check %s: something else changed it during the run and it keeps that "
                      "change" % ", ".join(edited))
    if any(path == "the rpm database" for path, _ in not_restored):
        advice.append("install or erase katello-ca-consumer packages with rpm until they are "
                      "those listed as before the run")
    rest = [path for path in others if path not in spared]
    if rest:
        advice.append("restore %s from %s by hand" % (", ".join(rest), host.BACKUP_DIR))
    return "; ".join(advice)


def _rollback(run):
    """Undo this run's changes, newest first; then hold the watched paths against what they were
    before the run's first change, put back whatever still differs (what a package script,
    update-ca-trust or subscription-manager changed) and compare again. The result claims only
    what that last comparison showed."""
    ctx = run.ctx
    done, failed = ctx.undo.rollback()
    snapshot = ctx.snapshot
    not_restored = snapshot.restore() if snapshot is not None else []
    not_restored += _consumer_packages_differ(run)
    detail = ["undone: %s" % d for d in done] + ["NOT undone: %s" % f for f in failed]
    if not_restored:
        detail += ["NOT as it was: %s (%s)" % (path, why) for path, why in not_restored]
    if failed or not_restored:
        counts = ["%d change(s) not undone" % len(failed)] if failed else []
        counts += ["%d path(s) differ" % len(not_restored)] if not_restored else []
        return Result("ROLLBACK", Status.FAILED, "could not put everything back as it was: %s"
                      % ", ".join(counts), detail=detail,
                      remediation=_rollback_advice(failed, not_restored,
                                                   snapshot.spared if snapshot else {}),
                      exit_code=ExitCode.FAILED)
    if run.consumer_packages_before is not None:
        detail.append("compared: the installed katello-ca-consumer packages")
    if snapshot is None:
        # Nothing was recorded (only undo actions outside the watched paths): say only that.
        return Result("ROLLBACK", Status.CHANGED, "undid this run's changes", detail=detail)
    return Result("ROLLBACK", Status.CHANGED, "undid this run's changes; the host is as it was "
                  "(%d paths compared with their state before the run)" % len(snapshot),
                  detail=detail + ["compared: everything under %s" % ", ".join(snapshot.tops)],
                  data={"checked_paths": len(snapshot)})
