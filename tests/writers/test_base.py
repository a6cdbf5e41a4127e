import difflib
import random

import pytest

from lbenroll.writers.base import Plan, Target

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
