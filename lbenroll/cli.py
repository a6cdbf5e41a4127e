"""The command line: a click command built from the option table, outcomes mapped to exit codes.

Only click features present in click 6.7 (EL8's python3-click) are used.
"""
import importlib
import logging
import os
import sys
import traceback

import click

from lbenroll import __version__, options
from lbenroll.errors import EXIT_CODE_MEANINGS, ExitCode, LbenrollError, UsageError
from lbenroll.redact import Redactor

PROG = "lbenroll"

# ctx.meta key of the set of dests the user gave on the command line.
GIVEN = "lbenroll.given"

SUMMARY = ("Enroll this host with Katello through a load-balanced Smart Proxy name. Accepts "
           "bootstrap.py's options; the retired RHN Classic migration ones are refused.")


class TableOption(click.Option):
    """A click option made from an OptionSpec that records whether the user gave it.

    click 6.7 cannot tell a default from a given value (get_parameter_source came in 8.0), but
    the parser's `opts` holds only what was on the command line, in every click version.
    """

    def __init__(self, spec, decls, **attrs):
        super(TableOption, self).__init__(decls, **attrs)
        self.spec = spec

    def handle_parse_result(self, ctx, opts, args):
        if self.expose_value and self.name in opts:
            ctx.meta.setdefault(GIVEN, set()).add(self.name)
        return super(TableOption, self).handle_parse_result(ctx, opts, args)

    def get_help_record(self, ctx):
        record = super(TableOption, self).get_help_record(ctx)
        return record[0], options.help_text(self.spec)


class Shown(click.UsageError):
    """An LbenrollError on its way out of click, which shows it (in lbenroll's voice) and
    exits with its code. A click UsageError, as what it carries comes from parsing or
    checking the command line."""

    def __init__(self, error):
        super(Shown, self).__init__(error.message)
        self.error = error
        self.exit_code = int(error.exit_code)

    def show(self, file=None):
        echo_error(self.error.format_message())


class LbenrollCommand(click.Command):
    """A click command in lbenroll's one voice: every usage error, click's own included (a bad
    value, an unknown option, a missing value), is "lbenroll: error: <what>" and "fix: <how>"
    with exit 2, an LbenrollError raised while parsing or running is shown the same way with
    its own code, and --help ends with the exit status, from the ExitCode enum."""

    # (ExitCode, meaning) for the help's "Exit status" section.
    exit_meanings = EXIT_CODE_MEANINGS

    def parse_args(self, ctx, args):
        return self._in_our_words(ctx, super(LbenrollCommand, self).parse_args, ctx, args)

    def invoke(self, ctx):
        return self._in_our_words(ctx, super(LbenrollCommand, self).invoke, ctx)

    @staticmethod
    def _in_our_words(ctx, call, *args):
        """call(*args), with lbenroll's and click's usage errors turned into ours."""
        try:
            return call(*args)
        except Shown:
            raise
        except LbenrollError as error:
            raise Shown(with_fix(error, ctx))
        except click.UsageError as error:
            raise Shown(usage_error(error, ctx))

    def format_epilog(self, ctx, formatter):
        super(LbenrollCommand, self).format_epilog(ctx, formatter)
        with formatter.section("Exit status"):
            formatter.write_dl([(str(int(code)), meaning) for code, meaning in self.exit_meanings])


def _label(param):
    """The option as messages name it, short spelling first: "-t/--timeout"."""
    return "/".join(sorted(param.opts, key=lambda name: name.startswith("--")))


def usage_error(error, ctx):
    """click's usage error (UsageError or a subclass) as lbenroll's UsageError: what went wrong
    in our words where click tells us enough, and how to fix it."""
    help_hint = "see '%s --help'" % (ctx.command_path if ctx is not None else PROG)
    param = getattr(error, "param", None)
    if isinstance(error, click.NoSuchOption):
        possibilities = sorted(error.possibilities or ())
        return UsageError("no such option: %s" % error.option_name,
                          fix="did you mean %s? (or %s for the options)" % (
                              " or ".join(possibilities), help_hint) if possibilities
                          else "%s for the options" % help_hint)
    if isinstance(error, click.MissingParameter) and param is not None:
        return UsageError("%s is required" % _label(param), fix=help_hint)
    if isinstance(error, click.BadOptionUsage) and getattr(error, "option_name", None):
        # click 7 and later name the option; click 6.7 says it in its message only.
        return UsageError("%s needs a value" % error.option_name,
                          fix="put the value after it; %s" % help_hint)
    text = error.message.strip().rstrip(".")
    text = text[:1].lower() + text[1:]
    if isinstance(error, click.BadParameter) and param is not None:
        return UsageError("%s: %s" % (_label(param), text), fix=_value_fix(param, help_hint))
    if isinstance(error, click.BadOptionUsage):
        return UsageError(text, fix="put the value after it; %s" % help_hint)
    return UsageError(text, fix=help_hint)


