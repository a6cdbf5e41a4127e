"""INSTALL_CONSUMER_RPM: install the consumer RPM (without its scriptlets) unless an equivalent
one is."""
import os

from lbenroll import consumer, diskio, fileio, host, packages, rpmversion
from lbenroll.errors import LbenrollError
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step
from lbenroll.writers.base import decode
from lbenroll.writers.rhsm_conf import read_proxy_settings


class InstallConsumerRpm(Step):
    """The package is installed without its scriptlets or triggers (`rpm --noscripts
    --notriggers`): rpm records it, and what its %post would do (the CA files, the trust anchor,
    rhsm.conf) the steps after this one do through lbenroll's writers, reading the values from
    the script's text. FETCH_CONSUMER_RPM has checked that the package holds only that script,
    byte for byte the one read (consumer.check_header), so nothing else of it reaches the disk
    and none of it runs, and that it obsoletes, conflicts with and provides nothing else
    (consumer.check_dependencies), so rpm erases or holds back no other package. A killed run
    can only stop between lbenroll's own atomic steps.

    The new package is installed before the ones it replaces are erased (with --replacefiles:
    they share the script's path; rpm leaves a file another package owns on erase), so a failed
    install leaves the previous package. Both changes are on the undo stack: the rollback erases
    the new package and reinstalls the previous ones from the copies kept in
    /var/lib/lbenroll/consumer-rpm, or says it cannot and what to run; and the rollback's last
    check compares the installed consumer packages with those before the run."""

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
        others = [nvr for nvr in installed if nvr != rpm.package.nvr]
        detail = [reason]
        run.consumer_packages_before = sorted(installed)
        if not ctx.dry_run:
            _forget_copies(ctx, keep=installed)
        self._rpm(run, ["-U", "--replacepkgs", "--replacefiles", "--noscripts", "--notriggers",
                        rpm.path], "install %s" % rpm.package.nvr)
        upgraded = [nvr for nvr in others if rpmversion.split_nvr(nvr)[0] == rpm.package.name]
        erased = [nvr for nvr in others if nvr not in upgraded]
        erase_done = []  # [True] once the replaced packages are erased
        if not ctx.dry_run:
            _keep_copy(ctx, rpm)
            if rpm.package.nvr in installed:
                ctx.undo.push("reinstall the previous %s" % rpm.package.nvr,
                              lambda: _cannot_reinstall(rpm.package.nvr, self.id))
            elif upgraded:
                ctx.undo.push("reinstall %s" % ", ".join(upgraded),
                              lambda: _reinstall(ctx, upgraded, self.id))
            else:
                ctx.undo.push("remove %s" % rpm.package.nvr,
                              lambda: self._remove_new(run, erased, erase_done))
        if erased:
            self._rpm(run, ["-e", "--noscripts", "--notriggers", "--nodeps"] + erased,
                      "remove %s" % ", ".join(erased))
            erase_done.append(True)
            if not ctx.dry_run:
                ctx.undo.push("reinstall %s" % ", ".join(erased),
                              lambda: _reinstall(ctx, erased, self.id))
            detail.append("removed %s without its scriptlets (its %%postun would restore an old "
                          "rhsm.conf)" % ", ".join(erased))
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

    def _remove_new(self, run, erased, erase_done):
        """Undo of the install: erase the new package. When the old ones it replaced are still
        installed (their erase failed), their record of the shared script says "replaced", so
        rpm takes the script with the new package: reinstall them to put their script back."""
        nvr = run.consumer.package.nvr
        self._rpm(run, ["-e", "--noscripts", "--notriggers", "--nodeps", nvr], "remove %s" % nvr)
        if erased and not erase_done:
            _reinstall(run.ctx, erased, self.id)

    def _installed(self, ctx):
        return [package.nvr for package in packages.installed(
            ctx, [host.CONSUMER_PACKAGE_PREFIX + "*"], step=self.id)]

    def _rpm(self, run, args, what):
        ctx = run.ctx
        result = ctx.run(ctx.rpm(*args), changes_host=True)
        if result is not None and not result.ok:
            raise LbenrollError("rpm could not %s: %s" % (what, ctx.runner.output(result)),
                                step=self.id, fix="run the rpm command by hand to see why")


def _copy_dir(ctx):
    return ctx.path(host.CONSUMER_RPM_COPIES)


def _copy_path(ctx, nvr):
    return os.path.join(_copy_dir(ctx), "%s.noarch.rpm" % nvr)


def _keep_copy(ctx, rpm):
    """The installed package's file, kept (root only) so that a later run's rollback can put it
    back: rpm itself keeps no copy of what it erases."""
    diskio.makedirs(ctx, host.CONSUMER_RPM_COPIES)
    with open(rpm.path, "rb") as f:
        data = f.read()
    diskio.replace(_copy_path(ctx, rpm.package.nvr), data, 0o600, 0, 0, None)


def _forget_copies(ctx, keep):
    """Remove the kept packages no longer installed (before this run changes anything)."""
    directory = _copy_dir(ctx)
    if not os.path.isdir(directory):
        return
    wanted = {"%s.noarch.rpm" % nvr for nvr in keep}
    for name in os.listdir(directory):
        if name.endswith(".noarch.rpm") and name not in wanted:
            os.unlink(os.path.join(directory, name))


def _cannot_reinstall(nvr, step):
    raise LbenrollError(
        "the previous %s had the same name, version and release as the package installed "
        "over it; no copy of it can be told apart: reinstall it by hand from its proxy's /pub "
        "with rpm -U --replacepkgs --replacefiles --noscripts --notriggers FILE" % nvr, step=step)


def _reinstall(ctx, nvrs, step):
    """Undo: put back the consumer packages this run replaced, from the kept copies."""
    paths = [_copy_path(ctx, nvr) for nvr in nvrs]
    missing = [nvr for nvr, path in zip(nvrs, paths) if not os.path.isfile(path)]
    if missing:
        raise LbenrollError(
            "no copy of %s is kept (installed before lbenroll kept them); to put it back, "
            "download it from its proxy's /pub and run: rpm -U --oldpackage --replacefiles "
            "--noscripts --notriggers FILE" % ", ".join(missing), step=step)
    result = ctx.run(ctx.rpm("-U", "--oldpackage", "--replacepkgs", "--replacefiles",
                             "--noscripts", "--notriggers", "--nodeps", *paths),
                     changes_host=True)
    if not result.ok:
        raise LbenrollError("rpm could not reinstall %s: %s" % (
            ", ".join(nvrs), ctx.runner.output(result)), step=step)


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
