"""The README's Troubleshooting section quotes lbenroll's own output: each quoted step or check
exists, and each quoted fix is still what the code says, up to the lab's names and numbers."""
import glob
import os
import re

from lbenroll import engine

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# What varies between runs and hosts in a quoted line: names, numbers, paths, foreign text.
VARIABLE = re.compile(r"\S*example\.test\S*|\b\d+\b|/pulp/\S+")


def section():
    with open(os.path.join(TOP, "README.md")) as f:
        text = f.read()
    return text[text.index("## Troubleshooting"):text.index("\n## ", text.index(
        "## Troubleshooting") + 1)]


def quoted_lines():
    """The lines of lbenroll's output the section quotes (its indented blocks)."""
    return [line.strip() for line in section().splitlines() if line.startswith("    ")]


def source_text():
    """lbenroll's code with string literals split over lines joined again."""
    text = ""
    for path in sorted(glob.glob(os.path.join(TOP, "lbenroll", "**", "*.py"), recursive=True)):
        with open(path) as f:
            text += f.read()
    return re.sub(r"\"\s*\n\s*\(?\s*\"", "", text)


def test_the_section_quotes_five_failures():
    assert section().count("\n**") == 5
    assert len([line for line in quoted_lines() if line.startswith("fix: ")]) == 6


def test_every_quoted_step_or_check_exists():
    code = source_text()
    steps = set(step.id for step in engine.STEPS)
    for line in quoted_lines():
        match = re.match(r"(failed|warning|FAIL) +([A-Z_]+) ", line)
        if match:
            assert match.group(2) in steps or '"%s"' % match.group(2) in code, line


def test_every_quoted_fix_is_what_the_code_says():
    code = source_text()
    for line in quoted_lines():
        if not line.startswith("fix: "):
            continue
        for fragment in VARIABLE.split(line[len("fix: "):]):
            fragment = fragment.strip(" ,;:()")
            if len(fragment) >= 12:
                assert fragment in code, "README quotes a fix the code no longer gives: %r" % (
                    fragment,)
