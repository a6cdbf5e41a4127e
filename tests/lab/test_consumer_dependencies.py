"""The dependency rule (consumer.check_dependencies) on headers the real rpmbuild writes: the lab's
consumer package, built as Katello builds its own (tests/lab/files/katello-ca-consumer.spec.in:
`Requires: subscription-manager`, a %post and a %postun, a #!/bin/bash script; with the xz
payload puppet-foreman_proxy_content's provider asks for, and rpmbuild's default), is read as
`rpm -qp` reads it and passes; the same package with one more dependency line is refused."""
import os
import subprocess

import pytest

from lbenroll import consumer, rpmfile
from lbenroll.errors import DataError, ExitCode
from tests.lab import build

URL = "http://balancer.example.test/pub/katello-ca-consumer-latest.noarch.rpm"
NAME = "katello-ca-consumer-proxy01.lab.test"
PKI = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "pki")
XZ = {"_binary_payload": "w2.xzdio"}  # bootstrap_rpm.rb's build_rpm (docs/katello-client-facts.md)


def _ca():
    with open(os.path.join(PKI, "ca.pem")) as f:
        return f.read()


def build_consumer(topdir, extra_preamble="", extra_sections="", defines=None):
    """The lab's consumer package, with extra preamble lines (Obsoletes: ...) or sections."""
    script = build.consumer_script("proxy01.lab.test", "current", _ca(), _ca())
    spec = build._template("katello-ca-consumer.spec.in", {
        "RHSM_HOSTNAME": "proxy01.lab.test", "LAYOUT": "current", "RELEASE": "1"})
    spec = spec.replace("Requires:       subscription-manager\n",
                        "Requires:       subscription-manager\n" + extra_preamble, 1)
    spec += extra_sections
    return build.rpmbuild(str(topdir), spec, sources={"katello-rhsm-consumer": (script, 0o755)},
                          defines=defines)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def rpm2cpio(path):
    def extract(consume):
        consume(subprocess.run(["rpm2cpio", path], capture_output=True, check=True).stdout)
    return extract


def rpm_query(path, option):
    proc = subprocess.run(["rpm", "-qp", option, path], capture_output=True, text=True,
                          check=True)
    return proc.stdout.splitlines()


@pytest.mark.parametrize("defines", [XZ, None], ids=["xz", "default-payload"])
def test_the_lab_consumer_package_passes_and_is_read_as_rpm_reads_it(tmp_path, defines):
    path = build_consumer(tmp_path / "genuine", defines=defines)
    parsed = consumer.parse(URL, read(path), rpm2cpio(path))
    dependencies = parsed.package.dependencies
    for kind, option in (("Provides", "--provides"), ("Requires", "--requires")):
        shown = [rpmfile.dependency_text(d) for d in dependencies[kind]]
        assert sorted(shown) == sorted(rpm_query(path, option)), kind
    assert [d.name for d in dependencies["Provides"]] == [NAME]
    assert "subscription-manager" in [d.name for d in dependencies["Requires"]]
    assert set(dependencies) == {"Provides", "Requires"}
    for option in ("--obsoletes", "--conflicts", "--recommends", "--suggests", "--supplements",
                   "--enhances"):
        assert rpm_query(path, option) == [], option


@pytest.mark.parametrize("line, shown", [
    ("Obsoletes:      sudo\n", "Obsoletes: sudo ("),
    ("Conflicts:      openssh-server > 8.0\n", "Conflicts: openssh-server > 8.0 ("),
    ("Provides:       openssh-server\n", "Provides: openssh-server ("),
    ("Requires:       openssh-server <= 8.0\n", "Requires: openssh-server <= 8.0 ("),
    ("Requires:       subscription-manager < 1.30\n", "Requires: subscription-manager < 1.30 ("),
    ("Recommends:     audit\n", "Recommends: audit ("),
    ("Suggests:       audit\n", "Suggests: audit ("),
    ("Supplements:    audit\n", "Supplements: audit ("),
    ("Enhances:       audit\n", "Enhances: audit ("),
    ("OrderWithRequires: audit\n", "OrderWithRequires: audit ("),
])
def test_one_more_dependency_line_is_refused_before_anything_is_unpacked(tmp_path, line, shown):
    path = build_consumer(tmp_path / "tampered", extra_preamble=line, defines=XZ)
    unpacked = []
    with pytest.raises(DataError) as exc:
        consumer.parse(URL, read(path), unpacked.append)
    assert exc.value.exit_code == ExitCode.DATAERR
    assert shown in exc.value.message and "nothing was installed" in exc.value.message
    assert unpacked == []


@pytest.mark.parametrize("section", [
    "\n%filetriggerin -- /usr/sbin\necho x\n",
    "\n%transfiletriggerin -- /usr/sbin\necho x\n",
    "\n%triggerin -- openssh-server\necho x\n",
])
def test_a_trigger_of_any_kind_is_refused(tmp_path, section):
    path = build_consumer(tmp_path / "trigger", extra_sections=section)
    with pytest.raises(DataError) as exc:
        consumer.parse(URL, read(path), lambda consume: None)
    assert "trigger scriptlets" in exc.value.message