def _value_fix(param, help_hint):
    """How to give a value of param's type."""
    kind, name = param.type, max(param.opts, key=len)
    if isinstance(kind, click.Choice):
        return "use one of: %s" % ", ".join(kind.choices)
    if isinstance(kind, (click.types.IntParamType, click.types.FloatParamType)):
        # The option table keeps the enrollment's defaults; click has none for its options.
        example = param.spec.default if isinstance(param, TableOption) else param.default
        if not isinstance(example, (int, float)) or isinstance(example, bool):
            example = 30
        return "give a %snumber, e.g. %s %s" % (
            "whole " if isinstance(kind, click.types.IntParamType) else "", name, example)
    if isinstance(kind, click.Path):
        return "give the path of an existing %s" % ("file" if kind.file_okay else "directory")
    return help_hint


def with_fix(error, ctx=None):
    """error, with "see '... --help'" as its fix when it is a usage error that has none."""
    ctx = ctx or click.get_current_context(silent=True)
    if error.fix is None and int(error.exit_code) == ExitCode.USAGE:
        error.fix = "see '%s --help'" % (ctx.command_path if ctx is not None else PROG)
    return error


class EnrollCommand(LbenrollCommand):
    """Help grouped as in the option table, with the other commands and the exit codes as an
    epilog."""

    def format_options(self, ctx, formatter):
        params = [p for p in self.get_params(ctx) if isinstance(p, TableOption)]
        for group, title in options.GROUPS:
            rows = [p.get_help_record(ctx) for p in params if p.spec.group == group]
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)

    def format_epilog(self, ctx, formatter):
        if SUBCOMMANDS:
            with formatter.section("Other commands"):
                formatter.write_dl([("%s %s" % (PROG, name), subcommand(name).help or "")
                                    for name in sorted(SUBCOMMANDS)])
        super(EnrollCommand, self).format_epilog(ctx, formatter)


class WholeNumber(click.types.IntParamType):
    """click's integer, refused in the words options.validate() uses for one."""

    def convert(self, value, param, ctx):
        try:
            return super(WholeNumber, self).convert(value, param, ctx)
        except click.BadParameter:
            self.fail("%r is not a whole number" % (value,), param, ctx)


class OneOf(click.Choice):
    """click's choice, refused in the words options.validate() uses for one."""

    def convert(self, value, param, ctx):
        try:
            return super(OneOf, self).convert(value, param, ctx)
        except click.BadParameter:
            self.fail("%r is not a valid choice" % (value,), param, ctx)


def _show_help(ctx, param, value):
    if value and not ctx.resilient_parsing:
        click.echo(ctx.get_help(), color=ctx.color)
        ctx.exit()


def _show_version(ctx, param, value):
    if value and not ctx.resilient_parsing:
        click.echo("%s %s" % (PROG, __version__))
        ctx.exit()


def _click_option(spec):
    longs = list(spec.longs)
    if spec.negation:
        longs[-1] = "%s/%s" % (longs[-1], spec.negation)
    decls = ([spec.short] if spec.short else []) + longs
    if spec.type in (options.HELP, options.VERSION):
        callback = _show_help if spec.type == options.HELP else _show_version
        return TableOption(spec, decls, is_flag=True, expose_value=False, is_eager=True,
                           callback=callback)
    # Defaults stay in the table: validate() applies them to what the user did not give.
    decls = [spec.dest] + decls
    if spec.type == options.FLAG:
        return TableOption(spec, decls, is_flag=True, default=spec.default)
    if spec.type == options.INT:
        value_type = WholeNumber()
    elif spec.choices:
        value_type = OneOf(spec.choices)
    else:
        value_type = click.STRING
    return TableOption(spec, decls, type=value_type, multiple=spec.multiple,
                       metavar=spec.metavar)


