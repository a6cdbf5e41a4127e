"""Property tests of lbenroll.ini: any text is read, written back byte for byte, and edited
without an exception; a value set is the value read, and setting it again changes nothing."""
import time

import pytest

from lbenroll.ini import IniDocument, syntax_errors

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import example, given, strategies as st  # noqa: E402

PIECES = ["[server]\n", "[rhsm]\n", "[a]", "[", "]", "\n", "\r\n", "\r", " ", "\t", "=", ":",
          "#", ";", "key", "Key", "hostname = proxy02\n", "port: 8443\n", "  continued\n",
          "\x00", "\x0c", "\x85", "\u2028", "\udcff", "%(x)s"]
texts = st.lists(st.sampled_from(PIECES) | st.text(max_size=6), max_size=40).map("".join)
names = st.text("abcXYZ_-.0", min_size=1, max_size=8)
keys = st.text("abcxyz_-.0", min_size=1, max_size=8)
values = st.text(st.characters(blacklist_categories=("Cs", "Zl", "Zp", "Cc")),
                 max_size=12).map(str.strip)


@given(texts, st.booleans())
def test_any_text_is_read_and_written_back_unchanged(text, continuation):
    doc = IniDocument(text, continuation=continuation)
    assert doc.text() == text
    for section in doc.sections():
        for key, value in doc.items(section):
            assert doc.get(section, key) == value


@given(texts, st.booleans(), names, keys, values)
@example("[a]\n  orphan\n", True, "a", "key", "v")  # used to become key's continuation line
def test_a_value_set_is_read_back_and_setting_it_again_changes_nothing(
        text, continuation, section, key, value):
    doc = IniDocument(text, continuation=continuation)
    doc.set(section, key, value)
    again = IniDocument(doc.text(), continuation=continuation)
    assert again.get(section, key) == value
    assert not again.set(section, key, value)


@given(texts, st.booleans(), names, keys)
def test_a_removed_key_is_gone(text, continuation, section, key):
    doc = IniDocument(text, continuation=continuation)
    doc.remove(section, key)
    assert IniDocument(doc.text(), continuation=continuation).get(section, key) is None


@given(texts, st.booleans(), st.booleans())
def test_syntax_errors_name_lines_of_the_text(text, continuation, keys_before_section):
    lines = text.splitlines()
    for number, line in syntax_errors(text, continuation, keys_before_section):
        assert lines[number - 1] == line


def test_a_line_of_many_blanks_is_read_in_linear_time():
    """The key pattern used to be lazy: quadratic on such a line (20,000 blanks took 4 s)."""
    text = "[server]\nhost" + " " * 100000 + "name = proxy02\nother" + " " * 100000 + "\n"
    started = time.monotonic()
    doc = IniDocument(text)
    assert doc.items("server")[0][1] == "proxy02"
    assert [number for number, _ in syntax_errors(text)] == [3]
    assert time.monotonic() - started < 5
