"""The command runner's environment: an allow-list, a fixed PATH, the C locale, no secrets."""
import locale
import os
import subprocess

import pytest

from lbenroll import runner
from lbenroll.redact import Redactor

SECRET = "s3cr3t-Pa55"
# What root's environment may hold when lbenroll starts: from a login shell, sudo, a kickstart
# %post or an Ansible task.
PARENT = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/root/bin",
    "HOME": "/home/alice", "USER": "root", "TERM": "xterm", "SHELL": "/bin/bash",
    "LANG": "de_DE.UTF-8", "LANGUAGE": "de", "LC_MESSAGES": "de_DE.UTF-8", "LC_ALL": "",
    "LBENROLL_PASSWORD": SECRET, "LBENROLL_TEST_KILL_BEFORE": "REGISTER",
    "FOREMAN_TOKEN": SECRET, "LD_PRELOAD": "/tmp/evil.so", "PYTHONPATH": "/tmp/evil",
    "TMPDIR": "/tmp/alice", "https_proxy": "http://proxy.example.test:3128",
    "NO_PROXY": "localhost,.example.test",
}


def test_a_command_gets_the_allow_list_and_nothing_else():
    env = runner.child_environment(PARENT, "C.UTF-8", "/root")
    assert env == {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LC_ALL": "C.UTF-8",
                   "https_proxy": "http://proxy.example.test:3128",
                   "NO_PROXY": "localhost,.example.test"}
    assert SECRET not in repr(env)


def test_the_fallback_locale_is_given_as_found():
    assert runner.child_environment({}, "C", "/")["LC_ALL"] == "C"


def test_a_callers_variables_go_over_the_minimal_environment():
    env = runner.child_environment(PARENT, "C.UTF-8", "/root",
                                   {"RPM_CONFIGDIR": "/x", "LC_ALL": "C"})
    assert env["RPM_CONFIGDIR"] == "/x" and env["LC_ALL"] == "C"
    assert env["PATH"] == runner.CHILD_PATH


def test_a_caller_cannot_hand_on_lbenroll_s_own_variables():
    with pytest.raises(ValueError, match="LBENROLL_PASSWORD"):
        runner.child_environment(PARENT, "C.UTF-8", "/root", {"LBENROLL_PASSWORD": SECRET})


class Recorded(object):
    def __init__(self):
        self.calls = []

    def __call__(self, argv, **kwargs):
        self.calls.append((argv, kwargs))
        return subprocess.CompletedProcess(argv, 0, "Nothing to do.\n", "")


@pytest.fixture
def recorded(monkeypatch):
    fake = Recorded()
    monkeypatch.setattr(runner.subprocess, "run", fake)
    monkeypatch.setattr(os, "environ", dict(PARENT))
    return fake


def test_run_starts_every_command_in_the_minimal_environment(recorded, monkeypatch):
    lookups = []
    monkeypatch.setattr(runner, "c_locale", lambda: lookups.append("locale") or "C")
    monkeypatch.setattr(runner, "root_home", lambda: "/root")
    run = runner.Runner(Redactor([SECRET]))
    run.run(["dnf", "-y", "install", "katello-host-tools"], changes_host=True)
    run.run(["subscription-manager", "identity"], env={"RHSM_X": "1"})
    (_, first), (_, second) = recorded.calls
    assert first["env"] == {"PATH": runner.CHILD_PATH, "HOME": "/root", "LC_ALL": "C",
                            "https_proxy": PARENT["https_proxy"], "NO_PROXY": PARENT["NO_PROXY"]}
    assert second["env"] == dict(first["env"], RHSM_X="1")
    assert lookups == ["locale"]  # once per run, not once per command


def test_a_dry_run_records_a_host_changing_command_without_starting_it(recorded):
    run = runner.Runner(Redactor([SECRET]), dry_run=True)
    assert run.run(["rpm", "-e", "katello-ca-consumer-x"], changes_host=True) is None
    assert recorded.calls == []


def test_the_c_locale_is_asked_of_glibc_and_lbenroll_s_own_is_put_back(monkeypatch):
    current = {"value": "LC_CTYPE=de_DE.UTF-8;LC_NUMERIC=C"}
    asked = []

    def setlocale(category, value=None):
        assert category == locale.LC_ALL
        if value is None:
            return current["value"]
        asked.append(value)
        if value == "C.UTF-8" and missing:
            raise locale.Error("unsupported locale setting")
        current["value"] = value
        return value

    monkeypatch.setattr(runner.locale, "setlocale", setlocale)
    missing = False
    assert runner.c_locale() == "C.UTF-8"
    assert current["value"] == "LC_CTYPE=de_DE.UTF-8;LC_NUMERIC=C"
    missing = True
    assert runner.c_locale() == "C"
    assert current["value"] == "LC_CTYPE=de_DE.UTF-8;LC_NUMERIC=C"
    assert asked == ["C.UTF-8", "LC_CTYPE=de_DE.UTF-8;LC_NUMERIC=C"] * 2


def test_this_host_has_a_c_locale_and_keeps_its_own():
    before = locale.setlocale(locale.LC_ALL)
    assert runner.c_locale() in ("C.UTF-8", "C")
    assert locale.setlocale(locale.LC_ALL) == before


def test_home_is_root_s_from_the_password_database(monkeypatch):
    monkeypatch.setattr(runner.os, "geteuid", lambda: 0)
    assert runner.root_home() == "/root"
    monkeypatch.setattr(runner.pwd, "getpwuid", lambda uid: (_ for _ in ()).throw(KeyError(uid)))
    assert runner.root_home() == "/"


@pytest.mark.parametrize("secret", ["pa'ss word", 'a"b c', "plain-secret", "$(rm -rf /)"])
def test_a_shown_command_masks_a_secret_whatever_quoting_it_needs(secret):
    shown = runner.Runner(Redactor([secret])).display(
        ["tool", "--password=" + secret, secret, "--name", "host 1"])
    assert shown == "tool --password=****** ****** --name 'host 1'"
