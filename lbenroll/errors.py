"""Exit codes and the exception tree: expected failures are LbenrollErrors with an exit code."""
import enum

import click


class ExitCode(enum.IntEnum):
    """The documented exit codes (sysexits-style for classified failures)."""

    OK = 0
    FAILED = 1
    USAGE = 2
    WARNINGS = 3
    DATAERR = 65
    UNAVAILABLE = 69
    SOFTWARE = 70
    CANTCREAT = 73
    TEMPFAIL = 75
    PROTOCOL = 76
    NOPERM = 77
    CONFIG = 78


# One line each, used by --help, the README and the man page's EXIT STATUS section.
EXIT_CODE_MEANINGS = (
    (ExitCode.OK, "enrolled; nothing needed changing, or every change succeeded"),
    (ExitCode.FAILED, "a step failed for a reason not classified below"),
    (ExitCode.USAGE, "invalid options or option combination; nothing was changed"),
    (ExitCode.WARNINGS, "finished, but at least one step reported a warning"),
    (ExitCode.DATAERR, "bad data from the balancer: not an RPM, truncated, unexpected content"),
    (ExitCode.UNAVAILABLE, "the balancer or a service behind it cannot be resolved or reached"),
    (ExitCode.SOFTWARE, "internal error (a bug in lbenroll); please report it"),
    (ExitCode.CANTCREAT, "a file could not be written"),
    (ExitCode.TEMPFAIL, "another lbenroll run holds the lock; try again later"),
    (ExitCode.PROTOCOL,
     "the server refused the request (e.g. unknown organization or activation key)"),
    (ExitCode.NOPERM, "not running as root"),
    (ExitCode.CONFIG, "TLS or configuration problem: certificate, CA or host setup"),
)


class LbenrollError(click.ClickException):
    """An expected failure: which step, what went wrong, how to fix it, and the exit code."""

    exit_code = ExitCode.FAILED

    def __init__(self, message, step=None, fix=None, exit_code=None):
        super(LbenrollError, self).__init__(message)
        self.step = step
        self.fix = fix
        if exit_code is not None:
            self.exit_code = exit_code

    def format_message(self):
        text = self.message
        if self.step:
            text = "%s: %s" % (self.step, text)
        if self.fix:
            text = "%s\n  fix: %s" % (text, self.fix)
        return text


class UsageError(LbenrollError):
    exit_code = ExitCode.USAGE


class DataError(LbenrollError):
    exit_code = ExitCode.DATAERR


class UnavailableError(LbenrollError):
    exit_code = ExitCode.UNAVAILABLE


class ConfigError(LbenrollError):
    exit_code = ExitCode.CONFIG


class ProtocolError(LbenrollError):
    exit_code = ExitCode.PROTOCOL


class PermissionDenied(LbenrollError):
    exit_code = ExitCode.NOPERM


class LockedError(LbenrollError):
    exit_code = ExitCode.TEMPFAIL


class WriteError(LbenrollError):
    exit_code = ExitCode.CANTCREAT
