"""ENABLE_REPOS: enable the repositories given with --enablerepos."""
from lbenroll import backup, host, subman
from lbenroll.results import Result, Status
from lbenroll.options import comma_list
from lbenroll.steps.base import Step


class EnableRepos(Step):
    id = "ENABLE_REPOS"
    title = "Enable the repositories given with --enablerepos"
    requires = ("REGISTER",)

    def run(self, run):
        ctx, repos = run.ctx, comma_list(run.options.enablerepos)
        if not repos:
            return Result(self.id, Status.SKIPPED, "no --enablerepos given")
        argv = subman.argv(ctx, "repos", *["--enable=%s" % repo for repo in repos])
        # subscription-manager rewrites redhat.repo: keep its original for --remove first.
        backup.backup_before_command(ctx, [host.REDHAT_REPO])
        result = ctx.run(argv, changes_host=True)
        if result is None:
            return Result(self.id, Status.CHANGED, "would enable %s" % ", ".join(repos),
                          detail=["would run: %s" % ctx.runner.display(argv)])
        if not result.ok:  # non-fatal, as in bootstrap.py
            return Result(self.id, Status.WARNING, "could not enable %s: %s" % (
                ", ".join(repos), ctx.runner.output(result)),
                remediation="check the repository ids with: subscription-manager repos --list")
        return Result(self.id, Status.CHANGED, "enabled %s" % ", ".join(repos))