def build_command():
    return EnrollCommand(PROG, params=[_click_option(spec) for spec in options.OPTIONS],
                         callback=_enroll, help=SUMMARY, add_help_option=False)


def echo_error(text):
    """The one way an error reaches the user: "lbenroll: error: ..." on stderr."""
    click.echo("%s: error: %s" % (PROG, text), err=True)


def internal_error(redact):
    """The one handler of a bug, for every command: the traceback, masked, to the log (when a
    run configured one) and to stderr, then one line; exit 70. Called in an except block."""
    text = redact(traceback.format_exc())
    logging.getLogger("lbenroll").error("internal error:\n%s", text)
    click.echo(text, err=True)
    echo_error("internal error: %s; this is a bug in lbenroll, please report it with the "
               "lines above" % redact(str(sys.exc_info()[1])))
    return ExitCode.SOFTWARE


@click.pass_context
def _enroll(ctx, **params):
    given = ctx.meta.get(GIVEN, set())
    ctx.exit(int(_validate_and_run(dict((dest, params[dest]) for dest in given))))


def _validate_and_run(values):
    return run_validated(lambda: options_for_host(values))


def complete(validated):
    """Finish validated options with what is found on the machine (credentials.py): the FQDN
    when --fqdn was not given, and the API password where the run needs one. Raises
    UsageError. Shared by the enrollment and `lbenroll repair`."""
    from lbenroll import credentials
    if validated.fqdn is None:
        validated.fqdn = credentials.host_fqdn()
    options.check_fqdn(validated)
    options.take_password(validated, credentials.password(
        validated.password, validated.password_file, validated.login))
    return validated


def options_for_host(values):
    """Validated options for a command line on the host as it is (hoststate.py): the record's
    options as defaults, and what registering needs checked against what the host has."""
    from lbenroll import hoststate
    state = hoststate.read(values.get("root") if os.path.isdir(values.get("root") or "/")
                           else "/")
    merged, from_record = hoststate.with_record(values, state)
    validated = complete(options.validate(merged, host_state=state, from_record=from_record))
    if from_record:
        validated.notes.insert(0, "options from %s: %s" % (state.record_path, ", ".join(
            options.BY_DEST[dest].label for dest in from_record)))
    return validated


def run_validated(make_options):
    """Run an enrollment from make_options() (which validates and may raise LbenrollError);
    print its warnings, map expected errors to their exit codes, and return the exit code.
    Shared by enrollment and `lbenroll repair`."""
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


command = build_command()

# Subcommands: `lbenroll NAME ...` dispatches to the click command `module:attribute`, imported
# only when used so that the enrollment path and --help stay fast. Everything else is enrollment
# with bootstrap.py's options (`lbenroll --server ...`), so existing bootstrap.py command lines
# keep working unchanged.
SUBCOMMANDS = {
    "diagnose": "lbenroll.diagnose.cli:command",
    "repair": "lbenroll.repair:command",
}


def subcommand(name):
    """The click command of a subcommand, or None."""
    target = SUBCOMMANDS.get(name)
    if target is None:
        return None
    module, attribute = target.split(":")
    return getattr(importlib.import_module(module), attribute)


def console():
    """The installed `lbenroll` and `python -m lbenroll`: main(), then the process ends at once.

    By then everything lbenroll leaves is on disk (each write fsynced, each log record flushed,
    the lock released by the kernel with the process); the interpreter's teardown of its ~250
    modules (~10 ms, a tenth of a repair by the timer) would do nothing for the host, so it is
    skipped once standard output and error are flushed.
    """
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = status_of(exc)
    exit_now(code)


def status_of(exc):
    """The process's exit status for a SystemExit, as the interpreter would make it."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    sys.stderr.write("%s\n" % exc.code)
    return 1


def exit_now(code):
    """End the process with code once output and the log are flushed, without teardown."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can reach the reader
            pass
    os._exit(code)


def main(args=None):
    """The command line: parse, validate, run, exit (SystemExit) with the outcome's code."""
    args = list(sys.argv[1:] if args is None else args)
    chosen = subcommand(args[0]) if args else None
    if chosen is not None:
        chosen.main(args=args[1:], prog_name="%s %s" % (PROG, args[0]))
    command.main(args=args, prog_name=PROG)
