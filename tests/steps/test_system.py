"""The package and service steps, with the fake runner: what runs, what is fatal, re-runs."""
import pytest

from lbenroll import backup, fileio, services
from lbenroll.errors import LbenrollError
from lbenroll.packages import PackageNotAvailable
from lbenroll.results import Result, Status
from tests.conftest import rpm_answer, rpm_qa, seed
from lbenroll.steps.enable_repos import EnableRepos
from lbenroll.steps.host_tools import HostTools
from lbenroll.steps.install_packages import InstallPackages
from lbenroll.steps.katello_agent import KatelloAgent
from lbenroll.steps.obsolete_packages import ObsoletePackages
from lbenroll.steps.prerequisites import Prerequisites
from lbenroll.steps.rhsmcertd import Rhsmcertd
from lbenroll.steps.update import Update
from lbenroll.steps.yum_plugins import YumPlugins

NO_MATCH = "No match for argument: %s\nError: Unable to find a match: %s\n"


def dnf(root, *args):
    return ["chroot", str(root), "dnf", "-y"] + list(args)


@pytest.fixture(autouse=True)
def dnf_host(root):
    seed(root, {"/usr/bin/dnf": ""})


def registered(run, status=Status.CHANGED):
    run.results["REGISTER"] = Result("REGISTER", status, "")
    return run


def test_yum_plugins_created_then_unchanged(make_run, ctx):
    run = make_run()
    first = YumPlugins().run(run)
    assert first.status == Status.CHANGED
    assert fileio.read_bytes(ctx, "/etc/dnf/plugins/product-id.conf") == b"[main]\nenabled = 1\n"
    assert "+enabled = 1" in first.diff
    assert YumPlugins().run(run).status == Status.UNCHANGED


def test_yum_plugins_on_a_yum_host(make_run, ctx, root):
    (root / "usr" / "bin" / "dnf").unlink()
    seed(root, {"/etc/yum/pluginconf.d/product-id.conf": "[main]\nenabled=0\n"})
    assert YumPlugins().run(make_run()).status == Status.CHANGED
    assert fileio.read_bytes(ctx, "/etc/yum/pluginconf.d/product-id.conf") == \
        b"[main]\nenabled=1\n"
    assert fileio.read_bytes(ctx, "/etc/yum/pluginconf.d/subscription-manager.conf")


def test_rhsmcertd_enabled_and_start_deferred_under_root(make_run, fake_runner, root):
    fake_runner.expect(["systemctl", "--root=%s" % root, "enable", "rhsmcertd"], 0)
    result = Rhsmcertd().run(registered(make_run()))
    assert result.status == Status.CHANGED
    assert result.summary == "rhsmcertd enabled; start deferred: systemd is not running"


def test_rhsmcertd_restarted_when_systemd_runs(make_run, fake_runner, monkeypatch, ctx):
    monkeypatch.setattr(services, "systemd_running", lambda ctx: True)
    fake_runner.expect(["systemctl"], 0)
    result = Rhsmcertd().run(registered(make_run()))
    assert result.summary == "rhsmcertd enabled and restarted"
    assert [call[-2] for call in fake_runner.calls] == ["enable", "restart"]


def test_rhsmcertd_failure_is_fatal(make_run, fake_runner):
    fake_runner.expect(["systemctl"], 1, "", "Unit rhsmcertd.service not found.")
    with pytest.raises(LbenrollError):
        Rhsmcertd().run(registered(make_run()))


def test_rhsmcertd_left_alone_when_registration_did_not_change(make_run, fake_runner):
    result = Rhsmcertd().run(registered(make_run(), Status.UNCHANGED))
    assert result.status == Status.UNCHANGED and fake_runner.calls == []


def test_enablerepos(make_run, fake_runner, root):
    fake_runner.expect(["chroot", str(root), "subscription-manager", "repos"], 0)
    result = EnableRepos().run(make_run(enablerepos="rhel-9-appstream, satellite-client"))
    assert result.status == Status.CHANGED
    assert fake_runner.calls == [["chroot", str(root), "subscription-manager", "repos",
                                  "--enable=rhel-9-appstream", "--enable=satellite-client"]]
    assert EnableRepos().run(make_run()).status == Status.SKIPPED


