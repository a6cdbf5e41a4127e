"""docs/security.md against the README and the tests: the README's trust model repeats its
guarantees word for word, and every test it names to show one exists."""
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEST_RX = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def read(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as f:
        return f.read()


def guarantees():
    """[(the guarantee's text, whitespace folded, [(test file, test name)])] of security.md."""
    section = read("docs/security.md").split("## Guarantees", 1)[1].split("\n## ", 1)[0]
    found = []
    for bullet in re.split(r"\n- ", section)[1:]:
        text, _, shown = bullet.partition("Shown by:")
        found.append((" ".join(text.split()), TEST_RX.findall(shown)))
    return found


def test_every_guarantee_is_shown_by_tests():
    found = guarantees()
    assert len(found) >= 10
    assert all(tests for _, tests in found), [text[:60] for text, tests in found if not tests]


def test_the_readme_states_each_guarantee_word_for_word():
    readme = " ".join(read("README.md").split())
    missing = [text[:80] for text, _ in guarantees() if "- " + text not in readme]
    assert missing == []


def test_every_test_named_exists():
    missing = []
    for _, tests in guarantees():
        for path, name in tests:
            full = os.path.join(ROOT, path)
            if not os.path.exists(full) or not re.search(r"^def %s\(" % name, read(path), re.M):
                missing.append("%s::%s" % (path, name))
    assert missing == []
