"""The writer contract: a declared target, a pure plan (bytes in, bytes and diff out), an apply."""
import collections
import difflib

from lbenroll import fileio
from lbenroll.results import Result, Status

# What a writer manages: the man page's FILES section and the dry-run output come from these.
Target = collections.namedtuple("Target", "path mode owner group description")


def decode(data):
    # surrogateescape round-trips every byte, so bytes a writer does not own come back unchanged.
    return data.decode("utf-8", "surrogateescape")


def encode(text):
    return text.encode("utf-8", "surrogateescape")


class Plan(object):
    """The outcome of planning: current and wanted bytes, a unified diff, and what changes."""

    def __init__(self, target, current, wanted, notes=()):
        self.target = target
        self.current = current
        self.wanted = wanted
        self.notes = list(notes)

    @property
    def changed(self):
        return self.wanted is not None and self.wanted != self.current

    @property
    def diff(self):
        if not self.changed:
            return ""
        old = decode(self.current or b"").splitlines(True)
        new = decode(self.wanted).splitlines(True)
        label = self.target.path
        lines = difflib.unified_diff(old, new, "a" + label if self.current is not None else "/dev/null",
                                     "b" + label)
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                       for line in lines)


class Writer(object):
    """Subclasses set `id` and `target` and implement `render(current_text) -> (text, notes)`.

    `render` gets None when the file does not exist and returns None for "leave it alone"
    (for instance an optional file that is absent).
    """

    id = None
    target = None

    def render(self, current_text):
        raise NotImplementedError

    def plan(self, current):
        """Pure: current bytes (or None) in, a Plan out."""
        rendered = self.render(None if current is None else decode(current))
        if rendered is None:
            return Plan(self.target, current, None)
        text, notes = rendered
        return Plan(self.target, current, encode(text), notes)

    def apply(self, ctx, plan):
        """Write exactly what the plan says (nothing in dry-run) and report it."""
        if not plan.changed:
            if plan.wanted is None:
                return Result(self.id, Status.SKIPPED, "%s not present; left alone" % self.target.path)
            return Result(self.id, Status.UNCHANGED, "%s already correct" % self.target.path)
        verb = "would update" if ctx.dry_run else "updated"
        if plan.current is None:
            verb = "would create" if ctx.dry_run else "created"
        if not ctx.dry_run:
            fileio.write_file(ctx, self.target, plan.wanted)
        return Result(self.id, Status.CHANGED, "%s %s" % (verb, self.target.path),
                      detail=plan.notes, diff=plan.diff)

    def run(self, ctx):
        return self.apply(ctx, self.plan(fileio.read_bytes(ctx, self.target.path)))
