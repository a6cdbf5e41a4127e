"""HOST_TOOLS: install katello-host-tools (package profile and errata reporting)."""
from lbenroll.packages import PackageNotAvailable
from lbenroll.results import Result, Status
from lbenroll.steps.base import PackageStep


HOST_TOOLS = "katello-host-tools"


class HostTools(PackageStep):
    id = "HOST_TOOLS"
    title = "Install katello-host-tools (package profile and errata reporting)"

    def wanted(self, run):
        return [HOST_TOOLS]

    def run(self, run):
        if "katello-host-tools" in run.options.skip:
            return Result(self.id, Status.SKIPPED, "--skip katello-host-tools")
        try:
            return self.install(run)
        except PackageNotAvailable as exc:
            # bootstrap.py exits here; the host is enrolled without them, so lbenroll says
            # what is missing and goes on.
            return Result(self.id, Status.SKIPPED, exc.message, remediation=exc.fix)
