"""ENABLE_REPOS: --enablerepos through subscription-manager repos."""
import pytest

from lbenroll import backup
from lbenroll.results import Status
from lbenroll.steps.enable_repos import EnableRepos
from tests.conftest import seed

pytestmark = pytest.mark.usefixtures("dnf_host")


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
