"""HOST_TOOLS: install katello-host-tools (package profile and errata reporting)."""
from lbenroll import host
from lbenroll.packages import PackageNotAvailable, installed_names
from lbenroll.results import Result, Status
from lbenroll.steps.base import PackageStep, registration_stands


class HostTools(PackageStep):
    id = "HOST_TOOLS"
    title = "Install katello-host-tools (package profile and errata reporting)"

    def wanted(self, run):
        return [host.HOST_TOOLS_PACKAGE]

    def run(self, run):
        if "katello-host-tools" in run.options.skip:
            return Result(self.id, Status.SKIPPED, "--skip katello-host-tools")
        if registration_stands(run):
            # As repair: a run on a registered host heals configuration and installs nothing
            # (a dnf attempt per run for a package no repository has would be most of its
            # cost); the enrollment that registered it tried once.
            name = host.HOST_TOOLS_PACKAGE
            if installed_names(run.ctx, [name]):
                return Result(self.id, Status.UNCHANGED, "%s already installed" % name)
            return Result(self.id, Status.SKIPPED, "%s is not installed; a run on a registered "
                          "host installs no packages" % name,
                          remediation="install it with dnf once a repository provides it")
        try:
            return self.install(run)
        except PackageNotAvailable as exc:
            # bootstrap.py exits here; the host is enrolled without them, so lbenroll says
            # what is missing and goes on.
            return Result(self.id, Status.SKIPPED, exc.message, remediation=exc.fix)
