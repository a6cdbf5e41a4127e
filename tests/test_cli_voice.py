"""One voice: every usage error of every command, click's own included, is "lbenroll: error:
<what>" and "  fix: <how>" with exit 2; the commands share the enrollment's checks and words;
every command's --help ends with its exit status, made from the ExitCode enum."""
import os
import re
import socket

import pytest

from lbenroll import cli, hoststate
from lbenroll.errors import EXIT_CODE_MEANINGS, ExitCode

LB = "smartproxy.example.test"
ONE_VOICE = re.compile(r"\Albenroll: error: \S[^\n]*\n  fix: \S[^\n]*\n\Z")


@pytest.fixture(autouse=True)
def registered_host(monkeypatch):
    """The host as the enrollment sees it: registered, so no key or host group is needed and
    every check of the command line is reached; its own name without a lookup."""
    monkeypatch.setattr(hoststate, "read", lambda root: hoststate.HostState("/", None, True))
    monkeypatch.setattr(socket, "getfqdn", lambda *args: "client.example.test")


@pytest.fixture(autouse=True)
def nothing_runs(monkeypatch):
    """Neither an enrollment nor a diagnosis may start: each case here is refused before."""
    def refuse(*args, **kwargs):
        raise AssertionError("a refused command line ran")
    from lbenroll import app
    from lbenroll.diagnose import diagnosis
    monkeypatch.setattr(app, "run", refuse)
    monkeypatch.setattr(diagnosis, "run", refuse)


