"""End-to-end fixtures: the lab (once per session) and fresh sandboxed client hosts per test."""
import itertools
import re
import shutil

import pytest

from lbenroll import scratch
from tests.lab.lab import Lab

# Program -> Debian package that provides it.
REQUIRED_PROGRAMS = {
    "/usr/bin/python3": "python3",
    "haproxy": "haproxy",
    "rpm": "rpm",
    "rpmbuild": "rpm",
    "rpm2cpio": "rpm2cpio",
    "cpio": "cpio",
    "createrepo_c": "createrepo-c",
    "zstd": "zstd",
    "dnf": "dnf",
    "unshare": "util-linux",
    "openssl": "openssl",
    "curl": "curl",
    "mosquitto": "mosquitto",
    "mosquitto_pub": "mosquitto-clients",
    "java": "openjdk-17-jre-headless (pulled in by puppetserver)",
    "/usr/sbin/sshd": "openssh-server",
    "ssh": "openssh-client",
    "ssh-keygen": "openssh-client",
}

_sandbox_numbers = itertools.count(1)


def _missing_programs():
    return ["%s (apt-get install %s)" % (program, package)
            for program, package in REQUIRED_PROGRAMS.items() if shutil.which(program) is None]


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    missing = _missing_programs()
    if missing:
        pytest.fail("the lab needs programs that are not installed: " + ", ".join(missing),
                    pytrace=False)
    lab = Lab(str(tmp_path_factory.mktemp("lab"))).start()
    yield lab
    lab.stop()
    # A run a test killed last leaves its temporary directory for the next run to remove; the
    # suite removes it itself, the same way (lbenroll/scratch.py), so /tmp keeps nothing.
    scratch.remove_abandoned()


@pytest.fixture(autouse=True)
def _reset_lab_switches(request):
    """A test that flips a lab switch (balance, faults, routes, ...) does not leak it."""
    yield
    if "lab" in request.fixturenames:
        request.getfixturevalue("lab").reset()


@pytest.fixture
def sandbox(lab, request):
    """Factory for fresh client hosts: sandbox() or sandbox(fqdn="client02.example.test")."""
    created = []

    def make(fqdn="client01.example.test"):
        name = "%s-%d" % (re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name),
                          next(_sandbox_numbers))
        box = lab.sandbox(name, fqdn)
        created.append(box)
        return box

    yield make
    for box in created:
        box.remove()
