"""--container-registry-certs end to end: podman's certificates for the balancer's registry and
each named proxy, as Global Registration sets them up; shown working with curl presenting them
as podman would (containers-certs.d(5)), kept right by repair, undone by --remove."""
import json
import os
import re
import sys

import pytest

from lbenroll import engine
from tests.e2e.test_enroll import ENROLL, REPO, statuses
from tests.e2e.test_remove import CONTENT_ONLY, all_unchanged, differences, etc_tree, ok
from tests.lab.lab import BALANCER

PROXIES = ("proxy01.example.test", "proxy02.example.test", "proxy03.example.test")
CERTS = "/etc/containers/certs.d"
OPTIONS = ["--container-registry-certs", "--container-registry-proxies", ",".join(PROXIES)]


def lbenroll(box, *args, env=None):
    """The real lbenroll in the sandbox; its --json report on .report when it printed one."""
    environment = {"PYTHONPATH": REPO}
    environment.update(env or {})
    proc = box.run([sys.executable, "-m", "lbenroll"] + list(args), env=environment,
                   timeout=300)
    proc.report = json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else None
    return proc


def registry_answer(box, name, client=True):
    """GET https://NAME/v2/ as podman does first, with the files podman takes from
    /etc/containers/certs.d/NAME: *.crt as CAs, client.cert and client.key as its certificate."""
    directory = "%s/%s" % (CERTS, name)
    argv = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
            "--cacert", directory + "/ca-bundle.crt", "https://%s/v2/" % name]
    if client:
        argv[-1:-1] = ["--cert", directory + "/client.cert", "--key", directory + "/client.key"]
    proc = box.run(argv)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def links(box, name):
    return {link: os.readlink(box.host_path("%s/%s/%s" % (CERTS, name, link),
                                            follow_symlinks=False))
            for link in ("ca-bundle.crt", "client.cert", "client.key")}


def test_the_balancer_and_each_proxy_registry_accept_the_host_certificate(lab, sandbox):
    box = sandbox()
    before = etc_tree(box)
    report = ok(lbenroll(box, *(ENROLL + OPTIONS + ["--json"])))
    assert statuses(report)["CONTAINER_CERTS"] == "changed"
    for name in (BALANCER,) + PROXIES:
        made = links(box, name)
        assert made["ca-bundle.crt"] == "/etc/pki/tls/certs/ca-bundle.crt"
        assert made["client.cert"].startswith("/etc/pki/entitlement/")
        assert made["client.key"] == made["client.cert"][:-len(".pem")] + "-key.pem"
        assert registry_answer(box, name) == "200", name
        assert registry_answer(box, name, client=False) == "401", name

    # The same command again, and the repair timer's run: nothing to do.
    assert all_unchanged(ok(lbenroll(box, *(ENROLL + OPTIONS + ["--json"])))) == {}
    assert all_unchanged(ok(lbenroll(box, "repair", "--json"))) == {}

    # --remove takes every link and directory it made away: /etc is as before the enrollment.
    ok(lbenroll(box, *(CONTENT_ONLY + ["-s", BALANCER])))
    assert differences(before, etc_tree(box)) == {}


def test_a_renewed_entitlement_certificate_is_linked_again_by_repair(lab, sandbox):
    box = sandbox()
    ok(lbenroll(box, *(ENROLL + ["--container-registry-certs", "--json"])))
    old = links(box, BALANCER)["client.cert"]
    # rhsmcertd replaces the certificate with one of a new serial: the old names go.
    serial = "99887766554433221100"
    new_cert, new_key = ("/etc/pki/entitlement/%s.pem" % serial,
                         "/etc/pki/entitlement/%s-key.pem" % serial)
    for source, dest in ((old, new_cert), (old[:-len(".pem")] + "-key.pem", new_key)):
        moved = box.run(["mv", source, dest])
        assert moved.returncode == 0, moved.stderr
    dangling = box.run(["curl", "-sS", "--cert", "%s/%s/client.cert" % (CERTS, BALANCER),
                        "https://%s/v2/" % BALANCER])
    assert "could not load PEM client certificate" in dangling.stderr  # the links dangle
    report = ok(lbenroll(box, "repair", "--json"))
    assert statuses(report)["CONTAINER_CERTS"] == "changed"
    assert links(box, BALANCER)["client.cert"] == new_cert
    assert links(box, BALANCER)["client.key"] == new_key
    assert registry_answer(box, BALANCER) == "200"


def test_dry_run_names_the_links_and_makes_none(lab, sandbox):
    box = sandbox()
    ok(lbenroll(box, *(ENROLL + ["--json"])))
    proc = lbenroll(box, *(ENROLL + ["--container-registry-certs", "--dry-run", "--json"]))
    report = ok(proc)
    step = next(s for s in report["results"] if s["id"] == "CONTAINER_CERTS")
    assert step["status"] == "changed"
    assert any(line.startswith("would link %s/%s/client.cert -> /etc/pki/entitlement/" % (
        CERTS, BALANCER)) for line in step["detail"]), step
    assert not box.exists(CERTS)


def test_a_proxy_name_that_is_a_path_is_refused_and_nothing_changes(lab, sandbox):
    box = sandbox()
    before = etc_tree(box)
    proc = lbenroll(box, *(ENROLL + ["--container-registry-proxies", "../../pki"]))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "--container-registry-proxies: '../../pki' is not a host name" in proc.stderr
    assert differences(before, etc_tree(box)) == {}


@pytest.mark.parametrize("step", ["KATELLO_AGENT", "RECORD_OPTIONS"])
def test_a_run_killed_after_the_links_converges_on_one_rerun(lab, sandbox, step):
    box = sandbox()
    argv = ENROLL + OPTIONS + ["--json"]
    killed = lbenroll(box, *argv, env={engine.KILL_BEFORE_ENV: step})
    assert killed.returncode == -9, killed.stdout + killed.stderr
    ok(lbenroll(box, *argv))
    for name in (BALANCER,) + PROXIES:
        assert registry_answer(box, name) == "200", name
    assert [entry for entry in box.listdir("%s/%s" % (CERTS, BALANCER))
            if entry.startswith(".")] == []  # no temporary link of an interrupted write


def test_a_failed_run_takes_its_links_back(lab, sandbox):
    """`dnf update` failing (no proxy serves a repository any more) fails the run after
    CONTAINER_CERTS: the rollback removes the links and directories, and checks it."""
    for name in ("proxy01", "proxy02", "proxy03"):
        lab.remove_content(name, "/ACME/Library/custom/Lab/hello")
    box = sandbox()
    before = etc_tree(box)
    proc = lbenroll(box, *(ENROLL + OPTIONS + ["-u"]))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert re.search(r"changed +CONTAINER_CERTS +made 12 link", proc.stdout), proc.stdout
    assert "UPDATE" in proc.stdout and "the host is as it was" in proc.stdout
    assert differences(before, etc_tree(box)) == {}
