"""cli.console's exit status: what the interpreter would make of a SystemExit (the subprocess
tests of the entry point are in tests/packaging/test_console.py)."""
import pytest

from lbenroll import cli


@pytest.mark.parametrize("code,status", [(None, 0), (0, 0), (3, 3), (77, 77), (256 + 5, 5)])
def test_status_of_follows_the_interpreter(code, status):
    assert cli.status_of(SystemExit(code)) == status


def test_status_of_a_message_prints_it_and_is_1(capsys):
    assert cli.status_of(SystemExit("lbenroll: gone")) == 1
    assert capsys.readouterr().err == "lbenroll: gone\n"
