"""The Ansible role, run by ansible-core inside a sandboxed host over a local connection: the first
run installs lbenroll and enrolls (changed), the second changes nothing (ok), because the
enrollment task's changed status is lbenroll's own --json "changed"."""
import json
import os
import re
import sys

import pytest

from tests.e2e import lbenroll_package
from tests.e2e.test_enroll import REPO, RHSM_CONF, rhsm
from tests.lab.lab import ACTIVATION_KEY, BALANCER, ORG

PLAYBOOK = os.path.join(REPO, "packaging", "ansible", "lbenroll.yml")
# Modules run under the host's system Python, the one with dnf's bindings, as on EL hosts.
# ansible_become: the tests run as root and the sandbox has no sudo.
INVENTORY = ("localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3 "
             "ansible_become=false\n")
VENV = "/var/lib/lbenroll-venv"


def el_host(box):
    """What Ansible's facts and modules look for on an EL host, which the lab's sandbox (over a
    Debian host) lacks: the release file (else the facts say Debian and apt) and the repo dir."""
    box.seed("/etc/redhat-release", "Red Hat Enterprise Linux release 9.4 (Plow)\n")
    assert box.run(["mkdir", "-p", "/etc/yum.repos.d"]).returncode == 0
    return box


def ansible_playbook():
    path = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    if not os.path.exists(path):
        pytest.fail("ansible-playbook is not installed next to %s (pip install ansible-core)"
                    % sys.executable, pytrace=False)
    return path


class Play(object):
    """One ansible-playbook run: its output, the play recap and the enrollment task's status."""

    def __init__(self, proc):
        self.proc = proc
        self.output = proc.stdout + proc.stderr
        recap = re.search(r"^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+"
                          r"failed=(\d+)", proc.stdout, re.M)
        assert recap, self.output
        self.ok, self.changed, self.unreachable, self.failed = map(int, recap.groups())
        task = re.search(r"^TASK \[lbenroll : Enroll with lbenroll\][^\n]*\n(\w+): \[localhost\]",
                         proc.stdout, re.M)
        self.enroll = task.group(1) if task else None


def play(box, tmp_path, *args, **host_vars):
    inventory = tmp_path / "inventory"
    inventory.write_text(INVENTORY)
    variables = tmp_path / "vars.json"
    variables.write_text(json.dumps(dict({
        "lbenroll_server": BALANCER, "lbenroll_organization": ORG,
        "lbenroll_activationkey": ACTIVATION_KEY, "lbenroll_fqdn": "client01.example.test",
        "lbenroll_puppet_ca_port": "8141"}, **host_vars)))
    proc = box.run([ansible_playbook(), "-i", str(inventory), "-e", "@%s" % variables,
                    PLAYBOOK] + list(args), env={"ANSIBLE_NOCOLOR": "1"}, timeout=600)
    return Play(proc)


def assert_first_run_enrolls_and_second_is_ok(box, tmp_path, **host_vars):
    first = play(box, tmp_path, **host_vars)
    assert (first.proc.returncode, first.failed, first.enroll) == (0, 0, "changed"), first.output
    assert rhsm(box).get("server", "hostname") == BALANCER
    assert box.exists("/etc/pki/consumer/cert.pem")
    second = play(box, tmp_path, **host_vars)
    assert (second.proc.returncode, second.enroll, second.changed) == (0, "ok", 0), second.output
    for run in (first, second):
        assert ACTIVATION_KEY not in run.output  # no_log, and lbenroll masks it in its report


def test_role_installs_the_rpm_enrolls_once_and_checks_with_dry_run(lab, sandbox, tmp_path):
    box = el_host(sandbox())
    repository = lbenroll_package.rpm_repository(lab)
    assert_first_run_enrolls_and_second_is_ok(box, tmp_path, lbenroll_rpm_repo_url=repository)
    assert box.run(["rpm", "-q", "lbenroll"]).returncode == 0

    drifted = box.read_text(RHSM_CONF).replace(BALANCER, "proxy02.example.test")
    box.seed(RHSM_CONF, drifted)
    check = play(box, tmp_path, "--check", lbenroll_rpm_repo_url=repository)
    assert (check.proc.returncode, check.enroll) == (0, "changed"), check.output
    assert "changed RHSM_CONF would update /etc/rhsm/rhsm.conf" in check.output
    assert box.read_text(RHSM_CONF) == drifted


def test_role_installs_the_wheel_into_a_virtual_environment(lab, sandbox, tmp_path):
    box = el_host(sandbox())
    assert_first_run_enrolls_and_second_is_ok(
        box, tmp_path, lbenroll_install="wheel", lbenroll_wheel=lbenroll_package.wheel(lab),
        lbenroll_venv=VENV, lbenroll_pip_extra_args="--no-index")
    assert box.exists(VENV + "/bin/lbenroll")
