"""INSTALL_PACKAGES: install the packages given with --install-packages."""
from lbenroll.errors import LbenrollError
from lbenroll.results import Result, Status
from lbenroll.options import comma_list
from lbenroll.steps.base import PackageStep


class InstallPackages(PackageStep):
    id = "INSTALL_PACKAGES"
    title = "Install the packages given with --install-packages"

    def wanted(self, run):
        return comma_list(run.options.install_packages)

    def run(self, run):
        if not self.wanted(run):
            return Result(self.id, Status.SKIPPED, "no --install-packages given")
        try:
            return self.install(run)
        except LbenrollError as exc:  # non-fatal, as in bootstrap.py
            return Result(self.id, Status.WARNING, exc.message, remediation=exc.fix)
