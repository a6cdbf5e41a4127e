"""Takes lbenroll's own edits out of a file that others edited too: a line-based three-way revert.

The rule, for --remove and for a rollback alike: lbenroll's edits are the line hunks that turn
the copy from before it (base) into what it wrote (ours). Each hunk is undone in the file as it
is now (theirs) only where theirs still holds exactly lbenroll's lines of that hunk, in one
piece, and, for lines lbenroll deleted, where their two neighbours still stand side by side.
Every other line of theirs (a comment or a key someone added, a value someone changed that
lbenroll never touched) stays as it is. If any hunk cannot be found so, nothing is reverted:
the caller leaves the file alone and says what to do. Lines split at \\n only, bytes compared
exactly, so a file with bytes of any encoding comes back unchanged where lbenroll did not edit.
"""
import difflib


def _lines(data):
    """Lines with their line breaks, split at \\n only, as diff(1) and patch(1) split them."""
    lines, pos = [], 0
    while pos < len(data):
        end = data.find(b"\n", pos)
        end = len(data) if end < 0 else end + 1
        lines.append(data[pos:end])
        pos = end
    return lines


# Above this many lines in any of the three, the revert is not tried (the file is left alone):
# difflib's matcher is quadratic in the worst case, and the files lbenroll edits in place are a
# few hundred lines at most. redhat.repo, the one large file, goes back whole (RESTORE_FILES).
MAX_LINES = 2000


def _blocks(a, b):
    """Matching blocks (i, j, size) of two line lists, in order, ending with (len a, len b, 0):
    the common head and tail taken off first, so that only the changed middle goes through
    difflib. autojunk is off: on over 200 lines difflib would otherwise ignore frequent lines
    (blank lines, "enabled = 1") and could anchor a hunk in the wrong place."""
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    blocks = [(0, 0, head)] if head else []
    middle = difflib.SequenceMatcher(None, a[head:len(a) - tail], b[head:len(b) - tail],
                                     autojunk=False)
    blocks += [(i + head, j + head, size) for i, j, size in middle.get_matching_blocks() if size]
    if tail:
        blocks.append((len(a) - tail, len(b) - tail, tail))
    return blocks + [(len(a), len(b), 0)]


def _hunks(blocks):
    """(i1, i2, j1, j2) for each stretch between two matching blocks: a[i1:i2] became b[j1:j2]."""
    i = j = 0
    for block_i, block_j, size in blocks:
        if i < block_i or j < block_j:
            yield i, block_i, j, block_j
        i, j = block_i + size, block_j + size


def revert(base, ours, theirs):
    """theirs with lbenroll's edits (base -> ours) taken out and every other edit kept; None
    when that cannot be done safely (see the module's rule). base, ours, theirs are bytes."""
    base_lines, our_lines, their_lines = _lines(base), _lines(ours), _lines(theirs)
    if max(len(base_lines), len(our_lines), len(their_lines)) > MAX_LINES:
        return None
    where = {}  # index of a line of ours -> index of the same line in theirs
    for start, their_start, size in _blocks(our_lines, their_lines):
        for offset in range(size):
            where[start + offset] = their_start + offset
    edits = []  # (start, end in theirs, the base lines that go there instead)
    for i1, i2, j1, j2 in _hunks(_blocks(base_lines, our_lines)):
        if j2 > j1:  # lbenroll wrote our_lines[j1:j2]: still there, in one piece?
            found = [where.get(j) for j in range(j1, j2)]
            if None in found or found != list(range(found[0], found[0] + j2 - j1)):
                return None
            start, end = found[0], found[-1] + 1
        else:  # lbenroll deleted base_lines[i1:i2]: between the same two lines again
            before = where.get(j1 - 1) if j1 > 0 else -1
            after = where.get(j1) if j1 < len(our_lines) else len(their_lines)
            if before is None or after is None or after != before + 1:
                return None
            start = end = after
        edits.append((start, end, base_lines[i1:i2]))
    for start, end, lines in reversed(edits):
        their_lines[start:end] = lines
    if any(not line.endswith(b"\n") for line in their_lines[:-1]):
        return None  # a last line without its line break would run into the next one
    return b"".join(their_lines)
