"""REMOVE_PACKAGES: remove the consumer RPM and, unless skipped, katello-agent, host tools, the
Puppet agent (puppet-agent or openvox-agent)."""
from lbenroll import host, packages
from lbenroll.errors import LbenrollError
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step


# bootstrap.py's clean_katello_agent list, by the --skip value that keeps them.
AGENT_PACKAGES = (("katello-agent", ("katello-agent", "gofer")),
                  ("katello-host-tools", ("katello-host-tools",
                                          "katello-host-tools-fact-plugin")),
                  ("puppet", host.PUPPET_AGENT_PACKAGES))


class RemovePackages(Step):
    id = "REMOVE_PACKAGES"
    title = ("Remove the consumer RPM and, unless skipped, katello-agent, host tools, the Puppet "
             "agent")
    requires = ("RESTORE_FILES",)

    def run(self, run):
        ctx = run.ctx
        pm = packages.PackageManager(ctx)
        names = packages.installed_names(ctx, wanted_packages(run.options))
        if not names:
            return Result(self.id, Status.UNCHANGED, "none of the packages are installed")
        # The consumer package goes without its scriptlets, as lbenroll installs it: installed
        # with them (bootstrap.py, a hand install), its %postun would copy rhsm.conf.kat-backup
        # over the rhsm.conf RESTORE_FILES has just put back.
        consumers = [n for n in names if n.startswith(host.CONSUMER_PACKAGE_PREFIX)]
        others = [n for n in names if n not in consumers]
        argvs = ([ctx.rpm("-e", "--noscripts", "--nodeps", *consumers)] if consumers else []) + (
            [pm.argv("remove", *others)] if others else [])
        failure = None
        try:
            done = ctx.run(argvs[0], changes_host=True) if consumers else None
            if done is not None and not done.ok:
                failure = pm.failure(done)
            elif others:
                done = pm.transaction("remove", others, step=self.id)
                failure = None if done is None or done.ok else pm.failure(done)
        except LbenrollError as exc:
            failure = exc.message
        if failure is not None:  # non-fatal, as in bootstrap.py
            return Result(self.id, Status.WARNING, failure, remediation="remove them by hand: %s"
                          % "; ".join(ctx.runner.display(argv) for argv in argvs))
        if ctx.dry_run:
            return Result(self.id, Status.CHANGED, "would remove %s" % ", ".join(names),
                          detail=["would run: %s" % ctx.runner.display(argv) for argv in argvs])
        return Result(self.id, Status.CHANGED, "removed %s" % ", ".join(names),
                      detail=["ran: %s" % ctx.runner.display(argv) for argv in argvs],
                      data={"removed": names})


def wanted_packages(options):
    """The package names and globs bootstrap.py removes, less those kept with --skip."""
    names = [host.CONSUMER_PACKAGE_PREFIX + "*"]
    for skip, agent_packages in AGENT_PACKAGES:
        if skip not in options.skip:
            names += agent_packages
    return names
