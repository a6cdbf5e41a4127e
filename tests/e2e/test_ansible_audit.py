"""The fleet audit (packaging/ansible/audit.yml), run by ansible-core on the controller against
several sandboxed hosts at once: one pinned to a proxy, one clean, one without lbenroll and one
that is unreachable. One summary names each of them, and nothing on any host changes, in --check
or not. The hosts are reached through tests/e2e/ansible_plugins/connection/lab_sandbox.py (the
unreachable one through ssh to a closed port, as a host that is down)."""
import json
import os
import re
import shutil
import subprocess

from tests.e2e import lbenroll_package
from tests.e2e.test_ansible import ansible_playbook, el_host
from tests.e2e.test_enroll import PUPPET_CONF, REDHAT_REPO, REPO, RHSM_CONF
from tests.lab.lab import BALANCER

PLAYBOOK = os.path.join(REPO, "packaging", "ansible", "audit.yml")
CONNECTION_PLUGINS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ansible_plugins",
                                  "connection")
PROXY = "proxy02.example.test"
PINNED, CLEAN, DOWN, BARE = ("client01.example.test", "client02.example.test",
                             "client03.example.test", "client04.example.test")
REDHAT_REPO_TEXT = """\
[ACME_Lab_hello]
name = hello
baseurl = https://%(host)s/pulp/content/ACME/Library/custom/Lab/hello
gpgkey = https://%(host)s/katello/api/repositories/1/gpg_key_content
enabled = 1

[ACME_Lab_world]
name = world
baseurl = https://%(host)s/pulp/content/ACME/Library/custom/Lab/world
enabled = 0
"""
PUPPET_CONF_TEXT = "[agent]\nserver = %(host)s\nca_server = %(host)s\nca_port = 8141\n"


def enrolled_to(box, name, lbenroll=True):
    """A host whose files name `name`, as a consumer RPM from it and `subscription-manager
    register` leave them; with the stand-in RPM's /usr/bin/lbenroll unless lbenroll=False."""
    rhsm = box.read_text(RHSM_CONF)
    rhsm = re.sub(r"^hostname = .*$", "hostname = %s" % name, rhsm, count=1, flags=re.M)
    rhsm = re.sub(r"^baseurl = .*$", "baseurl = https://%s/pulp/content/" % name, rhsm, count=1,
                  flags=re.M)
    box.seed(RHSM_CONF, rhsm)
    box.seed(REDHAT_REPO, REDHAT_REPO_TEXT % {"host": name})
    box.seed(PUPPET_CONF, PUPPET_CONF_TEXT % {"host": name})
    if lbenroll:
        box.seed("/usr/bin/lbenroll", lbenroll_package.entry_point_script(), 0o755)
    return box


def sandbox_host(box):
    # Modules run under the host's system Python, as on EL hosts; the tests run as root and the
    # sandbox has no sudo.
    return {"ansible_connection": "lab_sandbox", "lab_sandbox_command": box.command([]),
            "lab_sandbox_env": box.environment(), "ansible_pipelining": True,
            "ansible_python_interpreter": "/usr/bin/python3", "ansible_become": False}


def down_host():
    """A host that does not answer: ssh to a closed port, or (no ssh client) a sandbox that
    cannot be entered."""
    if shutil.which("ssh"):
        return {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 9}
    return {"ansible_connection": "lab_sandbox", "lab_sandbox_command": ["/nonexistent/host"]}


def audit(tmp_path, hosts, *args):
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(json.dumps({"all": {"hosts": hosts}}))  # YAML reads JSON
    report = tmp_path / "audit.md"
    if report.exists():
        report.unlink()
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_CONNECTION_PLUGINS=CONNECTION_PLUGINS,
               ANSIBLE_HOST_KEY_CHECKING="False")
    proc = subprocess.run([ansible_playbook(), "-i", str(inventory), PLAYBOOK,
                           "-e", "lbenroll_server=%s" % BALANCER,
                           "-e", "lbenroll_audit_report=%s" % report] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, env=env, timeout=300)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    recap = dict((host, tuple(map(int, counts))) for host, *counts in re.findall(
        r"^(\S+)\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", proc.stdout,
        re.M))
    assert recap == {host: (0, 0) for host in hosts}, output  # changed=0, failed=0 everywhere
    return report.read_text(), output


