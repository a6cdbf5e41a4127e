"""Shared checks for writer tests: golden files, the plan/apply/plan cycle, preserved lines."""
import io
import os
import random

from lbenroll import fileio
from lbenroll.results import Status
from tests.conftest import DATA, seed


def data(*parts):
    """A golden file's text, read byte for byte (no newline translation)."""
    with io.open(os.path.join(DATA, *parts), encoding="utf-8", newline="") as f:
        return f.read()


def render_text(writer, text):
    """The text the writer wants for text, or None when it leaves the file alone."""
    rendered = writer.render(text)
    return None if rendered is None else rendered[0]


def assert_cycle(writer, ctx, root, text, expected):
    """Seed text, run the writer for real, get expected bytes; a second run changes nothing."""
    if text is not None:
        seed(root, {writer.target.path: text.encode("utf-8")})
    first = writer.run(ctx)
    assert first.status == (Status.UNCHANGED if text == expected else Status.CHANGED)
    assert fileio.read_bytes(ctx, writer.target.path) == expected.encode("utf-8")
    again = writer.plan(fileio.read_bytes(ctx, writer.target.path))
    assert not again.changed and again.diff == ""
    assert writer.run(ctx).status == Status.UNCHANGED
    return first


def crlf(text):
    return text.replace("\n", "\r\n")


def unrelated_line(rng):
    """A random line the writers do not own: comments, blanks, unknown keys, odd spacing."""
    word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz_") for _ in range(rng.randint(1, 10)))
    value = rng.choice(["", "1", "a, b, c", "%(ca_cert_dir)sother.pem", "x = y", "http://h:1/p"])
    return rng.choice([
        "# %s %s" % (word, value),
        "; %s" % word,
        "",
        "\t# indented comment %s" % word,
        "x_%s = %s" % (word, value),
        "x_%s=%s" % (word, value),
        "x_%s   :   %s  " % (word, value),
    ])


def sprinkle(base, expected, seed_value, count=12):
    """Insert the same random unrelated lines at the same places in two equally long texts.

    A line never goes between a key and its indented continuation lines (it would end them).
    """
    rng = random.Random(seed_value)
    base_lines, expected_lines = base.split("\n"), expected.split("\n")
    assert len(base_lines) == len(expected_lines)
    for _ in range(count):
        line = unrelated_line(rng)
        at = rng.randint(0, len(base_lines) - 1)
        while base_lines[at][:1] in (" ", "\t"):
            at += 1
        base_lines.insert(at, line)
        expected_lines.insert(at, line)
    return "\n".join(base_lines), "\n".join(expected_lines)
