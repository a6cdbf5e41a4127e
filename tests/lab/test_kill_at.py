"""LAB_KILL_AT (bin/lab-kill-at, Sandbox.run(kill_at=...)): SIGKILL lbenroll inside a command.

A dummy `lbenroll` package (run as `python3 -m lbenroll`, like the real one) runs the commands it
is given one after the other, as lbenroll's runner does (output captured), and appends a line to
a progress file after each; so the file tells which commands lbenroll saw finish.
"""
import json
import os
import subprocess
import sys

import pytest

from tests.lab.daemon import LabError
from tests.lab.sandbox import lab_script

DUMMY_MAIN = '''\
import json, subprocess, sys
commands, progress = json.loads(sys.argv[1]), sys.argv[2]
for argv in commands:
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with open(progress, "a") as f:
        f.write("%s %d\\n" % (argv[0], proc.returncode))
print("lbenroll done")
'''
RHSM_CONF = "/etc/rhsm/rhsm.conf"
SUBMAN_LOG = "/var/log/rhsm/lab-subman.jsonl"


@pytest.fixture
def dummy(tmp_path):
    """Run the dummy lbenroll in a sandbox: dummy(box, commands, **run_kwargs) -> (proc, lines
    of the progress file). tmp_path is below /tmp, which sandboxes share with the host."""
    package = tmp_path / "dummy" / "lbenroll"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(DUMMY_MAIN)
    progress = tmp_path / "progress"

    def run(box, commands, **kwargs):
        if progress.exists():
            progress.unlink()
        proc = box.run(["/usr/bin/python3", "-m", "lbenroll", json.dumps(commands),
                        str(progress)], env={"PYTHONPATH": str(tmp_path / "dummy")}, **kwargs)
        lines = progress.read_text().splitlines() if progress.exists() else []
        return proc, lines

    return run


def subman_calls(box):
    if not box.exists(SUBMAN_LOG):
        return []
    return [json.loads(line)["argv"] for line in box.read_text(SUBMAN_LOG).splitlines()]


# --- the spec --------------------------------------------------------------------------------

def test_spec_parsing_and_matching():
    helper = lab_script("lab-kill-at")
    assert helper.parse("subscription-manager register:before") == (
        "subscription-manager", ["register"], "before", 1)
    assert helper.parse("rpm -Uvh:after#2") == ("rpm", ["-Uvh"], "after", 2)
    assert helper.parse(" update-ca-trust ") == ("update-ca-trust", [], "before", 1)
    for bad in ("", ":after", "rpm:later", "rpm:after#0", "rpm:after#x"):
        with pytest.raises(helper.SpecError):
            helper.parse(bad)
    assert helper.matches("subscription-manager", ["config", "--server.hostname"],
                          "/usr/sbin/subscription-manager",
                          ["config", "--server.hostname=lb.example.test"])
    assert not helper.matches("rpm", ["-e"], "rpm", ["-q", "-e-not"])
    assert not helper.matches("rpm", [], "rpm2cpio", [])
    assert helper.is_lbenroll(["/usr/bin/python3", "-m", "lbenroll", "--json"])
    assert helper.is_lbenroll(["/usr/bin/lbenroll"])
    assert helper.is_lbenroll(["python3.11", "/opt/bin/lbenroll", "--remove"])
    assert not helper.is_lbenroll(["rpm", "-q", "lbenroll"])


# --- in a sandbox ----------------------------------------------------------------------------

def test_without_kill_at_the_wrappers_are_inert(bare_sandbox, dummy):
    box = bare_sandbox()
    proc, progress = dummy(box, [["rpm", "--eval", "%{_dbpath}"],
                                 ["subscription-manager", "config", "--server.port=8443"],
                                 ["systemctl", "try-restart", "yggdrasil"],
                                 ["update-ca-trust", "extract"]])
    assert (proc.returncode, proc.stdout) == (0, "lbenroll done\n"), proc.stderr
    assert proc.kill is None
    assert progress == ["rpm 0", "subscription-manager 0", "systemctl 0", "update-ca-trust 0"]
    assert box.read_text("/usr/sbin/rpm").startswith("#!/bin/sh\n")
    # A spec nothing matches changes nothing either.
    proc, progress = dummy(box, [["rpm", "--eval", "%{_dbpath}"]], kill_at="dnf install:before")
    assert (proc.returncode, proc.kill, progress) == (0, None, ["rpm 0"])


