"""lbenroll's Foreman host record end to end: the lab's Foreman stand-in behind the balancer."""
import json
import sys

import pytest

from tests.e2e.test_enroll import REPO, etc_bytes, statuses
from tests.lab.foreman import PASSWORD
from tests.lab.lab import ACTIVATION_KEY, BALANCED_PROXIES, BALANCER

FQDN = "client01.example.test"
FOREMAN = ["-s", BALANCER, "-o", "ACME Corp", "-g", "lab/web", "-L", "Lab", "-a", ACTIVATION_KEY,
           "-l", "admin", "--puppet-ca-port", "8141", "--fqdn", FQDN, "-c", "e2e"]
PROXIES = set("%s.example.test" % name for name in BALANCED_PROXIES)


@pytest.fixture(autouse=True)
def puppet_ca(lab):
    """Foreman-mode enrollments request the Puppet agent's certificate (PUPPET_CERT)."""
    lab.wait_puppetserver()


def lbenroll(box, *args):
    """The real lbenroll in the sandbox; the password comes from the environment."""
    argv = [sys.executable, "-m", "lbenroll"] + list(args)
    return box.run(argv, env={"PYTHONPATH": REPO, "LBENROLL_PASSWORD": PASSWORD}, timeout=300)


def writes(lab, since):
    return [(r["method"], r["path"]) for r in lab.foreman.requests()[since:]
            if r["method"] != "GET"]


def assert_no_password(box, *procs):
    for proc in procs:
        assert PASSWORD not in proc.stdout + proc.stderr
    assert PASSWORD not in box.read_text("/var/log/lbenroll.log")


def test_host_created_through_the_balancer_then_left_alone(lab, sandbox):
    box = sandbox()
    first = lbenroll(box, *FOREMAN + ["--json", "--verbose"])
    assert first.returncode == 0, first.stdout + first.stderr
    report = json.loads(first.stdout)
    assert statuses(report)["FOREMAN_HOST"] == "changed"
    assert statuses(report)["REGISTER"] == "changed"
    [host] = lab.foreman.hosts()
    assert host["name"] == FQDN
    assert (host["hostgroup_id"], host["organization_id"], host["location_id"],
            host["domain_id"], host["architecture_id"]) == (3, 1, 2, 5, 1)
    assert host["comment"] == "e2e" and host["managed"] is True and host["ip"]
    requests = lab.foreman.requests()
    assert {r["proxy"] for r in requests} <= PROXIES
    assert requests[0]["path"] == "/api/ping"
    assert all(r["user"] == "admin" for r in requests[1:])
    # The organization's label, found in Foreman, is what subscription-manager registers with.
    assert any("--org ACME " in line for line in box.read_text("/var/log/lbenroll.log")
               .splitlines())

    seen = len(lab.foreman.requests())
    second = lbenroll(box, *FOREMAN + ["--verbose"])
    assert second.returncode == 0, second.stdout + second.stderr
    assert "FOREMAN_HOST" in second.stdout and "is up to date" in second.stdout
    assert writes(lab, seen) == []
    assert_no_password(box, first, second)


def test_existing_host_with_another_hostgroup_is_updated(lab, sandbox):
    old = lab.foreman.add_host(name="client01", domain_id=5, hostgroup_id=4, organization_id=1,
                               location_id=2, architecture_id=1)
    box = sandbox()
    proc = lbenroll(box, *FOREMAN + ["--json"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert writes(lab, 0) == [("PUT", "/api/v2/hosts/%d" % old["id"])]
    [host] = lab.foreman.hosts()
    assert host["id"] == old["id"] and host["hostgroup_id"] == 3
    assert_no_password(box, proc)


def test_lookup_without_match_fails_before_the_host_changes(lab, sandbox):
    box = sandbox()
    before = etc_bytes(box)
    proc = lbenroll(box, *[("lab/nope" if arg == "lab/web" else arg) for arg in FOREMAN])
    assert proc.returncode == 65, proc.stdout + proc.stderr
    assert 'title="lab/nope"' in proc.stdout + proc.stderr
    assert "case-sensitive" in proc.stdout + proc.stderr
    assert etc_bytes(box) == before
    assert lab.foreman.hosts() == [] and writes(lab, 0) == []
    assert_no_password(box, proc)
