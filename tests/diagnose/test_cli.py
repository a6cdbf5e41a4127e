import json

import pytest
from click.testing import CliRunner

from lbenroll.diagnose import cli, diagnosis
from lbenroll.diagnose.verdicts import failed, passed
from tests.diagnose.conftest import LB

SECRET = "pa55-w0rd"


@pytest.fixture
def captured(monkeypatch):
    """diagnosis.run replaced: records its settings; one result quotes the password."""
    seen = {}

    def run(settings, ctx):
        seen["settings"], seen["root"] = settings, ctx.root
        found = diagnosis.Diagnosis(settings.balancer)
        found.results = [passed("BALANCER_ADDRESS", LB, "ok"),
                         failed("PROXY_SOURCE", LB, "login with %s refused" % SECRET, "fix")]
        found.duration = 0.1
        return found
    monkeypatch.setattr(diagnosis, "run", run)
    return seen


def invoke(args, env=None):
    return CliRunner().invoke(cli.command, args, env=env or {})


def test_the_password_from_the_environment_is_used_and_never_printed(captured):
    result = invoke(["--server", LB, "--foreman", "foreman.example.test", "--login", "admin",
                     "--json"], env={"LBENROLL_PASSWORD": SECRET})
    assert result.exit_code == 1, result.output
    assert captured["settings"].password == SECRET
    assert SECRET not in result.output
    assert json.loads(result.output)["results"][1]["summary"] == "login with ****** refused"


def test_the_password_file_gives_its_first_line(captured, tmp_path):
    path = tmp_path / "password"
    path.write_text(SECRET + "\nignored\n")
    invoke(["--server", LB, "--foreman", "f.example.test", "-l", "admin", "--password-file",
            str(path)])
    assert captured["settings"].password == SECRET


@pytest.mark.parametrize("args, message", [
    (["--login", "admin", "--password", "x"], "--login needs --foreman"),
    (["--foreman", "f.example.test"], "--foreman needs --login"),
    (["--foreman", "f.example.test", "--login", "admin"], "--login needs a password"),
    (["--ca-fingerprint", "abc"], "is not a SHA-256 fingerprint"),
    (["--timeout", "0"], "-t/--timeout: 0 is not a positive number of seconds"),
    (["--timeout", "2.5"], "-t/--timeout: '2.5' is not a whole number"),
    (["--server", "bad name"], "-s/--server: 'bad name' is not a host name"),
    (["--root", "/no/such/dir"], "is not an existing directory"),
])
def test_bad_options_exit_2_before_anything_runs(captured, args, message):
    result = invoke(["--server", LB] + args)
    assert result.exit_code == 2 and message in result.output
    assert "settings" not in captured


def test_options_reach_the_diagnosis(captured, tmp_path):
    fingerprint = ":".join(["AB"] * 32)
    invoke(["--server", LB, "--proxies", "proxy01,proxy02", "--timeout", "2", "--root",
            str(tmp_path), "--ca-fingerprint", fingerprint])
    settings = captured["settings"]
    assert (settings.proxies, settings.timeout, settings.ca_fingerprint) == (
        "proxy01,proxy02", 2, "ab" * 32)
    assert captured["root"] == str(tmp_path)


def test_the_subcommand_is_registered():
    from lbenroll import cli as main_cli
    assert main_cli.subcommand("diagnose") is cli.command
