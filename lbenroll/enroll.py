"""From validated options to the exit code, for `lbenroll` and `lbenroll repair`: the options
finished with what is found on the machine, their notes and warnings printed, the run (app.py),
an expected failure shown in lbenroll's voice."""
import click

from lbenroll import credentials, options
from lbenroll.errors import LbenrollError
from lbenroll.redact import Redactor
from lbenroll.voice import PROG, echo_error, internal_error, with_fix


def complete(validated):
    """Finish validated options with what is found on the machine (credentials.py): the FQDN
    when --fqdn was not given, and the API password where the run needs one. Raises
    UsageError."""
    if validated.fqdn is None:
        validated.fqdn = credentials.host_fqdn()
    options.check_fqdn(validated)
    options.take_password(validated, credentials.password(
        validated.password, validated.password_file, validated.login))
    return validated


def run_validated(make_options):
    """Run an enrollment from make_options() (which validates and may raise LbenrollError);
    print its warnings, map expected errors to their exit codes, and return the exit code."""
    try:
        validated = make_options()
    except LbenrollError as error:
        echo_error(with_fix(error).format_message())
        return error.exit_code
    for note in validated.notes:
        click.echo("%s: note: %s" % (PROG, note), err=True)
    for warning in validated.warnings:
        click.echo("%s: warning: %s" % (PROG, warning), err=True)
    redact = Redactor(validated.secrets)
    # Imported here so that --help, --version and usage errors never load the engine.
    from lbenroll import app
    try:
        return int(app.run(validated))
    except LbenrollError as error:
        echo_error(redact(with_fix(error).format_message()))
        return error.exit_code
    except click.Abort:
        raise
    except Exception:  # a bug
        return internal_error(redact)
