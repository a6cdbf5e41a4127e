"""Structured step results: the report, --json and the exit code are all built from these."""
import enum

from lbenroll.errors import ExitCode


class Status(str, enum.Enum):
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    WARNING = "warning"
    FAILED = "failed"
    # A dry run's answer where the truth depends on what only the run learns (a dnf transaction
    # after the run changed the repositories): never "changed", never claimed as a change.
    MAY_CHANGE = "may change"


class Result(object):
    """What one step or writer did: id, status, a one-line summary, detail lines, remediation.

    diff may also be given as a function that returns it: it is then built on first use, so a
    run whose report shows no diffs never builds one (megabytes for a large redhat.repo).
    """

    def __init__(self, id, status, summary, detail=(), remediation=None, diff=None, data=None,
                 exit_code=None):
        self.id = id
        self.status = Status(status)
        self.summary = summary
        self.detail = list(detail)
        self.remediation = remediation
        self.diff = diff
        self.data = dict(data or {})
        self.exit_code = exit_code

    @property
    def diff(self):
        if callable(self._diff):
            self._diff = self._diff()
        return self._diff

    @diff.setter
    def diff(self, value):
        self._diff = value

    def as_dict(self):
        out = {"id": self.id, "status": self.status.value, "summary": self.summary,
               "detail": self.detail, "remediation": self.remediation}
        if self.diff:
            out["diff"] = self.diff
        if self.data:
            out["data"] = self.data
        if self.exit_code is not None:
            out["exit_code"] = int(self.exit_code)
        return out

    def __repr__(self):
        return "Result(%s, %s, %r)" % (self.id, self.status.value, self.summary)


def exit_code(results):
    """The exit code of a list of results: the first failure's, else 3 for a warning, else 0.
    Shared by the enrollment (engine.py) and diagnose."""
    for result in results:
        if result.status == Status.FAILED:
            return ExitCode(result.exit_code or ExitCode.FAILED)
    if any(r.status == Status.WARNING for r in results):
        return ExitCode.WARNINGS
    return ExitCode.OK
