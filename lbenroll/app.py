"""One enrollment run: context, lock, steps, report, exit code. Called by the CLI."""
import logging
import os
import shutil

import click

from lbenroll import __version__, engine, host, logs, report, scratch
from lbenroll.context import Context
from lbenroll.errors import PermissionDenied, UsageError
from lbenroll.lock import RunLock
from lbenroll.steps.base import Run

log = logging.getLogger("lbenroll")


def log_file_path(options, ctx):
    # The default log belongs to the managed host, so with --root it lands inside that root.
    if options.log_file == host.DEFAULT_LOG_FILE:
        return ctx.path(host.DEFAULT_LOG_FILE)
    return options.log_file


def steps_for(options):
    """The enrollment's step list, or with --remove the removal's."""
    if not options.remove:
        return engine.STEPS
    if options.recorded_in:
        # `lbenroll repair` runs from a timer: a hand-edited record must never unenroll a host.
        raise UsageError("%s asks for --remove: repair never removes" % options.recorded_in,
                         fix="remove that line; unenroll with lbenroll --remove")
    return engine.REMOVE_STEPS


def refuse_unprivileged(root, dry_run):
    """PermissionDenied unless this process may change the host under root: changing this host
    (root /) needs root; a dry run, or a --root tree, is left to the files' own permissions."""
    if os.geteuid() != 0 and not dry_run and os.path.abspath(root) == "/":
        raise PermissionDenied("lbenroll must run as root to change this host", step="PREFLIGHT",
                               fix="run it with sudo, or use --dry-run to only see the plan")


def run(options):
    steps = steps_for(options)
    ctx = Context(root=options.root, dry_run=options.dry_run, secrets=options.secrets,
                  timeout=options.timeout)
    if options.remove:
        ctx.watched = None
    if not options.recorded_in:
        # Checked before the log file and the lock, which need root as well. `lbenroll repair`
        # (options.recorded_in) checked it before reading the record (repair.py).
        refuse_unprivileged(ctx.root, ctx.dry_run)
    if ctx.root != "/" and not any(os.path.isdir(ctx.path(d)) for d in host.RPMDB_DIRS):
        # Checked before the log file and the lock, which would be created inside it, and
        # before rpm, which would create a database there.
        raise UsageError("--root %s holds no rpm database (%s): not an installed system" % (
            ctx.root, " or ".join(host.RPMDB_DIRS)),
            fix="give the directory an installed EL system is mounted on, e.g. /mnt/sysimage")
    note = logs.configure(ctx.redact, None if options.dry_run else log_file_path(options, ctx),
                          verbose=options.verbose)
    if note:
        click.echo("lbenroll: warning: %s" % note, err=True)
    log.info("lbenroll %s starting%s: balancer %s, root %s, dry-run %s", __version__,
             " --remove" if options.remove else "", options.balancer, ctx.root, ctx.dry_run)
    state = Run(options, ctx)
    # What runs killed earlier left behind goes first (scratch.py); this run's own goes last.
    scratch.remove_abandoned()
    state.tmpdir = scratch.make()
    try:
        if ctx.dry_run:
            results = engine.execute(state, steps)
        else:
            with RunLock(ctx):
                results = engine.execute(state, steps)
    finally:  # a bug goes up to voice.internal_error, the one handler of bugs
        shutil.rmtree(state.tmpdir, ignore_errors=True)
    code = engine.exit_code(results)
    if options.json:
        click.echo(report.as_json(__version__, state, results, code))
    else:
        click.echo(report.as_text(state, results, code, verbose=options.verbose))
    log.info("finished: exit %d", int(code))
    return int(code)
