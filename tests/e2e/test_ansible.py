"""The Ansible role, run by ansible-core inside a sandboxed host over a local connection: the first
run installs lbenroll and enrolls (changed), the second changes nothing (ok), because the
lbenroll task's changed status is lbenroll's own --json "changed". Then the states after the rhc
system role's (present, reconnect to the second balancer, absent), each twice, with the Foreman
API password shown nowhere at -vvv, and the repair timer's switch."""
import json
import os
import re
import sys

import pytest

from tests.e2e import lbenroll_package
from tests.e2e.test_enroll import REPO, RHSM_CONF, rhsm
from tests.lab.foreman import PASSWORD
from tests.lab.lab import ACTIVATION_KEY, BALANCER, ORG, SECOND_BALANCER

PLAYBOOK = os.path.join(REPO, "packaging", "ansible", "lbenroll.yml")
# Modules run under the host's system Python, the one with dnf's bindings, as on EL hosts.
# ansible_become: the tests run as root and the sandbox has no sudo.
INVENTORY = ("localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3 "
             "ansible_become=false\n")
VENV = "/var/lib/lbenroll-venv"
TIMER = "lbenroll-repair.timer"
FQDN = "client01.example.test"
CONSUMER_CERT = "/etc/pki/consumer/cert.pem"


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


def task_status(stdout, title):
    """ok, changed, failed, fatal or skipping for the role's task of that title (-vvv puts
    lines between the title and the status); None when it did not run."""
    task = re.search(r"^TASK \[lbenroll : %s\].*?^(\w+): \[localhost\]" % re.escape(title),
                     stdout, re.M | re.S)
    return task.group(1) if task else None


class Play(object):
    """One ansible-playbook run: its output, the play recap and the lbenroll task's status."""

    def __init__(self, proc, state="present"):
        self.proc = proc
        self.output = proc.stdout + proc.stderr
        recap = re.search(r"^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+"
                          r"failed=(\d+)", proc.stdout, re.M)
        assert recap, self.output
        self.ok, self.changed, self.unreachable, self.failed = map(int, recap.groups())
        self.enroll = task_status(proc.stdout, "Run lbenroll for state %s" % state)
        self.timer = {title: task_status(proc.stdout, "Switch %s %s" % (TIMER, title))
                      for title in ("on", "off")}


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
    return Play(proc, host_vars.get("lbenroll_state", "present"))


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


def test_role_refuses_a_plain_http_repository_without_its_signing_key(lab, sandbox, tmp_path):
    box = el_host(sandbox())
    refused = play(box, tmp_path, lbenroll_rpm_repo_url="http://%s/lbenroll" % BALANCER)
    assert refused.proc.returncode != 0 and refused.failed == 1, refused.output
    assert task_status(refused.proc.stdout, "Refuse a plain-http lbenroll repository without "
                                            "its signing key") == "fatal", refused.output
    assert "nothing would vouch for the package root installs and runs" in refused.output
    assert box.run(["rpm", "-q", "lbenroll"]).returncode != 0
    assert not box.exists("/etc/yum.repos.d/lbenroll.repo")


def test_role_installs_the_wheel_into_a_virtual_environment(lab, sandbox, tmp_path):
    box = el_host(sandbox())
    assert_first_run_enrolls_and_second_is_ok(
        box, tmp_path, lbenroll_install="wheel", lbenroll_wheel=lbenroll_package.wheel(lab),
        lbenroll_venv=VENV, lbenroll_pip_extra_args="--no-index")
    assert box.exists(VENV + "/bin/lbenroll")


# A Foreman host record needs the API password: these runs show that it reaches lbenroll.
FOREMAN_VARS = {"lbenroll_skip": [], "lbenroll_organization": "ACME Corp",
                "lbenroll_hostgroup": "lab/web", "lbenroll_location": "Lab",
                "lbenroll_login": "admin", "lbenroll_password": PASSWORD}


