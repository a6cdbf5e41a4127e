"""PREREQUISITES: subscription-manager installed, the prerequisites updated,
--deps-repository-url for the install only."""
import pytest

from lbenroll import fileio
from lbenroll.packages import PackageNotAvailable
from lbenroll.results import Status
from lbenroll.steps.prerequisites import Prerequisites
from tests.conftest import rpm_answer, rpm_qa
from tests.steps.conftest import NO_MATCH, dnf

pytestmark = pytest.mark.usefixtures("dnf_host")
DEPS_REPO = "/etc/yum.repos.d/katello-client-bootstrap-deps.repo"


def test_prerequisites_updates_the_installed_ones(make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("subscription-manager", "openssl"))
    fake_runner.expect(dnf(root, "update"), 0, "Dependencies resolved.\nNothing to do.\n")
    result = Prerequisites().run(make_run())
    assert result.status == Status.UNCHANGED
    assert result.summary == "openssl, subscription-manager up to date"
    assert fake_runner.calls[-1] == dnf(root, "update", "openssl", "subscription-manager")


def test_a_full_rerun_on_a_registered_host_does_not_update_the_prerequisites(
        make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("subscription-manager", "openssl"))
    run = make_run()  # with -a: the consumer certificate stands
    run.registered_before, run.registration_problem = True, None
    result = Prerequisites().run(run)
    assert result.status == Status.UNCHANGED
    assert "not updated: the host is registered" in result.detail[0]
    assert all(call[:1] == ["rpm"] for call in fake_runner.calls)  # no dnf


def test_a_dry_run_on_a_host_without_repositories_predicts_no_update(
        make_run, fake_runner, root, ctx):
    # The lab's fresh host: the run's `dnf update` finds no repository and changes nothing, so
    # the dry run, asking dnf the same question with --assumeno, says so too.
    fake_runner.dry_run = True
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("subscription-manager", "openssl"))
    fake_runner.expect(["chroot", str(root), "dnf", "--assumeno", "update"], 1, "",
                       "Error: There are no enabled repositories in \"/etc/yum.repos.d\".\n")
    result = Prerequisites().run(make_run())
    assert result.status == Status.UNCHANGED, result
    assert fake_runner.calls[-1] == ["chroot", str(root), "dnf", "--assumeno", "update",
                                     "openssl", "subscription-manager"]
    fake_runner.expect(["chroot", str(root), "dnf", "--assumeno", "update", "openssl",
                        "subscription-manager"], 1, "Upgrading:\n openssl\nOperation aborted.\n")
    result = Prerequisites().run(make_run())
    assert result.status == Status.CHANGED
    assert result.summary == "would update openssl, subscription-manager"


def test_prerequisites_installs_subscription_manager(make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, "")
    fake_runner.expect(dnf(root, "install"), 0, "Complete!\n")
    result = Prerequisites().run(make_run(skip=["foreman", "prereq-update"]))
    assert result.status == Status.CHANGED
    assert result.summary == "installed subscription-manager with dnf"
    assert fake_runner.calls[-1] == dnf(root, "install", "subscription-manager")


def test_prerequisites_without_subscription_manager_anywhere_is_fatal(make_run, fake_runner,
                                                                     root):
    fake_runner.expect(rpm_qa(root), 0, "")
    fake_runner.expect(dnf(root, "install"), 1, "", NO_MATCH % (("subscription-manager",) * 2))
    with pytest.raises(PackageNotAvailable) as exc:
        Prerequisites().run(make_run())
    assert "--deps-repository-url" in exc.value.format_message()


def test_prerequisites_update_failure_is_a_warning(make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("subscription-manager"))
    fake_runner.expect(dnf(root, "update"), 1, "", "Error: Failed to download metadata")
    assert Prerequisites().run(make_run()).status == Status.WARNING


def test_deps_repository_is_there_for_the_install_only(make_run, fake_runner, root, ctx):
    seen = []
    fake_runner.expect(rpm_qa(root), 0, "")
    fake_runner.expect(dnf(root, "install"), 0, "Complete!\n",
                       effect=lambda argv: seen.append(fileio.read_bytes(ctx, DEPS_REPO)))
    run = make_run(skip=["foreman", "prereq-update"],
                   deps_repository_url="http://mirror.example.test/deps/")
    result = Prerequisites().run(run)
    assert result.status == Status.CHANGED
    assert b"baseurl = http://mirror.example.test/deps/\n" in seen[0]
    assert b"gpgcheck = 1\ngpgkey = file:///etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release" in seen[0]
    assert fileio.read_bytes(ctx, DEPS_REPO) is None
    assert result.detail[0] == "used %s temporarily" % DEPS_REPO


def test_deps_repository_removed_when_the_install_fails(make_run, fake_runner, root, ctx):
    fake_runner.expect(rpm_qa(root), 0, "")
    fake_runner.expect(dnf(root, "install"), 1, "", NO_MATCH % (("subscription-manager",) * 2))
    with pytest.raises(PackageNotAvailable):
        Prerequisites().run(make_run(deps_repository_url="http://mirror.example.test/deps/"))
    assert fileio.read_bytes(ctx, DEPS_REPO) is None


def test_deps_repository_not_written_in_dry_run(make_run, fake_runner, root, ctx):
    fake_runner.dry_run = True
    fake_runner.expect(rpm_qa(root), 0, "")
    result = Prerequisites().run(make_run(deps_repository_url="http://mirror.example.test/d/"))
    # dnf cannot be asked about a repository that is not written yet: only the run knows.
    assert result.status == Status.MAY_CHANGE
    assert result.summary == "may install subscription-manager"
    assert fileio.read_bytes(ctx, DEPS_REPO) is None


def test_prerequisites_update_without_any_repository_is_not_a_warning(make_run, fake_runner,
                                                                      root):
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("subscription-manager"))
    fake_runner.expect(dnf(root, "update"), 1, "", 'Error: There are no enabled repositories in '
                       '"/etc/yum.repos.d", "/etc/yum/repos.d", "/etc/distro.repos.d".')
    result = Prerequisites().run(make_run())
    assert result.status == Status.UNCHANGED
    assert result.detail == ["not updated: no repository is enabled yet"]
