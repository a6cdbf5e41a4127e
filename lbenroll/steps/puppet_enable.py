"""PUPPET_ENABLE: enable and (re)start the puppet service unless --skip puppet-enable."""
from lbenroll import host, services
from lbenroll.results import Result, Status
from lbenroll.steps.base import AgentStep


# Steps after which the agent must be (re)started to use what they changed.
AGENT_INPUTS = ("PUPPET_INSTALL", "PUPPET_CONF", "PUPPET_CERT")


class PuppetEnable(AgentStep):
    id = "PUPPET_ENABLE"
    title = "Enable and (re)start the puppet service unless --skip puppet-enable"

    def agent(self, run):
        if "puppet-enable" in run.options.skip:
            return Result(self.id, Status.SKIPPED,
                          "skipped with --skip puppet-enable: the puppet service is left as it is")
        ctx, unit = run.ctx, host.PUPPET_SERVICE
        changed = [step for step in AGENT_INPUTS if run.changed(step)]
        if not changed and services.is_enabled(ctx, unit):
            return Result(self.id, Status.UNCHANGED, "%s is enabled; the agent's package, "
                          "configuration and certificate are unchanged" % unit)
        services.enable(ctx, unit, step=self.id)
        started = services.restart(ctx, unit, step=self.id)
        if ctx.dry_run:
            return Result(self.id, Status.CHANGED, "would enable %s %s" % (
                unit, "and restart it" if started else "(%s)" % services.DEFERRED))
        if started:
            return Result(self.id, Status.CHANGED, "%s enabled and restarted" % unit)
        return Result(self.id, Status.CHANGED, "%s enabled; %s" % (unit, services.DEFERRED),
                      detail=["it starts at the next boot"])
