"""The writer contract: a declared target, a pure plan (bytes in, bytes and diff out), an apply."""
import collections
import difflib

from lbenroll import fileio
from lbenroll.results import Result, Status

# What a writer manages: the man page's FILES section and the dry-run output come from these.
# parent, a Directory or None, is how a missing parent directory is created (None: 0755 root).
Target = collections.namedtuple("Target", "path mode owner group description parent")
Target.__new__.__defaults__ = (None,)  # Python 3.6's namedtuple has no defaults= argument
Directory = collections.namedtuple("Directory", "mode owner group")


def decode(data):
    # surrogateescape round-trips every byte, so bytes a writer does not own come back unchanged.
    return data.decode("utf-8", "surrogateescape")


def encode(text):
    return text.encode("utf-8", "surrogateescape")


class Spliced(object):
    """Bytes read from a file with some ranges replaced, kept as the original and the changed
    pieces: written out piece by piece (fileio), joined only for a diff or a comparison.

    A 20,000-repository redhat.repo is about 10 MB; holding it once, plus the changed lines,
    instead of also a second full copy is what keeps a run's memory flat.
    edits: (start, end, new bytes) in file order, not overlapping, each a real change.
    """

    __slots__ = ("base", "edits")
    __hash__ = None

    def __init__(self, base, edits):
        self.base = base
        self.edits = edits

    def chunks(self):
        view, pos = memoryview(self.base), 0
        for start, end, new in self.edits:
            yield view[pos:start]
            yield new
            pos = end
        yield view[pos:]

    def join(self):
        return b"".join(self.chunks())

    def __eq__(self, other):
        if not isinstance(other, bytes):
            return NotImplemented
        if other is self.base or other == self.base:
            return not self.edits  # every edit changes something
        return self.join() == other


def as_bytes(data):
    """Plain bytes for a writer's wanted content, Spliced or not."""
    return data.join() if isinstance(data, Spliced) else data


def _range(start, length):
    # difflib's unified range format: "N" for one line, "N,0" after line N for none.
    if length == 1:
        return str(start + 1)
    return "%d,%d" % (start + 1 if length else start, length)


def _in_place_hunks(old, new, context=3):
    """Unified-diff hunks for two equally long line lists, in linear time.

    Every writer edits values in place, so the line counts match; difflib's matcher is
    quadratic on large files (a 10,000-repository redhat.repo) and not needed then.
    """
    changed = [i for i, (a, b) in enumerate(zip(old, new)) if a != b]
    groups = []
    for i in changed:
        if groups and i - groups[-1][-1] - 1 <= 2 * context:  # unchanged lines between
            groups[-1].append(i)
        else:
            groups.append([i])
    for group in groups:
        start, end = max(0, group[0] - context), min(len(old), group[-1] + context + 1)
        yield "@@ -%s +%s @@\n" % (_range(start, end - start), _range(start, end - start))
        i = start
        while i < end:
            if old[i] == new[i]:
                yield " " + old[i]
                i += 1
                continue
            run_end = i
            while run_end < end and old[run_end] != new[run_end]:
                run_end += 1
            for line in old[i:run_end]:
                yield "-" + line
            for line in new[i:run_end]:
                yield "+" + line
            i = run_end


class Plan(object):
    """The outcome of planning: current and wanted bytes, a unified diff, and what changes.

    data holds structured facts for the result (e.g. which repositories were fixed).
    """

    def __init__(self, target, current, wanted, notes=(), data=None):
        self.target = target
        self.current = current
        self.wanted = wanted
        self.notes = list(notes)
        self.data = dict(data or {})

    @property
    def changed(self):
        return self.wanted is not None and self.wanted != self.current

    @property
    def diff(self):
        if not self.changed:
            return ""
        old = decode(self.current or b"").splitlines(True)
        new = decode(as_bytes(self.wanted)).splitlines(True)
        label = self.target.path
        before = "a" + label if self.current is not None else "/dev/null"
        if len(old) == len(new):
            lines = ["--- %s\n" % before, "+++ b%s\n" % label] + list(_in_place_hunks(old, new))
        else:
            lines = difflib.unified_diff(old, new, before, "b" + label)
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                       for line in lines)


class Writer(object):
    """Subclasses set `id` and `target` and implement `render(current_text) -> (text, notes)`
    or `(text, notes, data)` where data is a dict of structured facts for the result.

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
        text, notes = rendered[0], rendered[1]
        data = rendered[2] if len(rendered) > 2 else None
        return Plan(self.target, current, encode(text), notes, data)

    def apply(self, ctx, plan):
        """Write exactly what the plan says (nothing in dry-run) and report it."""
        if not plan.changed:
            if plan.wanted is None:
                return Result(self.id, Status.SKIPPED,
                              "%s not present; left alone" % self.target.path)
            return Result(self.id, Status.UNCHANGED, "%s already correct" % self.target.path,
                          data=plan.data)
        verb = "would update" if ctx.dry_run else "updated"
        if plan.current is None:
            verb = "would create" if ctx.dry_run else "created"
        if not ctx.dry_run:
            fileio.write_file(ctx, self.target, plan.wanted, planned_from=plan.current)
        # The diff is built only if the report shows it (--json, --verbose, --dry-run).
        return Result(self.id, Status.CHANGED, "%s %s" % (verb, self.target.path),
                      detail=plan.notes, diff=lambda: plan.diff, data=plan.data)

    def run(self, ctx):
        return self.apply(ctx, self.plan(fileio.read_bytes(ctx, self.target.path)))