def invoke(capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


CASES = [
    # click checks these values itself: a bad value, an unknown option, a missing value
    ("a whole number", ["-s", LB, "--timeout", "abc"]),
    ("a choice", ["-s", LB, "--download-method", "ftp"]),
    ("an unknown option", ["-s", LB, "--no-such-option"]),
    ("a missing value", ["-s"]),
    ("an extra argument", ["-s", LB, "extra"]),
    # lbenroll checks these
    ("no server", ["--skip", "foreman"]),
    ("a bad server", ["-s", "bad name", "--skip", "foreman"]),
    ("a zero timeout", ["-s", LB, "--skip", "foreman", "-t", "0"]),
    ("a missing root", ["-s", LB, "--skip", "foreman", "--root", "/no/such/dir"]),
    ("repair: an unknown option", ["repair", "--no-such-option"]),
    ("repair: a missing value", ["repair", "--config"]),
    ("repair: an extra argument", ["repair", "extra"]),
    ("repair: a missing root", ["repair", "--root", "/no/such/dir"]),
    ("diagnose: a whole number", ["diagnose", "-s", LB, "--timeout", "abc"]),
    ("diagnose: an unknown option", ["diagnose", "-s", LB, "--no-such-option"]),
    ("diagnose: a missing value", ["diagnose", "-s"]),
    ("diagnose: a missing file", ["diagnose", "-s", LB, "--password-file", "/no/such/file"]),
    ("diagnose: no server", ["diagnose"]),
    ("diagnose: a bad server", ["diagnose", "-s", "bad name"]),
    ("diagnose: a zero timeout", ["diagnose", "-s", LB, "--timeout", "0"]),
    ("diagnose: a missing root", ["diagnose", "-s", LB, "--root", "/no/such/dir"]),
    ("diagnose: --login alone", ["diagnose", "-s", LB, "--login", "admin", "-p", "x"]),
]


@pytest.mark.parametrize("args", [args for _, args in CASES], ids=[name for name, _ in CASES])
def test_every_usage_error_speaks_with_one_voice(capsys, args):
    code, out, err = invoke(capsys, *args)
    assert (code, out) == (ExitCode.USAGE, "")
    assert ONE_VOICE.match(err), err
    assert "Usage:" not in err and "Error:" not in err


@pytest.mark.parametrize("args, words", [
    (["-s", LB, "--timeout", "abc"], "-t/--timeout: 'abc' is not a whole number\n"
                                     "  fix: give a whole number, e.g. --timeout 900"),
    (["diagnose", "-s", LB, "--timeout", "abc"], "-t/--timeout: 'abc' is not a whole number\n"
                                                 "  fix: give a whole number, e.g. --timeout 5"),
    (["-s", LB, "--download-method", "ftp"], "--download-method: 'ftp' is not a valid choice\n"
                                             "  fix: use one of: http, https"),
    (["-s", LB, "--nope"], "no such option: --nope\n"),
    (["repair", "--nope"], "no such option: --nope\n"
                           "  fix: see 'lbenroll repair --help' for the options"),
    (["diagnose", "-s", LB, "--login", "admin", "-p", "x"],
     "--login needs --foreman (the Foreman server to ask)\n"
     "  fix: add --foreman FQDN, or leave out --login"),
])
def test_click_errors_are_said_in_our_words(capsys, args, words):
    assert words in invoke(capsys, *args)[2]


@pytest.mark.parametrize("option", [["--server", "bad name"], ["--timeout", "0"],
                                    ["--root", "/no/such/dir"], ["--ca-fingerprint", "abc"],
                                    ["--password-file", "/no/such/file"]],
                         ids=lambda option: option[0])
def test_diagnose_refuses_what_the_enrollment_refuses_in_the_same_words(capsys, option):
    enrollment = invoke(capsys, "-s", LB, "--skip", "foreman", *option)
    diagnose = invoke(capsys, "diagnose", "-s", LB, *option)
    assert enrollment[0] == diagnose[0] == ExitCode.USAGE
    what = enrollment[2].splitlines()[0]
    assert diagnose[2].splitlines()[0] == what
    assert enrollment[2].splitlines()[1] == diagnose[2].splitlines()[1].replace(
        "lbenroll diagnose --help", "lbenroll --help")


def test_repair_as_an_ordinary_user_is_refused_like_the_enrollment(capsys, monkeypatch,
                                                                   tmp_path):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    record = str(tmp_path / "lbenroll.conf")  # there is none: it must not even be looked for
    code, out, err = invoke(capsys, "repair", "--config", record)
    assert code == ExitCode.NOPERM == 77
    assert err == ("lbenroll: error: PREFLIGHT: lbenroll must run as root to change this host\n"
                   "  fix: run it with sudo, or use --dry-run to only see the plan\n")
    code, _, err = invoke(capsys, "repair", "--config", record, "--dry-run")
    assert code == ExitCode.USAGE and "%s does not exist" % record in err


def exit_status(help_text):
    """[(code, meaning)] of the help's last section, which must be "Exit status". Click 7 (EL9's)
    follows a row whose meaning wraps with a blank line; click 6 (EL8's) and 8 do not."""
    _, title, rows = help_text.rpartition("\n\nExit status:\n")
    assert title
    assert all(line.startswith("  ") for line in rows.splitlines() if line)  # nothing after it
    return [(int(code), " ".join(meaning.split()))
            for code, meaning in re.findall(r"^  (\d+) +(.*(?:\n {6,}.*)*)", rows, re.M)]


@pytest.mark.parametrize("command", [[], ["repair"], ["diagnose"]], ids=["lbenroll", "repair",
                                                                         "diagnose"])
def test_every_help_ends_with_the_exit_status_from_the_enum(capsys, command):
    code, out, _ = invoke(capsys, *command + ["--help"])
    assert code == 0
    rows = exit_status(out)
    if command == ["diagnose"]:
        from lbenroll.diagnose.cli import EXIT_MEANINGS
        expected = EXIT_MEANINGS
        assert [code for code, _ in rows] == [0, 1, 2, 3, 69, 70]
    else:
        expected = EXIT_CODE_MEANINGS
    assert rows == [(int(code), meaning) for code, meaning in expected]
    assert all(isinstance(code, ExitCode) for code, _ in expected)


# -- issue 19: each value's syntax before what the host's state requires; fixes that fit -------

@pytest.fixture
def fresh_host(monkeypatch):
    """A host that was never enrolled nor registered, and no password from anywhere."""
    from lbenroll import credentials
    monkeypatch.setattr(hoststate, "read", lambda root: hoststate.HostState("/", None, False))
    monkeypatch.delenv(credentials.PASSWORD_ENV, raising=False)
    monkeypatch.setattr(credentials.sys, "stdin", None)


def said(capsys, *args):
    """(what, fix) of a refused command line."""
    code, out, err = invoke(capsys, *args)
    assert (code, out) == (ExitCode.USAGE, ""), err
    assert ONE_VOICE.match(err), err
    what, fix = err.splitlines()
    return what[len("lbenroll: error: "):], fix[len("  fix: "):]


@pytest.mark.parametrize("args", [["--server", "https://x/"], ["--root", "/no/such/dir", "-s", LB],
                                  ["-s", LB, "--password-file", "/no/such/file"],
                                  ["-s", LB, "-t", "0"]],
                         ids=["a URL", "a missing root", "a missing password file", "a timeout"])
def test_a_fresh_host_hears_about_a_bad_value_before_what_registering_needs(
        capsys, fresh_host, args):
    what, fix = said(capsys, *args)
    assert "needed to register" not in what and "-g HOSTGROUP" not in fix


def test_a_url_for_a_server_is_told_the_name_inside_it(capsys, fresh_host):
    assert said(capsys, "--server", "https://x/") == (
        "-s/--server: 'https://x/' is not a host name",
        "give the name only, without a scheme, port or path: -s x")
    assert said(capsys, "--server", "lb.example.test:443", "--skip", "foreman")[1] == (
        "give the name only, without a scheme, port or path: -s lb.example.test")


def test_a_name_with_bad_characters_is_not_told_about_schemes(capsys):
    what, fix = said(capsys, "--server", "bad name!", "--skip", "foreman")
    assert what == "-s/--server: 'bad name!' is not a host name"
    assert fix == ("a host name has only letters, digits, '-', '_' and dots, e.g. "
                   "-s lb.example.com")


def test_new_capsule_on_a_host_never_enrolled_is_told_to_enroll_with_the_command(
        capsys, fresh_host):
    what, fix = said(capsys, "--new-capsule", "-s", "lb2")
    assert what == ("--new-capsule moves an enrolled host, and this host was never enrolled "
                    "(no /etc/lbenroll/lbenroll.conf, no consumer certificate)")
    assert fix == "enroll it instead: lbenroll --server lb2 -o ORG -g HOSTGROUP -a KEY"
    _, fix = said(capsys, "--new-capsule", "-s", "lb2", "--skip", "foreman", "-o", "ACME")
    assert fix == "enroll it instead: lbenroll --server lb2 -o ACME --skip foreman -a KEY"


@pytest.mark.parametrize("command", [[], ["repair"], ["diagnose", "-s", LB]],
                         ids=["lbenroll", "repair", "diagnose"])
def test_a_missing_password_file_and_root_get_one_message_each_with_a_fix_of_their_own(
        capsys, command):
    root_fix = ("give the directory the host's system is mounted on, e.g. --root "
                "/mnt/sysimage, or leave --root out for this host")
    extra = ["-s", LB, "--skip", "foreman"] if not command else []
    assert said(capsys, *command + extra + ["--root", "/no/such/dir"]) == (
        "--root: /no/such/dir is not an existing directory", root_fix)
    if command == ["repair"]:
        return  # repair takes no password
    assert said(capsys, *command + extra + ["--password-file", "/no/such/file"]) == (
        "--password-file: cannot read /no/such/file: No such file or directory",
        "give a file root can read, with the Foreman API password on its first line, or set "
        "LBENROLL_PASSWORD instead")
