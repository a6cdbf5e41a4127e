"""The package-manager layer: dnf or yum inside the managed root, unavailable names explained."""
import pytest

from lbenroll import host, packages
from lbenroll.context import Context
from lbenroll.errors import ExitCode, LbenrollError
from lbenroll.packages import PackageManager, PackageNotAvailable, did_nothing
from tests.conftest import rpm_answer, rpm_qa, seed

DNF_NO_MATCH = ("No match for argument: katello-host-tools\n"
                "Error: Unable to find a match: katello-host-tools\n")
YUM_NO_PACKAGE = "No package katello-host-tools available.\nError: Nothing to do\n"


def rpm(root, *args):
    return ["rpm", "--root", str(root)] + list(args)


def in_root(root, *argv):
    return ["chroot", str(root)] + list(argv)


@pytest.fixture
def dnf_root(root):
    seed(root, {"/usr/bin/dnf": "#!/bin/sh\n"})
    return root


def test_dnf_where_the_root_has_it_else_yum(ctx, root):
    assert PackageManager(ctx).name == "yum"
    seed(root, {"/usr/bin/dnf": ""})
    assert PackageManager(ctx).name == "dnf"


def test_transactions_run_inside_the_root_with_the_timeout(ctx, dnf_root, fake_runner):
    fake_runner.expect(in_root(dnf_root, "dnf"), 0, "Complete!\n")
    ctx.timeout = 42  # --timeout: the context owns it, every command gets it
    result = PackageManager(ctx).transaction("install", ["a", "b"])
    assert result.ok and not did_nothing(result)
    assert fake_runner.calls == [in_root(dnf_root, "dnf", "-y", "install", "a", "b")]
    assert fake_runner.timeouts == [42]


def test_on_the_running_system_no_chroot(fake_runner, tmp_path):
    ctx = Context(root="/", runner=fake_runner)
    pm = PackageManager(ctx)
    assert pm.argv("update") == [pm.name, "-y", "update"]


def test_installed_asks_rpm_with_names_and_globs(ctx, dnf_root, fake_runner):
    fake_runner.expect(rpm(dnf_root, "-qa"), 0, rpm_answer("rhnlib", "rh-amazon-rhui-client"))
    assert packages.installed_names(ctx, ["rhnlib", "rh-*-rhui-client", "osad"]) == [
        "rh-amazon-rhui-client", "rhnlib"]
    # One query for every name and glob a run looks up, whichever step asks first.
    assert fake_runner.calls == [rpm(dnf_root, "-qa", "--qf", "%{NAME} %{VERSION}-%{RELEASE}\\n",
                                     *packages.LOOKED_UP)]


def test_one_rpm_query_answers_every_step_until_a_command_changes_the_host(ctx, fake_runner):
    fake_runner.expect(rpm_qa(ctx.root), 0, rpm_answer(
        "subscription-manager-1.29.40-1.el9", "katello-ca-consumer-proxy01.example.test-1.0-2"))
    fake_runner.expect(["dnf"], 0)
    assert packages.installed_names(ctx, host.SERVER_PACKAGES) == []
    assert packages.installed_names(ctx, [host.SUBSCRIPTION_MANAGER]) == ["subscription-manager"]
    assert packages.installed(ctx, ["katello-ca-consumer-*"]) == [packages.Package(
        "katello-ca-consumer-proxy01.example.test",
        "katello-ca-consumer-proxy01.example.test-1.0-2")]
    assert len(fake_runner.calls) == 1
    ctx.run(["dnf", "-y", "install", "katello-host-tools"], changes_host=True)
    packages.installed_names(ctx, [host.HOST_TOOLS_PACKAGE])
    assert len(fake_runner.calls) == 3  # the install, then a new query


def test_a_name_no_step_looks_up_gets_its_own_query(ctx, fake_runner):
    fake_runner.expect(rpm_qa(ctx.root), 0, rpm_answer("vim-enhanced"))
    assert packages.installed_names(ctx, ["vim-enhanced"]) == ["vim-enhanced"]
    assert fake_runner.calls[0][-2:] == ["%{NAME} %{VERSION}-%{RELEASE}\\n", "vim-enhanced"]


@pytest.mark.parametrize("returncode,message", [
    (127, "rpm is not installed"), (1, "rpm cannot read the package database (exit 1)")])
def test_rpm_missing_or_failing_is_an_error_not_nothing_installed(ctx, fake_runner, returncode,
                                                                  message):
    fake_runner.expect(rpm_qa(ctx.root), returncode, "", "error: rpmdb: damaged")
    with pytest.raises(LbenrollError) as exc:
        packages.installed_names(ctx, host.SERVER_PACKAGES, step="PREFLIGHT")
    assert exc.value.message.startswith(message)
    assert exc.value.step == "PREFLIGHT"


@pytest.mark.parametrize("manager,output", [("dnf", DNF_NO_MATCH), ("yum", YUM_NO_PACKAGE)])
def test_unavailable_package_is_a_clear_error(ctx, root, fake_runner, manager, output):
    if manager == "dnf":
        seed(root, {"/usr/bin/dnf": ""})
    fake_runner.expect(in_root(root, manager), 1, "", output)
    with pytest.raises(PackageNotAvailable) as exc:
        PackageManager(ctx).transaction("install", ["katello-host-tools", "zsh"], step="X")
    assert exc.value.names == ["katello-host-tools"]
    assert exc.value.exit_code == ExitCode.UNAVAILABLE
    message = exc.value.format_message()
    assert "no enabled repository provides katello-host-tools" in message
    assert "--deps-repository-url" in message


def test_other_failures_are_returned_for_the_caller(ctx, dnf_root, fake_runner):
    fake_runner.expect(in_root(dnf_root, "dnf"), 1, "", "Error: Failed to download metadata")
    ctx.timeout = 5
    pm = PackageManager(ctx)
    result = pm.transaction("update")
    assert not result.ok
    assert "exit 1): Error: Failed to download metadata" in pm.failure(result)


def test_dry_run_only_records(ctx, dnf_root, fake_runner):
    fake_runner.dry_run = True
    assert PackageManager(ctx).transaction("install", ["zsh"]) is None
    assert fake_runner.would_run == ["chroot %s dnf -y install zsh" % dnf_root]
