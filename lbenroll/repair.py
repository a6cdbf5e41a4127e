"""`lbenroll repair`: re-apply the options the last enrollment recorded, healing drift.

A host whose rhsm.conf, redhat.repo or puppet.conf drifted back to a proxy's name (a proxy
rebuild, a consumer RPM upgrade, a hand edit) is corrected, and a rebuilt proxy's newer consumer
RPM is installed. Repair never registers: it has no activation key, so a host whose identity is
lost is told to enroll again.
"""
import click

from lbenroll import host, options
from lbenroll.enroll import complete, run_validated
from lbenroll.errors import ConfigError, UsageError
from lbenroll.voice import LbenrollCommand

HELP = ("Re-apply the options recorded by the last enrollment, correcting files that drifted "
        "back to a proxy name; never registers.")


def _help(dest):
    """Help of a repair option: the same words as the enrollment option of the same name."""
    return options.BY_DEST[dest].help


@click.command(cls=LbenrollCommand, help=HELP,
               context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", metavar="PATH",
              help="The recorded options. [default: %s inside --root]" % host.LBENROLL_CONF)
@click.option("--root", metavar="DIR", help=_help("root"))
@click.option("--json", "as_json", is_flag=True, help=_help("json"))
@click.option("--dry-run", "dry_run", is_flag=True, help=_help("dry_run"))
@click.option("-v", "--verbose", is_flag=True, help=_help("verbose"))
@click.option("--log-file", metavar="PATH", help="%s [default: %s]" % (
    _help("log_file"), host.DEFAULT_LOG_FILE))
@click.pass_context
def command(ctx, config_path, root, as_json, dry_run, verbose, log_file):
    given = {"root": root, "json": as_json, "dry_run": dry_run, "verbose": verbose,
             "log_file": log_file}
    ctx.exit(int(repair(config_path, dict((k, v) for k, v in given.items() if v))))


def repair(config_path, run_values):
    """Validate the recorded options plus this run's (root, json, ...) and run; the exit code."""
    return run_validated(lambda: recorded_options(config_path, run_values))


def recorded_options(config_path, run_values):
    """Options from the recorded file, checked by options.validate() like a command line."""
    root = run_values.get("root", "/")
    # Imported here: `lbenroll --help` imports this module for its one-line help only.
    from lbenroll import app
    from lbenroll.writers import lbenroll_conf
    # The enrollment's refusal (app.run leaves it to this one on a repair), before the record
    # is read: an ordinary user asking for a repair is told what it needs, not that the host is
    # not enrolled.
    app.refuse_unprivileged(root, run_values.get("dry_run"))
    path = config_path or host.reroot(root, host.LBENROLL_CONF)
    try:
        record = lbenroll_conf.read(path, path)
    except OSError as exc:
        raise ConfigError("cannot read %s: %s" % (path, exc.strerror),
                          fix="check the file, or enroll again to rewrite it") from None
    if record is None:
        # --root has its one check in options.validate; a --root that is no directory holds no
        # record, and is then what is wrong, said in that check's words.
        options.checked_root(root)
        raise UsageError("%s does not exist: there is no recorded enrollment to repair" % path,
                         fix="enroll first (lbenroll --server BALANCER -o ORG_LABEL -a KEY "
                             "--skip foreman ...); that records the options repair re-applies")
    values = lbenroll_conf.option_values(record, path)
    values.update(run_values)
    # Repair heals configuration drift only: it never touches the Foreman host record (so it
    # needs no API password and validates as content-only) and never installs or updates
    # packages besides a rebuilt proxy's consumer RPM (the timer must not run dnf against the
    # repositories every few hours, least of all for a katello-host-tools no repository has).
    values["skip"] = sorted(set(values.get("skip") or [])
                            | {"foreman", "prereq-update", "katello-host-tools"})
    # Without the API password the keys cannot come from Foreman's proxy list; the balancer's
    # :9090/ssh/pubkey scan still finds every proxy's key.
    values.pop("remote_exec_apikeys", None)
    try:
        validated = complete(options.validate(values))
    except UsageError as error:
        error.message = "%s: %s" % (path, error.message)
        raise
    validated.recorded_in = path
    return validated
