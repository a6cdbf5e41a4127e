"""mandoc -Tlint (style messages included) finds nothing in the man page, subcommands or not."""
import os
import subprocess

from lbenroll import cli
from tests.docs.test_docs import FAKE, REPO
from tools import docs


def lint(path):
    result = subprocess.run(["mandoc", "-Tlint", path], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, universal_newlines=True)
    return result.returncode, result.stdout


def test_the_committed_man_page_is_lint_clean():
    assert lint(os.path.join(REPO, docs.MAN_PAGE)) == (0, "")


def test_a_page_with_a_subcommand_is_lint_clean(tmp_path, monkeypatch):
    monkeypatch.setitem(cli.SUBCOMMANDS, "fake", FAKE)
    path = tmp_path / "lbenroll.8"
    path.write_text(docs.man_page("2024-01-01"))
    assert lint(str(path)) == (0, "")


def test_lint_reports_a_broken_page(tmp_path):
    path = tmp_path / "broken.8"
    path.write_text('.TH BROKEN 8\n.SH NAME\n.PP\n.BOGUS\n')
    code, output = lint(str(path))
    assert code != 0 and "BOGUS" in output