def test_enablerepos_backs_up_redhat_repo_before_subscription_manager_rewrites_it(
        make_run, fake_runner, root, ctx):
    repo = "/etc/yum.repos.d/redhat.repo"
    seed(root, {repo: "[before]\n"})
    fake_runner.expect(["chroot", str(root), "subscription-manager", "repos"], 0,
                       effect=lambda argv: seed(root, {repo: "[after]\n"}))
    EnableRepos().run(make_run(enablerepos="rhel-9-appstream"))
    assert backup.read_backup(ctx, repo) == b"[before]\n"


def test_enablerepos_failure_is_a_warning(make_run, fake_runner):
    fake_runner.expect(["chroot"], 1, "", "Error: 'nope' does not match a valid repository ID.")
    result = EnableRepos().run(make_run(enablerepos="nope"))
    assert result.status == Status.WARNING and "nope" in result.summary


def test_host_tools_installed_once(make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, "")
    fake_runner.expect(dnf(root, "install"), 0, "Complete!\n")
    result = HostTools().run(make_run())
    assert result.summary == "installed katello-host-tools with dnf"


def test_host_tools_already_installed_needs_no_transaction(make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("katello-host-tools"))
    assert HostTools().run(make_run()).status == Status.UNCHANGED
    assert len(fake_runner.calls) == 1  # rpm only


def test_host_tools_not_available_is_reported_not_fatal(make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, "")
    fake_runner.expect(dnf(root, "install"), 1, "", NO_MATCH % (("katello-host-tools",) * 2))
    result = HostTools().run(make_run())
    assert result.status == Status.SKIPPED
    assert "no enabled repository provides katello-host-tools" in result.summary
    assert "--skip" not in result.summary and result.remediation


def test_host_tools_other_failure_is_fatal(make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, "")
    fake_runner.expect(dnf(root, "install"), 1, "", "Error: GPG check FAILED")
    with pytest.raises(LbenrollError) as exc:
        HostTools().run(make_run())
    assert "GPG check FAILED" in exc.value.format_message()


def test_host_tools_skipped(make_run, fake_runner):
    result = HostTools().run(make_run(skip=["foreman", "katello-host-tools"]))
    assert result.status == Status.SKIPPED and fake_runner.calls == []


def test_install_packages_only_the_missing_ones(make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("vim-enhanced"))
    fake_runner.expect(dnf(root, "install"), 0, "Complete!\n")
    result = InstallPackages().run(make_run(install_packages="vim-enhanced,tmux"))
    assert result.status == Status.CHANGED
    assert fake_runner.calls[-1] == dnf(root, "install", "tmux")


def test_install_packages_unavailable_is_a_clear_warning(make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, "")
    fake_runner.expect(dnf(root, "install"), 1, "", NO_MATCH % ("nosuch", "nosuch"))
    result = InstallPackages().run(make_run(install_packages="nosuch"))
    assert result.status == Status.WARNING
    assert result.summary == "no enabled repository provides nosuch"
    assert "--deps-repository-url" in result.remediation


def test_update_reports_nothing_to_do(make_run, fake_runner, root):
    fake_runner.expect(dnf(root, "update"), 0, "Dependencies resolved.\nNothing to do.\n")
    assert Update().run(make_run(update=True)).status == Status.UNCHANGED
    assert Update().run(make_run()).status == Status.SKIPPED


def test_failed_update_is_fatal(make_run, fake_runner, root):
    fake_runner.expect(dnf(root, "update"), 1, "", "Error: Transaction test error")
    with pytest.raises(LbenrollError):
        Update().run(make_run(update=True))


def test_no_obsolete_packages_no_transaction(make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, "")
    assert ObsoletePackages().run(make_run()).status == Status.UNCHANGED
    assert len(fake_runner.calls) == 1


def test_installed_obsolete_packages_are_removed(make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("rhn-setup", "rhnsd"))
    fake_runner.expect(dnf(root, "remove"), 0, "Complete!\n")
    result = ObsoletePackages().run(make_run())
    assert result.summary == "removed rhn-setup, rhnsd"
    assert fake_runner.calls[-1] == dnf(root, "remove", "rhn-setup", "rhnsd")


