"""Package and service steps: yum plugins, rhsmcertd, repositories, host tools, updates, extras."""
from lbenroll import fileio, host, services, subman
from lbenroll.errors import LbenrollError
from lbenroll.packages import PackageManager, PackageNotAvailable, did_nothing, no_repositories
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step
from lbenroll.writers.deps_repo import DepsRepoWriter
from lbenroll.writers.yum_plugins import WRITERS

SUBSCRIPTION_MANAGER = "subscription-manager"
HOST_TOOLS = "katello-host-tools"
KATELLO_AGENT = "katello-agent"
# bootstrap.py's `yum update yum openssl python`, in the names EL8 and later use too; only the
# installed ones are named, so dnf is not asked to install a missing one.
PREREQ_UPDATE = (SUBSCRIPTION_MANAGER, "yum", "dnf", "openssl", "python", "python3")
# RHN Classic, RHUI and Spacewalk client packages bootstrap.py removes (reference §4.2).
OBSOLETE_PACKAGES = ("rhn-setup", "rhn-client-tools", "yum-rhn-plugin", "rhnsd", "rhn-check",
                     "rhnlib", "spacewalk-abrt", "spacewalk-oscap", "osad", "rh-*-rhui-client",
                     "candlepin-cert-consumer-*")


def comma_list(value):
    """--enablerepos and --install-packages are comma-separated, as in bootstrap.py."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _combined(step_id, results):
    """One result for several writers: changed if any changed."""
    changed = [r for r in results if r.status == Status.CHANGED]
    detail = [line for r in results for line in [r.summary] + r.detail]
    if not changed:
        return Result(step_id, Status.UNCHANGED, "already enabled", detail=detail)
    return Result(step_id, Status.CHANGED, "; ".join(r.summary for r in changed), detail=detail,
                  diff=lambda: "".join(r.diff or "" for r in changed))


class Prerequisites(Step):
    id = "PREREQUISITES"
    title = "subscription-manager is installed and, unless --skip prereq-update, current"

    def run(self, run):
        options = run.options
        if not options.deps_repository_url:
            return self.ensure(run)
        writer = DepsRepoWriter(options.deps_repository_url, options.deps_repository_gpg_key)
        plan = writer.plan(fileio.read_bytes(run.ctx, writer.target.path))
        if run.ctx.dry_run:
            result = self.ensure(run)
            result.detail.insert(0, "would write %s for this step" % writer.target.path)
            return result
        fileio.write_file(run.ctx, writer.target, plan.wanted, undo=False)
        try:
            result = self.ensure(run)
        finally:  # bootstrap.py deletes it too: later dnf runs must not use it
            fileio.restore_bytes(run.ctx, writer.target, plan.current)
        result.detail.insert(0, "used %s temporarily" % writer.target.path)
        return result

    def ensure(self, run):
        pm = PackageManager(run.ctx)
        if SUBSCRIPTION_MANAGER in pm.installed([SUBSCRIPTION_MANAGER]):
            status, detail = Status.UNCHANGED, ["subscription-manager is installed"]
        else:
            status, detail = Status.CHANGED, [self.install(run, pm)]
        if "prereq-update" in run.options.skip:
            detail.append("not updated: --skip prereq-update")
            return Result(self.id, status, detail[0], detail=detail[1:])
        names = pm.installed(PREREQ_UPDATE)
        if not names:  # `dnf update` without names would update everything
            return Result(self.id, status, detail[0], detail=detail[1:])
        result = pm.transaction("update", names, step=self.id)
        if result is None:
            return Result(self.id, Status.CHANGED, "would update %s" % ", ".join(names),
                          detail=detail)
        if not result.ok and no_repositories(result):
            # Usual before the first registration: there is nothing to update from yet.
            detail.append("not updated: no repository is enabled yet")
            return Result(self.id, status, detail[0], detail=detail[1:])
        if not result.ok:  # non-fatal, as in bootstrap.py
            return Result(self.id, Status.WARNING, pm.failure(result), detail=detail,
                          remediation="run %s update by hand to see why" % pm.name)
        if did_nothing(result):
            return Result(self.id, status, "%s up to date" % ", ".join(names), detail=detail)
        return Result(self.id, Status.CHANGED, "updated %s" % ", ".join(names), detail=detail)

    def install(self, run, pm):
        # Not available raises PackageNotAvailable: fatal, as in bootstrap.py.
        result = pm.transaction("install", [SUBSCRIPTION_MANAGER], step=self.id)
        if result is None:
            return "would install subscription-manager"
        if not result.ok:
            raise LbenrollError(pm.failure(result), step=self.id,
                                fix="install subscription-manager by hand to see why")
        return "installed subscription-manager with %s" % pm.name


class YumPlugins(Step):
    id = "YUM_PLUGINS"
    title = "Enable the product-id and subscription-manager plugins of dnf or yum"

    def run(self, run):
        writers = WRITERS[PackageManager(run.ctx).name]
        return _combined(self.id, [writer().run(run.ctx) for writer in writers])


class Rhsmcertd(Step):
    id = "RHSMCERTD"
    title = "Enable and restart rhsmcertd after registering"
    requires = ("REGISTER",)

    def run(self, run):
        ctx = run.ctx
        if not run.changed("REGISTER"):
            return Result(self.id, Status.UNCHANGED,
                          "registration unchanged; rhsmcertd left as it is")
        services.enable(ctx, "rhsmcertd", step=self.id)
        started = services.restart(ctx, "rhsmcertd", step=self.id)
        if ctx.dry_run:
            return Result(self.id, Status.CHANGED, "would enable %s rhsmcertd" % (
                "and restart" if started else "(start deferred: systemd is not running)"))
        if started:
            return Result(self.id, Status.CHANGED, "rhsmcertd enabled and restarted")
        return Result(self.id, Status.CHANGED, "rhsmcertd enabled; %s" % services.DEFERRED,
                      detail=["it starts at the next boot"])


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
        fileio.backup_before_command(ctx, [host.REDHAT_REPO])
        result = ctx.run(argv, changes_host=True)
        if result is None:
            return Result(self.id, Status.CHANGED, "would enable %s" % ", ".join(repos),
                          detail=["would run: %s" % ctx.runner.display(argv)])
        if not result.ok:  # non-fatal, as in bootstrap.py
            return Result(self.id, Status.WARNING, "could not enable %s: %s" % (
                ", ".join(repos), ctx.runner.output(result)),
                remediation="check the repository ids with: subscription-manager repos --list")
        return Result(self.id, Status.CHANGED, "enabled %s" % ", ".join(repos))


class PackageStep(Step):
    """Installs packages that are not installed yet; a re-run finds them and does nothing."""

    def wanted(self, run):
        raise NotImplementedError

    def install(self, run):
        pm = PackageManager(run.ctx)
        names = self.wanted(run)
        missing = [name for name in names if name not in pm.installed(names)]
        if not missing:
            return Result(self.id, Status.UNCHANGED, "%s already installed" % ", ".join(names))
        result = pm.transaction("install", missing, step=self.id)
        if result is None:
            return Result(self.id, Status.CHANGED, "would install %s" % ", ".join(missing),
                          detail=["would run: %s" % run.ctx.runner.display(pm.argv(
                              "install", *missing))])
        if not result.ok:
            return self.failed(pm.failure(result))
        if did_nothing(result):
            return Result(self.id, Status.UNCHANGED, "%s already installed" % ", ".join(names))
        return Result(self.id, Status.CHANGED, "installed %s with %s" % (
            ", ".join(missing), pm.name))

    def failed(self, message):
        raise LbenrollError(message, step=self.id,
                            fix="run the command by hand to see why, fix it and run again")


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


class Update(Step):
    id = "UPDATE"
    title = "Update all packages (-u/--update)"

    def run(self, run):
        if not run.options.update:
            return Result(self.id, Status.SKIPPED, "no -u/--update given")
        pm = PackageManager(run.ctx)
        result = pm.transaction("update", step=self.id)
        if result is None:
            return Result(self.id, Status.CHANGED, "would update all packages with %s" % pm.name)
        if not result.ok:  # fatal, as in bootstrap.py
            raise LbenrollError(pm.failure(result), step=self.id,
                                fix="run %s update by hand to see why" % pm.name)
        if did_nothing(result):
            return Result(self.id, Status.UNCHANGED, "all packages are up to date")
        return Result(self.id, Status.CHANGED, "updated all packages with %s" % pm.name)


class ObsoletePackages(Step):
    id = "OBSOLETE_PACKAGES"
    title = "Remove RHN Classic, RHUI and Spacewalk client packages"

    def run(self, run):
        if "remove-obsolete-packages" in run.options.skip:
            return Result(self.id, Status.SKIPPED, "--skip remove-obsolete-packages")
        pm = PackageManager(run.ctx)
        installed = pm.installed(OBSOLETE_PACKAGES)
        if not installed:
            return Result(self.id, Status.UNCHANGED, "no obsolete client packages installed")
        result = pm.transaction("remove", installed, step=self.id)
        if result is None:
            return Result(self.id, Status.CHANGED, "would remove %s" % ", ".join(installed))
        if not result.ok:  # non-fatal, as in bootstrap.py
            return Result(self.id, Status.WARNING, pm.failure(result),
                          remediation="remove them by hand: %s remove %s" % (
                              pm.name, " ".join(installed)))
        return Result(self.id, Status.CHANGED, "removed %s" % ", ".join(installed))
