"""ansible-lint's production profile finds nothing in the role and the playbooks, offline (no
Galaxy: --offline), and does find what it should in a role with a wrong task."""
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ANSIBLE = os.path.join(REPO, "packaging", "ansible")
TARGETS = ("roles/lbenroll", "lbenroll.yml", "audit.yml")


def ansible_lint(directory):
    bin_dir = os.path.dirname(sys.executable)
    program = os.path.join(bin_dir, "ansible-lint")
    if not os.path.exists(program):
        pytest.fail("ansible-lint is not installed next to %s (pip install ansible-lint)"
                    % sys.executable, pytrace=False)
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""),
               NO_COLOR="1", ANSIBLE_NOCOLOR="1")
    return subprocess.run([program, "--offline", "--profile", "production", "--nocolor"]
                          + list(TARGETS), cwd=directory, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=600)


def test_role_and_playbooks_pass_the_production_profile():
    proc = ansible_lint(ANSIBLE)
    assert proc.returncode == 0, proc.stdout
    assert "Profile 'production' was required, and it passed" in proc.stdout


def test_a_wrong_task_fails_the_profile(tmp_path):
    copy = tmp_path / "ansible"
    shutil.copytree(ANSIBLE, str(copy))
    with open(str(copy / "roles" / "lbenroll" / "tasks" / "main.yml"), "a") as f:
        f.write("\n- name: Ask systemd\n  ansible.builtin.command: systemctl is-enabled foo\n")
    proc = ansible_lint(str(copy))
    assert proc.returncode != 0
    assert "command-instead-of-module" in proc.stdout and "no-changed-when" in proc.stdout
