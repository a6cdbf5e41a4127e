"""The writer contract: a declared target, a pure plan (bytes in, bytes and diff out), an apply."""
import collections

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


NO_NEWLINE = b"\n\\ No newline at end of file\n"


class _LineCountsDiffer(Exception):
    """The wanted bytes add or remove a line: the in-place diff does not apply."""


def _line_end(data, start):
    """The end of the line starting at start, its line break included."""
    end = data.find(b"\n", start)
    return len(data) if end < 0 else end + 1


def _spliced_changes(spliced):
    """(line number, start, end, new line) for each line a Spliced's edits change, in file order,
    read from the edits: the unchanged lines are never split or copied."""
    base = spliced.base
    line, line_start, counted, edits = None, None, 0, []
    for start, end, new in spliced.edits:
        if b"\n" in new or base.count(b"\n", start, end):
            raise _LineCountsDiffer()
        first = base.rfind(b"\n", 0, start) + 1
        if first != line_start:
            if edits:
                yield _edited_line(base, line, line_start, edits)
            line = (0 if line is None else line) + base.count(b"\n", counted, first)
            line_start, counted, edits = first, first, []
        edits.append((start, end, new))
    if edits:
        yield _edited_line(base, line, line_start, edits)


def _edited_line(base, line, start, edits):
    end = _line_end(base, edits[-1][1])
    pieces, pos = [], start
    for edit_start, edit_end, new in edits:
        pieces += [base[pos:edit_start], new]
        pos = edit_end
    pieces.append(base[pos:end])
    return line, start, end, b"".join(pieces)


def _compared_changes(old, new):
    """(line number, start, end, new line) for each line that differs between two byte strings
    with the same number of lines, in file order; _LineCountsDiffer at the end otherwise."""
    old_pos = new_pos = line = 0
    while old_pos < len(old) and new_pos < len(new):
        old_end, new_end = _line_end(old, old_pos), _line_end(new, new_pos)
        if old[old_pos:old_end] != new[new_pos:new_end]:
            yield line, old_pos, old_end, new[new_pos:new_end]
        old_pos, new_pos, line = old_end, new_end, line + 1
    if old_pos < len(old) or new_pos < len(new):
        raise _LineCountsDiffer()


class _InPlaceDiff(object):
    """Unified-diff hunks, exactly as difflib makes them, for edits that keep every line where
    it is, written into one bytearray in a single pass over the changed lines.

    Every writer edits values in place, so the line counts match: difflib's matcher (quadratic
    on a 10,000-repository redhat.repo) is not needed, and neither are the two full line lists
    it takes. Only the diff text itself is built; a hunk's header, which needs its length, is
    inserted in front of the hunk when it ends.
    """

    def __init__(self, out, old, context=3):
        self.out, self.old, self.context = out, old, context
        self.lines = old.count(b"\n") + (0 if old.endswith(b"\n") or not old else 1)
        self.hunk = None  # [header offset in out, first line, next line, its offset in old]
        self.removed, self.added = [], []  # the run of changed lines being collected

    def write(self, changes):
        for line, start, end, new_line in changes:
            hunk = self.hunk
            if hunk is not None and line - hunk[2] <= 2 * self.context:
                if line > hunk[2]:
                    self._flush_run()
                    self._unchanged(line)
            else:
                if hunk is not None:
                    self._close()
                first = max(0, line - self.context)
                pos = start
                for _ in range(line - first):
                    pos = self.old.rfind(b"\n", 0, pos - 1) + 1
                self.hunk = [len(self.out), first, first, pos]
                self._unchanged(line)
            self.removed.append((start, end))
            self.added.append(new_line)
            self.hunk[2:] = [line + 1, end]
        if self.hunk is not None:
            self._close()

    def _line(self, prefix, text):
        self.out += prefix
        self.out += text
        if not text.endswith(b"\n"):
            self.out += NO_NEWLINE

    def _unchanged(self, stop):
        pos, line = self.hunk[3], self.hunk[2]
        while line < stop:
            end = _line_end(self.old, pos)
            self._line(b" ", self.old[pos:end])
            pos, line = end, line + 1
        self.hunk[2:] = [line, pos]

    def _flush_run(self):
        for start, end in self.removed:
            self._line(b"-", self.old[start:end])
        for new_line in self.added:
            self._line(b"+", new_line)
        self.removed, self.added = [], []

    def _close(self):
        self._flush_run()
        self._unchanged(min(self.lines, self.hunk[2] + self.context))
        offset, first, stop = self.hunk[:3]
        header = "@@ -%s +%s @@\n" % (_range(first, stop - first), _range(first, stop - first))
        self.out[offset:offset] = header.encode()
        self.hunk = None


def _split_lines(data):
    """Lines with their line breaks, split at \\n only, as diff(1) and patch(1) split them."""
    lines, pos = [], 0
    while pos < len(data):
        end = _line_end(data, pos)
        lines.append(decode(data[pos:end]))
        pos = end
    return lines


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
        old = self.current or b""
        label = self.target.path
        before = "a" + label if self.current is not None else "/dev/null"
        out = bytearray(encode("--- %s\n+++ b%s\n" % (before, label)))
        try:
            if isinstance(self.wanted, Spliced) and self.wanted.base is old:
                changes = _spliced_changes(self.wanted)
            else:
                changes = _compared_changes(old, as_bytes(self.wanted))
            _InPlaceDiff(out, old).write(changes)
            return decode(out)
        except _LineCountsDiffer:
            del out
        import difflib  # only for a change of line count, which no writer makes today
        lines = difflib.unified_diff(_split_lines(old), _split_lines(as_bytes(self.wanted)),
                                     before, "b" + label)
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
            self.write(ctx, plan)
        # The diff is built only if the report shows it (--json, --verbose, --dry-run).
        return Result(self.id, Status.CHANGED, "%s %s" % (verb, self.target.path),
                      detail=plan.notes, diff=lambda: plan.diff, data=plan.data)

    def write(self, ctx, plan):
        """Put a changed plan on disk (apply calls it, never in a dry run)."""
        fileio.write_file(ctx, self.target, plan.wanted, planned_from=plan.current)

    def run(self, ctx):
        return self.apply(ctx, self.plan(fileio.read_bytes(ctx, self.target.path)))
