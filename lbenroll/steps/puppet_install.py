"""PUPPET_INSTALL: install the Puppet agent, puppet-agent or OpenVox's openvox-agent (not with
--skip puppet, nor without Foreman)."""
from lbenroll import backup, host, puppet_agent
from lbenroll.errors import LbenrollError
from lbenroll.packages import PackageManager, PackageNotAvailable, did_nothing, installed_names
from lbenroll.results import Result, Status
from lbenroll.steps.base import AgentStep


class PuppetInstall(AgentStep):
    id = "PUPPET_INSTALL"
    title = ("Install the Puppet agent, puppet-agent or openvox-agent (not with --skip puppet, "
             "nor without Foreman)")

    def agent(self, run):
        ctx, pm = run.ctx, PackageManager(run.ctx)
        installed = installed_names(ctx, host.PUPPET_AGENT_PACKAGES)  # the run's one rpm query
        name = puppet_agent.package(run.options, installed)
        if name in installed:
            return Result(self.id, Status.UNCHANGED, "%s already installed" % name)
        # PUPPET_CONF's own backup would come after the install and keep the package's file:
        # keep puppet.conf as it was before the package brought its own (or that it was absent).
        backup.backup_before_command(ctx, [host.PUPPET_CONF])
        try:
            result = pm.transaction("install", [name], step=self.id)
        except PackageNotAvailable as exc:
            exc.fix = "%s; or add --skip puppet to enroll without the Puppet agent" % exc.fix
            raise
        if result is None:
            return Result(self.id, Status.CHANGED, "would install %s" % name, detail=[
                "would run: %s" % ctx.runner.display(pm.argv("install", name))])
        if not result.ok:  # fatal, as in bootstrap.py
            raise LbenrollError(pm.failure(result), step=self.id,
                                fix="run %s install %s by hand to see why" % (pm.name, name))
        if did_nothing(result):
            return Result(self.id, Status.UNCHANGED, "%s already installed" % name)
        ctx.undo.push("remove %s (installed by this run)" % name, lambda: _remove(pm, name))
        return Result(self.id, Status.CHANGED, "installed %s with %s" % (name, pm.name))


def _remove(pm, name):
    result = pm.transaction("remove", [name])
    if result is not None and not result.ok:
        raise RuntimeError(pm.failure(result))
