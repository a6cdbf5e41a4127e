"""The command line: a click command built from the option table, outcomes mapped to exit codes,
and the subcommands it dispatches to.

Only click features present in click 6.7 (EL8's python3-click) are used.
"""
import logging
import os
import sys

import click

from lbenroll import __version__, options
from lbenroll.enroll import complete, run_validated
from lbenroll.voice import PROG, LbenrollCommand, OneOf, WholeNumber

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


@click.pass_context
def _enroll(ctx, **params):
    given = ctx.meta.get(GIVEN, set())
    ctx.exit(int(_validate_and_run(dict((dest, params[dest]) for dest in given))))


def _validate_and_run(values):
    return run_validated(lambda: options_for_host(values))


def options_for_host(values):
    """Validated options for a command line on the host as it is (hoststate.py): the record's
    options as defaults, and what registering needs checked against what the host has."""
    from lbenroll import hoststate
    # --root is checked once, by options.validate in its place among the values; a --root that
    # is no directory holds neither record nor certificate, so hoststate finds a fresh host.
    state = hoststate.read(values.get("root"))
    merged, from_record = hoststate.with_record(values, state)
    validated = complete(options.validate(merged, host_state=state, from_record=from_record))
    if from_record:
        validated.notes.insert(0, "options from %s: %s" % (state.record_path, ", ".join(
            options.BY_DEST[dest].label for dest in from_record)))
    return validated


command = build_command()


def _diagnose():
    from lbenroll.diagnose import cli as diagnose_cli
    return diagnose_cli.command


def _repair():
    from lbenroll import repair
    return repair.command


# Subcommands: `lbenroll NAME ...` dispatches to the click command its function returns. Each
# imports its module when called, so that the enrollment and --version load neither; a plain
# import, so that the layer contract (.importlinter) sees the edge. Everything else is
# enrollment with bootstrap.py's options (`lbenroll --server ...`), so existing bootstrap.py
# command lines keep working unchanged.
SUBCOMMANDS = {
    "diagnose": _diagnose,
    "repair": _repair,
}


def subcommand(name):
    """The click command of a subcommand, or None."""
    load = SUBCOMMANDS.get(name)
    return load() if load is not None else None


def console():
    """The installed `lbenroll` and `python -m lbenroll`: main(), then the process ends at once.

    By then everything lbenroll leaves is on disk (each write fsynced, each log record flushed,
    the lock released by the kernel with the process); the interpreter's teardown of its
    modules, a measurable share of a short run such as the repair timer's, would do nothing for
    the host, so it is skipped once standard output and error are flushed.
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
