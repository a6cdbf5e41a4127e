"""The installed entry point (cli.console, as `python -m lbenroll` and the console script run
it): the outcome's exit status and every byte of output, though the process skips the
interpreter's teardown."""
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "lbenroll"] + list(args), cwd=REPO,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, **kwargs)


def test_help_reaches_a_pipe_whole_with_status_0():
    proc = run("--help")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Usage: lbenroll")
    # Its last line is the exit-code table's last row: nothing was lost at the exit.
    assert proc.stdout.rstrip().splitlines()[-1].split()[0] == "78"


def test_a_usage_error_keeps_its_status_and_message():
    proc = run("--no-such-option")
    assert proc.returncode == 2
    assert "--no-such-option" in proc.stderr and "Traceback" not in proc.stderr


def test_a_reader_that_goes_away_costs_no_traceback():
    # `lbenroll --help | head -1`: the pipe closes before the help is written out.
    proc = subprocess.run("%s -m lbenroll --help | head -1" % sys.executable, shell=True,
                          cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True)
    assert proc.stdout.startswith("Usage: lbenroll")
    assert "Traceback" not in proc.stderr
