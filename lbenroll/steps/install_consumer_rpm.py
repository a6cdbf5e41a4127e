"""INSTALL_CONSUMER_RPM: install the consumer RPM (without its scriptlets) unless an equivalent
one is."""
from lbenroll import consumer, fileio, host, packages, rpmversion
from lbenroll.errors import LbenrollError
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step
from lbenroll.writers.base import decode
from lbenroll.writers.rhsm_conf import read_proxy_settings


class InstallConsumerRpm(Step):
    """The package is installed without its scriptlets (`rpm --noscripts`): rpm records it, and
    what its %post would do (the CA files, the trust anchor, rhsm.conf) the steps after this one
    do through lbenroll's writers, reading the values from the script's text. So no code
    downloaded over plain HTTP runs as root, a killed run can only stop between lbenroll's own
    atomic steps, and the rollback and --dry-run cover everything."""

    id = "INSTALL_CONSUMER_RPM"
    title = "Install the consumer RPM (without its scriptlets) unless an equivalent one is"
    requires = ("VERIFY_BALANCER_TLS",)

    def run(self, run):
        ctx, rpm = run.ctx, run.consumer
        rhsm_conf = decode(fileio.read_bytes(ctx, host.RHSM_CONF) or b"")
        run.proxy_settings = read_proxy_settings(rhsm_conf)
        installed = self._installed(ctx)
        outdated = _outdated(installed, rpm.package)
        reason = self._reason_to_install(run, installed, outdated)
        if reason is None:
            # Behind a round-robin port 80 each run may get another proxy's package; they differ
            # only by name. What matters is the CA, which the next steps write.
            return Result(self.id, Status.UNCHANGED, "%s is installed, with the same CA" % (
                installed[0]), detail=["served this run: %s" % rpm.package.nvr])
        others = [name for name in installed if name != rpm.package.nvr]
        detail = [reason]
        if others:
            self._rpm(run, ["-e", "--noscripts", "--nodeps"] + others,
                      "remove %s" % ", ".join(others))
            detail.append("removed %s without its scriptlets (its %%postun would restore an old "
                          "rhsm.conf)" % ", ".join(others))
        self._rpm(run, ["-U", "--replacepkgs", "--noscripts", rpm.path],
                  "install %s" % rpm.package.nvr)
        if not ctx.dry_run and not others:
            ctx.undo.push("remove %s" % rpm.package.nvr, lambda: ctx.run(
                ctx.rpm("-e", "--noscripts", "--nodeps", rpm.package.nvr), changes_host=True))
        verb = "would install" if ctx.dry_run else "installed"
        detail.append("its scriptlets were not run: lbenroll writes what its %%post would, with "
                      "the balancer's name instead of %s" % rpm.answering_proxy)
        return Result(self.id, Status.CHANGED, "%s %s" % (verb, rpm.package.nvr), detail=detail)

    def _reason_to_install(self, run, installed, outdated):
        """Why the served package must be installed, or None when the installed one will do."""
        rpm = run.consumer
        if not installed:
            return "no katello-ca-consumer package is installed"
        if outdated:
            return "%s is served, newer than the installed %s (a rebuilt proxy)" % (
                rpm.package.nvr, outdated)
        script_ca = consumer.installed_script_ca(run.ctx)
        if script_ca is None or consumer.fingerprint(script_ca) != rpm.fingerprint:
            return "the installed %s carries another CA" % installed[0]
        balancer_package = host.CONSUMER_PACKAGE_PREFIX + run.balancer
        if rpm.package.name == balancer_package and not any(
                name.startswith(balancer_package + "-") for name in installed):
            # The proxies build their package for the balancer name (installed with
            # --foreman-proxy-registration-url): it replaces a single proxy's package.
            return "%s replaces %s, built for one proxy" % (rpm.package.nvr, installed[0])
        return None

    def _installed(self, ctx):
        return [package.nvr for package in packages.installed(
            ctx, [host.CONSUMER_PACKAGE_PREFIX + "*"], step=self.id)]

    def _rpm(self, run, args, what):
        ctx = run.ctx
        result = ctx.run(ctx.rpm(*args), changes_host=True)
        if result is not None and not result.ok:
            raise LbenrollError("rpm could not %s: %s" % (what, ctx.runner.output(result)),
                                step=self.id, fix="run the rpm command by hand to see why")


def _outdated(installed, package):
    """The installed NVR of the served package's name when it is an older build, else None.

    Only the same name counts: another proxy's package with the same CA is not a reason to
    reinstall, but the same proxy's package in a new release (its proxy was rebuilt) is.
    """
    for nvr in installed:
        name, version, release = rpmversion.split_nvr(nvr)
        if name == package.name and rpmversion.older((version, release),
                                                     (package.version, package.release)):
            return nvr
    return None
