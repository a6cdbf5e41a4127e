import difflib
import random
import re

import pytest

from lbenroll.writers.base import Plan, Spliced, Target, decode

TARGET = Target("/etc/x.conf", 0o644, "root", "root", "test")


def difflib_diff(old, new):
    lines = difflib.unified_diff(old, new, "a/etc/x.conf", "b/etc/x.conf")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                   for line in lines)


@pytest.mark.parametrize("seed_value", range(300))
def test_in_place_diff_is_exactly_difflibs(seed_value):
    rng = random.Random(seed_value)
    old = ["line %d\n" % i for i in range(rng.randint(1, 60))]
    new = list(old)
    for _ in range(rng.randint(1, 8)):
        new[rng.randrange(len(new))] = "changed %d\n" % rng.randint(0, 9)
    if rng.random() < 0.2:
        old[-1], new[-1] = old[-1].rstrip("\n"), new[-1].rstrip("\n")
    plan = Plan(TARGET, "".join(old).encode(), "".join(new).encode())
    assert plan.diff == difflib_diff(old, new)


def test_new_file_diff_is_against_dev_null():
    plan = Plan(TARGET, None, b"[agent]\nserver = lb\n")
    assert plan.diff.startswith("--- /dev/null\n+++ b/etc/x.conf\n")


def test_unchanged_plan_has_no_diff():
    assert Plan(TARGET, b"same\n", b"same\n").diff == ""
    assert not Plan(TARGET, b"same\n", None).changed


def spliced_pair(rng):
    """(old lines, new lines, Spliced) with values edited in place, several edits on some lines."""
    old = ["key%d = proxy0%d.example.test/path %d\n" % (i, i % 3, i)
           for i in range(rng.randint(1, 80))]
    if rng.random() < 0.2:
        old[-1] = old[-1].rstrip("\n")
    base = "".join(old).encode()
    edits, offset = [], 0
    for line in old:
        if rng.random() < 0.3:
            at = line.index("proxy0")
            edits.append((offset + at, offset + at + len("proxy00"), b"lb"))
            if rng.random() < 0.5:  # a second edit on the same line
                at = line.index("path")
                edits.append((offset + at, offset + at + 4, b"PATH"))
        offset += len(line.encode())
    if not edits:
        edits.append((0, 3, b"KEY"))
    spliced = Spliced(base, edits)
    return old, decode(spliced.join()).splitlines(True), spliced


@pytest.mark.parametrize("seed_value", range(200))
def test_spliced_diff_is_exactly_difflibs(seed_value):
    old, new, spliced = spliced_pair(random.Random(seed_value))
    plan = Plan(TARGET, spliced.base, spliced)
    assert plan.diff == difflib_diff(old, new)
    assert Plan(TARGET, spliced.base, spliced.join()).diff == plan.diff


@pytest.mark.parametrize("old, new", [
    (b"a\nb\nc\n", b"a\nb\nc\nd\n"),  # a line added
    (b"a\nb\nc\n", b"a\nc\n"),  # a line removed
    (b"a\nb", b"a\nb\n"),  # a line break added at the end
    (b"a\n\x0cb\r\nc\n", b"a\n\x0cB\r\nc\nd\n"),  # split at \n only, as diff(1) does
])
def test_line_count_changes_fall_back_to_difflib(old, new):
    def lines(data):
        return [decode(line) for line in re.findall(b"[^\\n]*\\n|[^\\n]+$", data)]
    assert Plan(TARGET, old, new).diff == difflib_diff(lines(old), lines(new))


def test_an_edit_that_adds_a_line_falls_back_to_difflib():
    spliced = Spliced(b"a = 1\nb = 2\n", [(4, 5, b"1\nc = 3")])
    assert Plan(TARGET, spliced.base, spliced).diff == difflib_diff(
        ["a = 1\n", "b = 2\n"], ["a = 1\n", "c = 3\n", "b = 2\n"])


def test_bytes_that_are_not_utf8_round_trip_through_the_diff():
    old, new = b"name = caf\xe9\nurl = a\n", b"name = caf\xe9\nurl = b\n"
    diff = Plan(TARGET, old, new).diff
    assert diff == difflib_diff([decode(b"name = caf\xe9\n"), "url = a\n"],
                                [decode(b"name = caf\xe9\n"), "url = b\n"])
    assert diff.encode("utf-8", "surrogateescape").count(b"caf\xe9") == 1


def test_a_spliced_from_other_bytes_is_compared_as_bytes():
    spliced = Spliced(b"a = 1\nb = 2\n", [(10, 11, b"3")])
    plan = Plan(TARGET, bytes(bytearray(b"a = 1\nb = 2\n")), spliced)  # equal, not the same
    assert plan.diff == difflib_diff(["a = 1\n", "b = 2\n"], ["a = 1\n", "b = 3\n"])
