"""Runs the fixed, ordered step list; a failure stops the run and rolls back what it changed."""
import logging

from lbenroll.errors import ExitCode, LbenrollError
from lbenroll.results import Result, Status
from lbenroll.steps.consumer_rpm import FetchConsumerRpm, InstallConsumerRpm, VerifyBalancerTls
from lbenroll.steps.foreman_host import ForemanHost
from lbenroll.steps.messaging import CheckAmqp, CheckMqtt, GoferConfig, YggdrasilConfig
from lbenroll.steps.preflight import Preflight
from lbenroll.steps.puppet import PuppetCert, PuppetConf, PuppetEnable, PuppetInstall
from lbenroll.steps.record import RecordOptions
from lbenroll.steps.registration import Register, RedhatRepo, RhsmConf
from lbenroll.steps.remove import (CleanPuppet, DisableRepairTimer, ForemanHostDelete,
                                   ForgetBackups, RemovePackages, RemovePreflight, RestoreFiles,
                                   Unregister)
from lbenroll.steps.rex import RexKeys
from lbenroll.steps.system import (EnableRepos, HostTools, InstallPackages, KatelloAgent,
                                   ObsoletePackages, Prerequisites, Rhsmcertd, Update, YumPlugins)

log = logging.getLogger("lbenroll")

STEPS = (Preflight, FetchConsumerRpm, VerifyBalancerTls, Prerequisites, ForemanHost,
         InstallConsumerRpm, RhsmConf, Register, RedhatRepo, YumPlugins, Rhsmcertd, KatelloAgent,
         EnableRepos, HostTools, Update, PuppetInstall, PuppetConf, PuppetCert, PuppetEnable,
         RexKeys, InstallPackages, ObsoletePackages, CheckAmqp, GoferConfig, YggdrasilConfig,
         CheckMqtt, RecordOptions)

# --remove: unregister while rhsm.conf and the CA still point at the server; files back before
# the packages go, so that rpm erases a %config file restored to its packaged bytes cleanly.
REMOVE_STEPS = (RemovePreflight, Unregister, ForemanHostDelete, RestoreFiles, DisableRepairTimer,
                RemovePackages, CleanPuppet, ForgetBackups)

BLOCKING = (Status.FAILED, Status.SKIPPED)


def execute(run, steps=STEPS):
    """Run each step in order; return the list of results, one per step, plus rollback notes."""
    results = []
    failed = None
    for step_class in steps:
        step = step_class()
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
    if failed is not None and len(run.ctx.undo):
        results.append(_rollback(run))
    return results


def _run_step(step, run):
    try:
        return step.run(run)
    except LbenrollError as exc:
        return Result(step.id, Status.FAILED, run.ctx.redact(exc.message),
                      remediation=exc.fix, exit_code=exc.exit_code)


def _rollback(run):
    done, failed = run.ctx.undo.rollback()
    if failed:
        return Result("ROLLBACK", Status.FAILED, "could not undo everything this run changed",
                      detail=(["undone: %s" % d for d in done]
                              + ["NOT undone: %s" % f for f in failed]),
                      remediation="restore the files from /var/lib/lbenroll/backup by hand",
                      exit_code=ExitCode.FAILED)
    return Result("ROLLBACK", Status.CHANGED, "undid this run's changes; the host is as it was",
                  detail=done)


def exit_code(results):
    for result in results:
        if result.status == Status.FAILED:
            return ExitCode(result.exit_code or ExitCode.FAILED)
    if any(r.status == Status.WARNING for r in results):
        return ExitCode.WARNINGS
    return ExitCode.OK