def timer_enabled(box):
    return box.run(["systemctl", "is-enabled", "--quiet", TIMER]).returncode == 0


def assert_password_never_shown(box, plays):
    """Not in any output at -vvv (task results, the remote commands Ansible runs), nor in the
    host's lbenroll log."""
    for run in plays:
        assert PASSWORD not in run.output
        assert "LBENROLL_PASSWORD=" not in run.output  # not through `environment:` either
    assert PASSWORD not in box.read_text("/var/log/lbenroll.log")


def test_states_present_reconnect_absent_each_twice_without_showing_the_password(
        lab, sandbox, tmp_path):
    from tests.e2e.test_new_capsule import proxies_behind_the_second_balancer
    lab.wait_puppetserver()  # enrolling with a host record asks the Puppet CA (8141)
    box = el_host(sandbox())
    repository = lbenroll_package.rpm_repository(lab)

    def run(state, server=BALANCER):
        return play(box, tmp_path, "-vvv", lbenroll_rpm_repo_url=repository,
                    lbenroll_state=state, lbenroll_server=server, **FOREMAN_VARS)

    plays = [run("present")]
    assert (plays[-1].failed, plays[-1].enroll, plays[-1].timer["on"]) == (
        0, "changed", "changed"), plays[-1].output
    [host] = lab.foreman.hosts()
    assert host["name"] == FQDN and host["hostgroup_id"] == 3
    assert rhsm(box).get("server", "hostname") == BALANCER and timer_enabled(box)
    consumer_cert = box.read(CONSUMER_CERT)
    plays.append(run("present"))
    assert (plays[-1].failed, plays[-1].enroll, plays[-1].changed) == (0, "ok", 0), \
        plays[-1].output

    proxies_behind_the_second_balancer(lab)
    plays.append(run("reconnect", SECOND_BALANCER))
    assert (plays[-1].failed, plays[-1].enroll) == (0, "changed"), plays[-1].output
    assert rhsm(box).get("server", "hostname") == SECOND_BALANCER
    assert box.read(CONSUMER_CERT) == consumer_cert  # moved, not registered again
    plays.append(run("reconnect", SECOND_BALANCER))
    assert (plays[-1].failed, plays[-1].enroll, plays[-1].changed) == (0, "ok", 0), \
        plays[-1].output

    plays.append(run("absent", SECOND_BALANCER))
    assert (plays[-1].failed, plays[-1].enroll) == (0, "changed"), plays[-1].output
    assert not box.exists(CONSUMER_CERT) and lab.foreman.hosts() == []
    assert not timer_enabled(box)  # lbenroll --remove disabled it
    assert plays[-1].timer == {"on": "skipping", "off": None}
    plays.append(run("absent", SECOND_BALANCER))
    assert (plays[-1].failed, plays[-1].enroll, plays[-1].changed) == (0, "ok", 0), \
        plays[-1].output
    assert_password_never_shown(box, plays)


def test_repair_timer_switch(lab, sandbox, tmp_path):
    box = el_host(sandbox())
    repository = lbenroll_package.rpm_repository(lab)

    def run(switch):
        return play(box, tmp_path, lbenroll_rpm_repo_url=repository,
                    lbenroll_repair_timer=switch)

    off = run(False)
    assert (off.failed, off.enroll, off.timer["off"]) == (0, "changed", "ok"), off.output
    assert box.exists(CONSUMER_CERT) and not timer_enabled(box)
    on = run(True)
    assert (on.failed, on.enroll, on.timer["on"], on.changed) == (0, "ok", "changed", 1), \
        on.output
    assert timer_enabled(box)
    assert "systemctl enable lbenroll-repair.timer" in box.read_text("/var/log/lab-systemctl.log")
    off = run(False)
    assert (off.failed, off.enroll, off.timer["off"], off.changed) == (0, "ok", "changed", 1), \
        off.output
    assert not timer_enabled(box)