def test_obsolete_packages_failure_is_a_warning_and_skip_is_honoured(make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("osad"))
    fake_runner.expect(dnf(root, "remove"), 1, "", "Error: protected")
    assert ObsoletePackages().run(make_run()).status == Status.WARNING
    skipped = ObsoletePackages().run(make_run(skip=["foreman", "remove-obsolete-packages"]))
    assert skipped.status == Status.SKIPPED


def test_dry_run_installs_and_starts_nothing(make_run, fake_runner, root):
    fake_runner.dry_run = True
    fake_runner.expect(rpm_qa(root), 0, "")
    run = registered(make_run(install_packages="tmux", update=True))
    for step in (HostTools(), InstallPackages(), Update(), Rhsmcertd()):
        assert step.run(run).status == Status.CHANGED
    assert [c for c in fake_runner.calls if c[0] != "rpm"] == []
    assert fake_runner.would_run[-1] == "systemctl --root=%s enable rhsmcertd" % root


def test_prerequisites_updates_the_installed_ones(make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("subscription-manager", "openssl"))
    fake_runner.expect(dnf(root, "update"), 0, "Dependencies resolved.\nNothing to do.\n")
    result = Prerequisites().run(make_run())
    assert result.status == Status.UNCHANGED
    assert result.summary == "openssl, subscription-manager up to date"
    assert fake_runner.calls[-1] == dnf(root, "update", "openssl", "subscription-manager")


def test_a_rerun_of_the_recorded_enrollment_does_not_update_the_prerequisites(
        make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("subscription-manager", "openssl"))
    run = make_run(activationkey=None)
    run.options.from_record = ("skip",)
    run.registered_before = True
    result = Prerequisites().run(run)
    assert result.status == Status.UNCHANGED
    assert "not updated: a re-run of the recorded enrollment" in result.detail[0]
    assert all(call[:1] == ["rpm"] for call in fake_runner.calls)  # no dnf


def test_a_rerun_of_the_recorded_enrollment_installs_no_host_tools(make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, "")
    run = make_run(activationkey=None)
    run.options.from_record = ("skip",)
    run.registered_before = True
    result = HostTools().run(run)
    assert result.status == Status.SKIPPED and "installs no packages" in result.summary
    assert all(call[:1] == ["rpm"] for call in fake_runner.calls)  # no dnf


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


DEPS_REPO = "/etc/yum.repos.d/katello-client-bootstrap-deps.repo"


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
    assert result.summary == "would install subscription-manager"
    assert fileio.read_bytes(ctx, DEPS_REPO) is None


def test_katello_agent_installed_and_goferd_enabled(make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, "")
    fake_runner.expect(dnf(root, "install"), 0, "Complete!\n")
    fake_runner.expect(["systemctl", "--root=%s" % root, "enable", "goferd"], 0)
    result = KatelloAgent().run(make_run(install_katello_agent=True))
    assert result.summary == "installed katello-agent with dnf"
    assert result.detail == ["goferd enabled; start deferred: systemd is not running"]


def test_katello_agent_unavailable_is_fatal(make_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, "")
    fake_runner.expect(dnf(root, "install"), 1, "", NO_MATCH % (("katello-agent",) * 2))
    with pytest.raises(PackageNotAvailable):
        KatelloAgent().run(make_run(install_katello_agent=True))


def test_katello_agent_only_on_request_and_once(make_run, fake_runner, root):
    assert KatelloAgent().run(make_run()).status == Status.SKIPPED
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("katello-agent"))
    assert KatelloAgent().run(make_run(install_katello_agent=True)).status == Status.UNCHANGED
    assert len(fake_runner.calls) == 1


def test_prerequisites_update_without_any_repository_is_not_a_warning(make_run, fake_runner,
                                                                      root):
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("subscription-manager"))
    fake_runner.expect(dnf(root, "update"), 1, "", 'Error: There are no enabled repositories in '
                       '"/etc/yum.repos.d", "/etc/yum/repos.d", "/etc/distro.repos.d".')
    result = Prerequisites().run(make_run())
    assert result.status == Status.UNCHANGED
    assert result.detail == ["not updated: no repository is enabled yet"]