def test_before_kills_lbenroll_and_the_command_never_runs(bare_sandbox, dummy):
    box = bare_sandbox()
    original = box.read(RHSM_CONF)
    proc, progress = dummy(box, [["subscription-manager", "config",
                                  "--server.hostname=killed.example.test"]],
                           kill_at="subscription-manager config:before")
    assert proc.returncode == -9
    assert progress == [] and "lbenroll done" not in proc.stdout
    assert box.read(RHSM_CONF) == original
    assert subman_calls(box) == []
    assert proc.kill["when"] == "before" and proc.kill["occurrence"] == 1
    assert proc.kill["program"] == "subscription-manager"
    assert proc.kill["args"] == ["config", "--server.hostname=killed.example.test"]
    assert proc.kill["cmdline"][1:3] == ["-m", "lbenroll"]


def test_after_kills_lbenroll_once_the_command_has_finished(bare_sandbox, dummy):
    box = bare_sandbox()
    proc, progress = dummy(box, [["subscription-manager", "config",
                                  "--server.hostname=after.example.test"],
                                 ["rpm", "--eval", "%{_dbpath}"]],
                           kill_at="subscription-manager config:after")
    assert (proc.returncode, progress) == (-9, [])
    assert "hostname = after.example.test" in box.read_text(RHSM_CONF)
    assert subman_calls(box) == [["config", "--server.hostname=after.example.test"]]
    assert proc.kill["when"] == "after"


def test_occurrence_counts_matching_runs_of_wrapped_host_programs(bare_sandbox, dummy):
    box = bare_sandbox()
    eval_dbpath = ["rpm", "--eval", "%{_dbpath}"]
    proc, progress = dummy(box, [eval_dbpath, ["rpm", "--version"], eval_dbpath, eval_dbpath],
                           kill_at="rpm --eval:after#2")
    assert proc.returncode == -9
    assert progress == ["rpm 0", "rpm 0"]  # the first --eval and --version, not the second --eval
    assert (proc.kill["program"], proc.kill["occurrence"]) == ("rpm", 2)


def test_the_victim_is_found_above_intermediate_processes(bare_sandbox, dummy):
    box = bare_sandbox()
    proc, progress = dummy(box, [["sh", "-c", "systemctl try-restart yggdrasil; exit 3"]],
                           kill_at="systemctl try-restart:before")
    assert (proc.returncode, progress) == (-9, [])
    assert "try-restart" not in (box.read_text("/var/log/lab-systemctl.log")
                                 if box.exists("/var/log/lab-systemctl.log") else "")
    proc, progress = dummy(box, [["sh", "-c", "update-ca-trust extract"]],
                           kill_at="update-ca-trust extract:after")
    assert (proc.returncode, progress) == (-9, [])
    assert proc.kill["program"] == "update-ca-trust"


def test_run_returns_once_the_orphaned_command_has_finished(bare_sandbox, dummy, tmp_path):
    """Like rpm going on with its %post after lbenroll died: run() waits for it."""
    box = bare_sandbox()
    late = tmp_path / "late"
    proc, progress = dummy(box, [["sh", "-c", "systemctl daemon-reload; sleep 0.3; "
                                              "echo finished > %s" % late]],
                           kill_at="systemctl daemon-reload:after")
    assert (proc.returncode, progress) == (-9, [])
    assert late.read_text() == "finished\n"


def test_kill_target_parent_kills_any_parent(bare_sandbox):
    box = bare_sandbox()
    proc = box.run(["sh", "-c", "rpm --eval %{_dbpath}; echo survived"], kill_at="rpm:after",
                   kill_target="parent")
    assert proc.returncode == -9
    assert proc.stdout == "/var/lib/rpm\n"
    assert proc.kill["cmdline"][:2] == ["sh", "-c"]


def state_dirs():
    return {n for n in os.listdir("/tmp") if n.startswith("lab-kill-at-")}


def test_errors_raise_lab_error(bare_sandbox):
    box = bare_sandbox()
    before = state_dirs()
    with pytest.raises(LabError, match="bad moment"):
        box.run(["true"], kill_at="rpm:later")
    # No lbenroll above the command: it is not run, and the test learns why.
    with pytest.raises(LabError, match="no lbenroll process"):
        box.run(["rpm", "--eval", "%{_dbpath}"], kill_at="rpm:before")
    assert state_dirs() <= before  # run() removes its state directory


def test_wrapper_program_runs_the_real_one_when_not_matching(tmp_path):
    helper = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin", "lab-kill-at")
    env = dict(os.environ, LAB_KILL_AT="rpm -e:before", LAB_KILL_AT_DIR=str(tmp_path))
    proc = subprocess.run([sys.executable, helper, "echo", "/bin/echo", "hello"], env=env,
                          capture_output=True, text=True)
    assert (proc.returncode, proc.stdout) == (0, "hello\n")
    assert not (tmp_path / "count").exists()