def rows(report):
    """{host: [state, pinned to, in]} from the summary's table."""
    found = {}
    for line in report.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if line.startswith("| ") and len(cells) == 4 and cells[0] not in ("host", "---"):
            found[cells[0]] = cells[1:]
    return found


def untouched(boxes):
    """What each host looks like: its overlay's record of writes, and /etc's bytes and mtimes."""
    return {box.fqdn: (box.written_files(), box.snapshot(["/etc"])) for box in boxes}


def test_the_audit_names_pinned_clean_and_unreachable_hosts_and_changes_nothing(
        lab, sandbox, tmp_path):
    pinned = enrolled_to(el_host(sandbox(fqdn=PINNED)), PROXY)
    clean = enrolled_to(el_host(sandbox(fqdn=CLEAN)), BALANCER)
    bare = enrolled_to(el_host(sandbox(fqdn=BARE)), PROXY, lbenroll=False)
    boxes = [pinned, clean, bare]
    hosts = {PINNED: sandbox_host(pinned), CLEAN: sandbox_host(clean), DOWN: down_host(),
             BARE: sandbox_host(bare)}
    before = untouched(boxes)
    assert all(written == {} for written, _ in before.values())

    report, output = audit(tmp_path, hosts)
    assert rows(report) == {
        PINNED: ["pinned", PROXY, "/etc/rhsm/rhsm.conf (server.hostname, rhsm.baseurl), "
                 "/etc/yum.repos.d/redhat.repo (baseurl, gpgkey; 2 repositories), "
                 "/etc/puppetlabs/puppet/puppet.conf (agent.server, agent.ca_server)"],
        CLEAN: ["clean", "", ""],
        DOWN: ["unreachable", "", rows(report)[DOWN][2]],
        BARE: ["not checked", "", rows(report)[BARE][2]],
    }, report
    assert rows(report)[DOWN][2], report  # why: ansible's message
    assert rows(report)[BARE][2].startswith("/usr/bin/lbenroll exited "), report
    assert "4 hosts: 1 clean, 1 pinned, 0 problem, 1 unreachable, 1 not checked" in report
    assert "- %s: 1 pinned host" % PROXY in report
    assert "4 hosts: 1 clean" in output  # shown in the play's output too
    assert untouched(boxes) == before

    checked, _ = audit(tmp_path, hosts, "--check")
    assert checked == report
    assert untouched(boxes) == before


def test_the_host_check_json_is_what_the_readme_documents(lab, sandbox):
    box = enrolled_to(el_host(sandbox(fqdn=PINNED)), PROXY)
    proc = box.run(["/usr/bin/lbenroll", "diagnose", "--host-only", "--json", "--server",
                    BALANCER])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    check = json.loads(proc.stdout)
    assert (check["host"], check["balancer"], check["clean"]) == (PINNED, BALANCER, False)
    assert check["pinned"] == [
        {"file": RHSM_CONF, "key": "server.hostname", "names": PROXY, "repositories": []},
        {"file": RHSM_CONF, "key": "rhsm.baseurl", "names": PROXY, "repositories": []},
        {"file": REDHAT_REPO, "key": "baseurl", "names": PROXY,
         "repositories": ["ACME_Lab_hello", "ACME_Lab_world"]},
        {"file": REDHAT_REPO, "key": "gpgkey", "names": PROXY,
         "repositories": ["ACME_Lab_hello"]},
        {"file": PUPPET_CONF, "key": "agent.server", "names": PROXY, "repositories": []},
        {"file": PUPPET_CONF, "key": "agent.ca_server", "names": PROXY, "repositories": []}]
    assert box.written_files() == {}
