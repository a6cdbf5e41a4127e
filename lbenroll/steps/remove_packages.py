"""REMOVE_PACKAGES: remove the consumer RPM and, unless skipped, katello-agent, host tools,
puppet-agent."""
from lbenroll import host, packages
from lbenroll.errors import LbenrollError
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step


# bootstrap.py's clean_katello_agent list, by the --skip value that keeps them.
AGENT_PACKAGES = (("katello-agent", ("katello-agent", "gofer")),
                  ("katello-host-tools", ("katello-host-tools",
                                          "katello-host-tools-fact-plugin")),
                  ("puppet", (host.PUPPET_AGENT_PACKAGE,)))


class RemovePackages(Step):
    id = "REMOVE_PACKAGES"
    title = "Remove the consumer RPM and, unless skipped, katello-agent, host tools, puppet-agent"
    requires = ("RESTORE_FILES",)

    def run(self, run):
        pm = packages.PackageManager(run.ctx)
        names = pm.installed(wanted_packages(run.options))
        if not names:
            return Result(self.id, Status.UNCHANGED, "none of the packages are installed")
        try:
            result = pm.transaction("remove", names, step=self.id)
        except LbenrollError as exc:
            result, failure = None, exc.message
        else:
            failure = None if result is None or result.ok else pm.failure(result)
        if failure is not None:  # non-fatal, as in bootstrap.py
            return Result(self.id, Status.WARNING, failure,
                          remediation="remove them by hand: %s remove %s" % (
                              pm.name, " ".join(names)))
        if result is None:
            return Result(self.id, Status.CHANGED, "would remove %s" % ", ".join(names),
                          detail=["would run: %s" % run.ctx.runner.display(
                              pm.argv("remove", *names))])
        return Result(self.id, Status.CHANGED, "removed %s with %s" % (", ".join(names), pm.name),
                      data={"removed": names})


def wanted_packages(options):
    """The package names and globs bootstrap.py removes, less those kept with --skip."""
    names = [host.CONSUMER_PACKAGE_PREFIX + "*"]
    for skip, agent_packages in AGENT_PACKAGES:
        if skip not in options.skip:
            names += agent_packages
    return names
