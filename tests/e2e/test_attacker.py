"""The balancer's ports 80 and 443 answer tampered consumer RPMs (tests/lab/attacker.py): each
is refused before anything changes. Each test asserts what reached the disk, the rpm database
and the exit code."""
import pytest

from lbenroll import consumer
from tests.e2e.test_enroll import ENROLL, enroll, etc_bytes, lbenroll
from tests.e2e.test_repair import installed_consumer, repair
from tests.lab import attacker, pki
from tests.lab.lab import BALANCER

BALANCER_PACKAGE = "katello-ca-consumer-" + BALANCER


def lab_ca_sha256(lab):
    return consumer.fingerprint(pki.read_pem(lab.ca.cert))


def refused_at_enrollment(lab, box, kind, *extra):
    attacker.serve(lab, attacker.build_tampered(lab, kind, BALANCER_PACKAGE))
    proc = lbenroll(box, *(ENROLL + ["--json"] + list(extra)))
    assert installed_consumer(box) == []  # the rpm database: nothing installed
    assert not box.exists(attacker.CRON_JOB)
    assert not box.exists("/usr/bin/katello-rhsm-consumer")
    assert not box.exists("/etc/rhsm/ca/katello-default-ca.pem")
    assert not box.exists("/etc/rhsm/ca/katello-server-ca.pem")
    return proc


def test_a_package_with_one_more_file_is_refused_and_nothing_is_installed(lab, sandbox):
    box = sandbox()
    proc = refused_at_enrollment(lab, box, "extra_file")
    assert proc.returncode == 65, proc.stdout + proc.stderr
    assert "files besides /usr/bin/katello-rhsm-consumer: %s" % attacker.CRON_JOB in proc.stdout


def test_another_default_ca_is_refused_when_the_server_ca_is_pinned(lab, sandbox):
    box = sandbox()
    proc = refused_at_enrollment(lab, box, "default_ca", "--ca-fingerprint", lab_ca_sha256(lab))
    assert proc.returncode == 78, proc.stdout + proc.stderr
    assert "default CA SHA-256" in proc.stdout and "neither pinned nor in --ca-file" in proc.stdout


def test_a_decompression_bomb_is_refused_and_nothing_is_installed(lab, sandbox):
    # The header gives the script's size: refused before anything is unpacked. (A header that
    # lies about it is the bounded, streaming payload read's to refuse.)
    box = sandbox()
    proc = refused_at_enrollment(lab, box, "bomb")
    assert proc.returncode == 65, proc.stdout + proc.stderr
    assert "not a script of at most" in proc.stdout


def test_a_truncated_header_is_refused_and_nothing_is_installed(lab, sandbox):
    # Today's header reader indexes past the cut store (struct.error, exit 70): a clean
    # refusal needs the bounded header parsing of issue 18's "Bounded parsing" work.
    box = sandbox()
    proc = refused_at_enrollment(lab, box, "truncated")
    assert proc.returncode == 65, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


def test_a_repair_refuses_a_higher_release_carrying_one_more_file(lab, sandbox):
    box = sandbox()
    proxy = enroll(box)["answering_proxy"]
    [genuine] = installed_consumer(box)
    etc_before = etc_bytes(box)
    name = "katello-ca-consumer-" + proxy
    attacker.serve(lab, attacker.build_tampered(lab, "extra_file", name, release="2"))
    proc = repair(box, "--json")
    assert proc.returncode == 65, proc.stdout + proc.stderr
    assert installed_consumer(box) == [genuine]
    assert not box.exists(attacker.CRON_JOB)
    assert etc_bytes(box) == etc_before


def test_a_repair_downloads_over_https_verified_against_the_trusted_ca(lab, sandbox):
    box = sandbox()
    enroll(box, "--download-method", "http")
    proc = repair(box, "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    fetch = [r for r in proc.report["results"] if r["id"] == "FETCH_CONSUMER_RPM"][0]
    assert fetch["data"]["verified"] is True
    pub = [entry for entry in lab.requests() if entry.get("path", "").startswith("/pub/")]
    assert pub[-1]["port"] == 443, pub[-1]


@pytest.mark.parametrize("given", ["ca_file", "pin"])
def test_first_contact_with_the_ca_given_or_pinned_downloads_verified(lab, sandbox, given):
    box = sandbox()
    if given == "ca_file":
        box.seed("/root/katello-ca.pem", pki.read_pem(lab.ca.cert), mode=0o600)
        extra = ["--ca-file", "/root/katello-ca.pem"]
    else:
        extra = ["--ca-fingerprint", lab_ca_sha256(lab)]
    report = enroll(box, *extra)
    fetch = [r for r in report["results"] if r["id"] == "FETCH_CONSUMER_RPM"][0]
    assert fetch["data"]["verified"] is True
