"""KATELLO_AGENT: install katello-agent and enable and restart goferd (--install-katello-agent)."""
from lbenroll import services
from lbenroll.results import Result, Status
from lbenroll.steps.base import PackageStep


KATELLO_AGENT = "katello-agent"


class KatelloAgent(PackageStep):
    id = "KATELLO_AGENT"
    title = "Install katello-agent and enable and restart goferd (--install-katello-agent)"
    requires = ("REGISTER",)

    def wanted(self, run):
        return [KATELLO_AGENT]

    def run(self, run):
        if not run.options.install_katello_agent:
            return Result(self.id, Status.SKIPPED, "no --install-katello-agent given")
        result = self.install(run)  # every failure is fatal, as in bootstrap.py
        if result.status == Status.UNCHANGED:
            return result
        ctx = run.ctx
        services.enable(ctx, "goferd", step=self.id)
        if services.restart(ctx, "goferd", step=self.id):
            result.detail.append("goferd enabled and restarted")
        else:
            result.detail.append("goferd enabled; %s" % services.DEFERRED)
        return result
