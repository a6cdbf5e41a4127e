"""Package and service steps with real dnf in sandboxed hosts: stub packages from a lab yum
repository, the stand-in systemctl (no systemd: services are enabled and their start deferred)."""
import os

import pytest

from tests.e2e.test_enroll import ENROLL, lbenroll, statuses
from tests.e2e.test_kickstart import systemctl_calls
from tests.lab import build

SPEC = """\
Name:           %(name)s
Version:        %(version)s
Release:        1.lab
Summary:        Lab stub of %(name)s
License:        GPL-2.0-or-later
BuildArch:      noarch

%%description
Stub built by the lbenroll system-step tests.

%%install
mkdir -p %%{buildroot}/usr/share/lab-stubs
echo %(version)s > %%{buildroot}/usr/share/lab-stubs/%(name)s

%%files
/usr/share/lab-stubs/%(name)s
"""
REPO_FILE = "/etc/yum.repos.d/lab-tools.repo"
DEPS_REPO = "/etc/yum.repos.d/katello-client-bootstrap-deps.repo"
REPO_TEXT = "[lab-tools]\nname=lab tools\nbaseurl=file://%s\nenabled=1\ngpgcheck=0\n"

_built = {}


def stub_rpm(lab, name, version="1.0"):
    key = (lab.workdir, name, version)
    if key not in _built:
        topdir = os.path.join(lab.build_dir, "stub-%s-%s" % (name, version))
        _built[key] = build.rpmbuild(topdir, SPEC % {"name": name, "version": version})
    return _built[key]


@pytest.fixture
def tools_repo(lab):
    """A yum repository with katello-host-tools, katello-agent, lab-extra, lab-updated 2.0."""
    path = os.path.join(lab.build_dir, "lab-tools-repo")
    if not os.path.isdir(path):
        for name, version in (("katello-host-tools", "1.0"), ("katello-agent", "1.0"),
                              ("lab-extra", "1.0"), ("lab-updated", "2.0")):
            build.make_content_repo(lab.build_dir, "lab-tools-repo",
                                    stub_rpm(lab, name, version))
    return path


@pytest.fixture
def box(sandbox, tools_repo):
    box = sandbox()
    box.seed(REPO_FILE, (REPO_TEXT % tools_repo).encode(), 0o644)
    return box


def rpm_installed(box, name):
    return box.run(["rpm", "-q", name]).returncode == 0


def enroll(box, *extra):
    return lbenroll(box, *(ENROLL + ["--json"] + list(extra)))


def test_enrollment_installs_host_tools_enables_plugins_and_defers_rhsmcertd(box):
    proc = enroll(box, "--install-packages", "lab-extra")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = {r["id"]: r for r in proc.report["results"]}
    assert results["HOST_TOOLS"]["summary"] == "installed katello-host-tools with dnf"
    assert rpm_installed(box, "katello-host-tools") and rpm_installed(box, "lab-extra")
    assert results["RHSMCERTD"]["status"] == "changed"
    assert "start deferred: systemd is not running" in results["RHSMCERTD"]["summary"]
    calls = systemctl_calls(box)
    assert "systemctl enable rhsmcertd" in calls
    assert not any("rhsmcertd" in call and "restart" in call for call in calls)
    for plugin in ("product-id", "subscription-manager"):
        text = box.read_text("/etc/dnf/plugins/%s.conf" % plugin)
        assert "enabled = 1" in text or "enabled=1" in text

    again = enroll(box, "--install-packages", "lab-extra")
    assert again.returncode == 0, again.stdout + again.stderr
    steps = ("PREREQUISITES", "YUM_PLUGINS", "RHSMCERTD", "HOST_TOOLS", "INSTALL_PACKAGES",
             "OBSOLETE_PACKAGES")
    assert {statuses(again.report)[step] for step in steps} == {"unchanged"}
    second_run = box.read_text("/var/log/lbenroll.log").rsplit(" starting: ", 1)[1]
    dnf_runs = [line for line in second_run.splitlines() if "running: dnf" in line]
    # A re-run on a registered host does no package transaction (issue 19 point 5), not even the
    # prerequisite update bootstrap.py repeats on every run.
    assert dnf_runs == []


def test_unavailable_package_is_a_clear_warning(box):
    proc = enroll(box, "--install-packages", "lab-no-such-package")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    result = [r for r in proc.report["results"] if r["id"] == "INSTALL_PACKAGES"][0]
    assert result["status"] == "warning"
    assert result["summary"] == "no enabled repository provides lab-no-such-package"
    assert "--deps-repository-url" in result["remediation"]


def test_obsolete_packages_removed_and_update_applied(lab, box):
    for rpm in (stub_rpm(lab, "rhn-setup"), stub_rpm(lab, "lab-updated", "1.0")):
        assert box.run(["rpm", "-i", "--nodeps", rpm]).returncode == 0
    proc = enroll(box, "-u")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert statuses(proc.report)["OBSOLETE_PACKAGES"] == "changed"
    assert statuses(proc.report)["UPDATE"] == "changed"
    assert not rpm_installed(box, "rhn-setup")
    assert box.read_text("/usr/share/lab-stubs/lab-updated").strip() == "2.0"


def test_dry_run_installs_nothing(box):
    proc = lbenroll(box, *(ENROLL + ["--dry-run", "--install-packages", "lab-extra", "-u"]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # Before registering, the repositories that would provide it are not there yet: the dry run
    # says it may install it rather than guessing either way (issue 19 point 2).
    assert "may install katello-host-tools" in proc.stdout
    assert not rpm_installed(box, "katello-host-tools") and not rpm_installed(box, "lab-extra")
    assert not [path for path in box.written_files() if path.startswith("/etc/dnf/plugins/")]
    assert "rhsmcertd" not in " ".join(systemctl_calls(box))


def test_install_katello_agent_enables_goferd_and_requires_the_amqp_check(box):
    proc = enroll(box, "--install-katello-agent")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = {r["id"]: r for r in proc.report["results"]}
    assert results["KATELLO_AGENT"]["detail"] == [
        "goferd enabled; start deferred: systemd is not running"]
    assert rpm_installed(box, "katello-agent")
    assert "systemctl enable goferd" in systemctl_calls(box)
    assert results["CHECK_AMQP"]["status"] == "unchanged", results["CHECK_AMQP"]


def test_missing_subscription_manager_names_the_deps_repository(box):
    assert box.run(["rpm", "-e", "--justdb", "--nodeps", "subscription-manager"]).returncode == 0
    proc = enroll(box)
    assert proc.returncode == 69, proc.stdout + proc.stderr
    result = [r for r in proc.report["results"] if r["id"] == "PREREQUISITES"][0]
    assert result["summary"] == "no enabled repository provides subscription-manager"
    assert "--deps-repository-url" in result["remediation"]


def test_deps_repository_is_used_for_the_step_and_removed(box, tools_repo):
    proc = enroll(box, "--deps-repository-url", "file://" + tools_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = [r for r in proc.report["results"] if r["id"] == "PREREQUISITES"][0]
    assert result["detail"][0] == "used %s temporarily" % DEPS_REPO
    assert not box.exists(DEPS_REPO)
