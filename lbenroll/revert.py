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


def _matcher(a, b):
    # autojunk off: on files over 200 lines difflib would otherwise ignore frequent lines
    # (blank lines, "enabled = 1") and could anchor a hunk in the wrong place.
    return difflib.SequenceMatcher(None, a, b, autojunk=False)


def revert(base, ours, theirs):
    """theirs with lbenroll's edits (base -> ours) taken out and every other edit kept; None
    when that cannot be done safely (see the module's rule). base, ours, theirs are bytes."""
    base_lines, our_lines, their_lines = _lines(base), _lines(ours), _lines(theirs)
    where = {}  # index of a line of ours -> index of the same line in theirs
    for start, their_start, size in _matcher(our_lines, their_lines).get_matching_blocks():
        for offset in range(size):
            where[start + offset] = their_start + offset
    edits = []  # (start, end in theirs, the base lines that go there instead)
    for tag, i1, i2, j1, j2 in _matcher(base_lines, our_lines).get_opcodes():
        if tag == "equal":
            continue
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
