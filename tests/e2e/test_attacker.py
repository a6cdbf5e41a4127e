"""The balancer's ports 80 and 443 answer tampered consumer RPMs (tests/lab/attacker.py): each
is refused before anything changes. Each test asserts what reached the disk, the rpm database
and the exit code."""
import pytest

from lbenroll import consumer
from tests.e2e.test_diagnose import diagnose, results
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


# -- dependencies: a consumer RPM that obsoletes a package of the host ------------------------

LBENROLL_RPM_FLAGS = ["-U", "--replacepkgs", "--replacefiles", "--noscripts", "--notriggers"]


def victim_installed(lab, box):
    """VICTIM installed in the box's rpm database (with its one file), as before any run."""
    proc = box.run(["rpm", "-i", "--nodeps", attacker.build_victim(lab)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert is_installed(box, attacker.VICTIM)


def is_installed(box, name):
    return box.run(["rpm", "-q", name]).returncode == 0


def test_rpm_itself_erases_what_a_consumer_rpm_obsoletes_despite_noscripts(lab, sandbox):
    # The control of the tests below: what rpm does with the tampered package when nothing
    # stops it, with the very flags INSTALL_CONSUMER_RPM gives it.
    box = sandbox()
    victim_installed(lab, box)
    tampered = attacker.build_tampered(lab, "obsoletes", BALANCER_PACKAGE)
    proc = box.run(["rpm"] + LBENROLL_RPM_FLAGS + [tampered])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not is_installed(box, attacker.VICTIM)
    assert not box.exists("/usr/share/lab-victim/installed")


def test_a_consumer_rpm_obsoleting_a_host_package_is_refused_and_it_stays_installed(
        lab, sandbox):
    box = sandbox()
    victim_installed(lab, box)
    etc_before = etc_bytes(box)
    proc = refused_at_enrollment(lab, box, "obsoletes")
    assert proc.returncode == 65, proc.stdout + proc.stderr
    assert "Obsoletes: %s (rpm would erase" % attacker.VICTIM in proc.stdout
    assert "rpm -qp --obsoletes" in proc.stdout
    assert is_installed(box, attacker.VICTIM)
    assert box.exists("/usr/share/lab-victim/installed")
    assert etc_bytes(box) == etc_before


def test_a_repair_refuses_a_higher_release_that_obsoletes_a_host_package(lab, sandbox):
    # The repair timer installs a proxy's higher release on every host of the fleet.
    box = sandbox()
    proxy = enroll(box)["answering_proxy"]
    [genuine] = installed_consumer(box)
    victim_installed(lab, box)
    etc_before = etc_bytes(box)
    name = "katello-ca-consumer-" + proxy
    attacker.serve(lab, attacker.build_tampered(lab, "obsoletes", name, release="2"))
    proc = repair(box, "--json")
    assert proc.returncode == 65, proc.stdout + proc.stderr
    assert "Obsoletes: %s (" % attacker.VICTIM in proc.stdout
    assert installed_consumer(box) == [genuine]
    assert is_installed(box, attacker.VICTIM)
    assert etc_bytes(box) == etc_before


def test_diagnose_names_the_proxy_serving_a_consumer_rpm_that_obsoletes(lab, sandbox):
    box = sandbox()
    attacker.serve(lab, attacker.build_tampered(lab, "obsoletes",
                                                "katello-ca-consumer-proxy02.example.test"),
                   only="proxy02")
    proc = diagnose(box)
    assert proc.returncode == 1, proc.stdout
    found = results(proc, "PROXY_CONSUMER_RPM")
    assert {target: r["status"] for target, r in found.items()} == {
        "proxy01.example.test": "pass", "proxy02.example.test": "fail",
        "proxy03.example.test": "pass"}
    summary = found["proxy02.example.test"]["summary"]
    assert "Obsoletes: %s (" % attacker.VICTIM in summary
