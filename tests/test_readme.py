"""The README's tables are checked against the code so they cannot drift."""
import os
import re

from lbenroll import engine
from lbenroll.errors import EXIT_CODE_MEANINGS
from tools import docs

README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")


def readme():
    with open(README) as f:
        return f.read()


def test_exit_status_table_matches_the_enum():
    rows = dict(re.findall(r"^\| (\d+) \| (.+?) \|$", readme(), re.M))
    assert rows == {str(int(code)): meaning for code, meaning in EXIT_CODE_MEANINGS}


def step_ids(heading):
    """The step ids in the first column of the README table whose header row is heading."""
    text = readme()
    table = text[text.index(heading):]
    first_cells = re.findall(r"^\| ([^|]+) \|", table[:table.index("\n\n")], re.M)
    return [i for cell in first_cells for i in re.findall(r"`([A-Z_]+)`", cell)]


def test_every_step_is_documented_in_order():
    assert step_ids("| id | what it does |") == [step.id for step in engine.STEPS]


def test_every_removal_step_is_documented_in_order():
    assert step_ids("| id | what `--remove` does |") == [step.id for step in engine.REMOVE_STEPS]


def test_every_managed_file_is_listed():
    text = readme()
    for target in docs.writer_targets():
        assert "`%s`" % target.path in text


def test_lab_readme_hard_codes_no_checkout_path():
    """Its commands run from wherever the reader cloned the project (issue 19, point 7)."""
    with open(os.path.join(os.path.dirname(README), "tests", "lab", "README.md")) as f:
        text = f.read()
    assert not re.search(r"^\s*cd /", text, re.M)
    assert "/work/" not in text
