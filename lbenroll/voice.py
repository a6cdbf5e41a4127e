"""lbenroll's one voice on the command line, shared by every command (cli.py, repair.py,
diagnose/cli.py): each usage error, click's own included, and each expected failure is
"lbenroll: error: <what>" with a fix; a bug is its traceback and exit 70; --help ends with the
exit status.

Only click features present in click 6.7 (EL8's python3-click) are used.
"""
import logging
import sys
import traceback

import click

from lbenroll.errors import EXIT_CODE_MEANINGS, ExitCode, LbenrollError, UsageError

PROG = "lbenroll"


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
        # An option made from the table (cli.TableOption) carries its OptionSpec as .spec.
        spec = getattr(param, "spec", None)
        example = spec.default if spec is not None else param.default
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
