"""FETCH_CONSUMER_RPM, VERIFY_BALANCER_TLS, INSTALL_CONSUMER_RPM: the balancer's CA package."""
import os

from lbenroll import consumer, fileio, host, rpmversion
from lbenroll.errors import ConfigError, LbenrollError, UnavailableError
from lbenroll.probe import tls_probe
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step
from lbenroll.writers.base import Target, decode
from lbenroll.writers.rhsm_conf import read_proxy_settings


class FetchConsumerRpm(Step):
    id = "FETCH_CONSUMER_RPM"
    title = "Download the katello-ca-consumer RPM through the balancer"
    requires = ("PREFLIGHT",)

    def run(self, run):
        ctx, options = run.ctx, run.options
        url = "%s://%s%s" % (options.download_method, run.balancer, host.CONSUMER_RPM_PATH)
        data = consumer.download(url, options.timeout)
        path = os.path.join(run.tmpdir, "consumer.rpm")
        with open(path, "wb") as f:
            f.write(data)

        def extract(_data):
            result = ctx.run(["rpm2cpio", path], binary=True)
            if not result.ok:
                raise LbenrollError("rpm2cpio failed on %s: %s" % (url, ctx.runner.output(result)),
                                    step=self.id, fix="install the rpm package (provides rpm2cpio)")
            return result.stdout

        rpm = consumer.parse(url, data, extract)
        rpm.path = path
        consumer.check_pin(rpm, options.ca_fingerprint)
        run.consumer = rpm
        run.answering_proxy = rpm.answering_proxy
        detail = ["answering proxy: %s" % rpm.answering_proxy,
                  "package: %s (%d bytes)" % (rpm.package.nvr, rpm.package.size),
                  "Katello CA SHA-256: %s" % consumer.pretty_fingerprint(rpm.fingerprint)]
        status, remediation = Status.UNCHANGED, None
        installed = consumer.installed_ca(ctx)
        if installed and consumer.fingerprint(installed) != rpm.fingerprint:
            status = Status.WARNING
            detail.append("the installed Katello CA differs (SHA-256 %s): the CA was replaced" % (
                consumer.pretty_fingerprint(consumer.fingerprint(installed))))
            remediation = ("confirm the Katello CA was really rotated; pin it with "
                           "--ca-fingerprint to refuse anything else")
        return Result(self.id, status,
                      "fetched %s from %s" % (rpm.package.nvr, rpm.answering_proxy),
                      detail=detail, remediation=remediation,
                      data={"answering_proxy": rpm.answering_proxy, "package": rpm.package.nvr,
                            "ca_sha256": rpm.fingerprint})


class VerifyBalancerTls(Step):
    id = "VERIFY_BALANCER_TLS"
    title = "Check that the balancer's RHSM port presents a certificate for the balancer name"
    requires = ("FETCH_CONSUMER_RPM",)

    def run(self, run):
        rpm = run.consumer
        port = rpm.rhsm_port
        probe = tls_probe(run.balancer, port, rpm.server_ca_pem,
                          timeout=min(run.options.timeout, 30))
        where = "%s:%d" % (run.balancer, port)
        if not probe.reachable:
            raise UnavailableError(
                "cannot connect to %s: %s" % (where, probe.error), step=self.id,
                fix="check that the balancer forwards port %d to the proxies" % port)
        if not probe.chain_ok:
            raise ConfigError(
                "the certificate presented on %s does not chain to the Katello CA in %s (%s)" % (
                    where, rpm.package.nvr, probe.error), step=self.id,
                fix="every proxy behind the balancer must use certificates from the same "
                    "Katello CA")
        proxy = ", ".join(probe.other_names()) or "the proxy that answered"
        if not probe.name_ok:
            raise ConfigError(
                "the certificate of %s (names: %s) does not carry the balancer name %s" % (
                    proxy, ", ".join(probe.names), run.balancer), step=self.id,
                fix="generate that proxy's certificates with `foreman-proxy-certs-generate "
                    "--foreman-proxy-cname %s` and install them with `--certs-cname %s`" % (
                        run.balancer, run.balancer))
        return Result(self.id, Status.UNCHANGED, "%s presents a valid certificate for %s" % (
            where, run.balancer), detail=["certificate names: %s" % ", ".join(probe.names)])


class InstallConsumerRpm(Step):
    id = "INSTALL_CONSUMER_RPM"
    title = "Install the consumer RPM unless one with the same CA and no older build is installed"
    requires = ("VERIFY_BALANCER_TLS",)

    def run(self, run):
        ctx, rpm = run.ctx, run.consumer
        rhsm_conf = decode(fileio.read_bytes(ctx, host.RHSM_CONF) or b"")
        run.proxy_settings = read_proxy_settings(rhsm_conf)
        installed = self._installed(ctx)
        ca_on_disk = consumer.installed_ca(ctx)
        ca_matches = ca_on_disk is not None and consumer.fingerprint(ca_on_disk) == rpm.fingerprint
        outdated = _outdated(installed, rpm.package)
        if installed and ca_matches and not outdated:
            # Behind a round-robin port 80 each run may get another proxy's package; they differ
            # only by name. What matters is the CA, and rhsm.conf, which the next step corrects.
            return Result(self.id, Status.UNCHANGED, "%s installed with the same CA" % installed[0],
                          detail=["served this run: %s" % rpm.package.nvr])
        others = [name for name in installed if name != rpm.package.nvr]
        detail = []
        if outdated:
            detail.append("%s is served, newer than the installed %s (a rebuilt proxy)" % (
                rpm.package.nvr, outdated))
        snapshot = _snapshot(ctx, host.CONSUMER_POST_FILES)
        # The package scripts write these files themselves: back up the originals first.
        fileio.backup_before_command(ctx, host.CONSUMER_POST_FILES)
        if others:
            # The old package's %postun would copy rhsm.conf.kat-backup over the new rhsm.conf.
            self._rpm(run, ["-e", "--nopostun", "--nodeps"] + others,
                      "remove %s" % ", ".join(others))
            detail.append("removed %s without its %%postun (which would restore an old rhsm.conf)"
                          % ", ".join(others))
        self._rpm(run, ["-U", "--replacepkgs", rpm.path], "install %s" % rpm.package.nvr)
        if not ctx.dry_run:
            if others:
                ctx.undo.push("restore the files %s changed" % rpm.package.nvr,
                              lambda: _restore(ctx, snapshot))
            else:
                ctx.undo.push("remove %s and restore the files it changed" % rpm.package.nvr,
                              lambda: self._uninstall(run, snapshot))
        verb = "would install" if ctx.dry_run else "installed"
        detail.append("its %%post points rhsm.conf at %s; the next step corrects that" %
                      rpm.answering_proxy)
        return Result(self.id, Status.CHANGED, "%s %s" % (verb, rpm.package.nvr), detail=detail)

    def _installed(self, ctx):
        result = ctx.run(ctx.rpm("-qa", "--qf", "%{NAME}-%{VERSION}-%{RELEASE}\n",
                                 host.CONSUMER_PACKAGE_PREFIX + "*"))
        return sorted(line.strip() for line in result.stdout.splitlines() if line.strip())

    def _rpm(self, run, args, what):
        ctx = run.ctx
        result = ctx.run(ctx.rpm(*args), changes_host=True, timeout=run.options.timeout)
        if result is not None and not result.ok:
            raise LbenrollError("rpm could not %s: %s" % (what, ctx.runner.output(result)),
                                step=self.id, fix="run the rpm command by hand to see why")

    def _uninstall(self, run, snapshot):
        ctx = run.ctx
        ctx.run(ctx.rpm("-e", "--noscripts", "--nodeps", run.consumer.package.nvr),
                changes_host=True)
        _restore(ctx, snapshot)


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


def _snapshot(ctx, paths):
    """Bytes (or absence) of files and of their parent directories, before a package script."""
    return [(path, fileio.read_bytes(ctx, path), os.path.isdir(ctx.path(os.path.dirname(path))))
            for path in paths]


def _restore(ctx, snapshot):
    for path, data, parent_existed in snapshot:
        fileio.restore_bytes(ctx, Target(path, 0o644, "root", "root", ""), data)
        parent = ctx.path(os.path.dirname(path))
        if not parent_existed and os.path.isdir(parent) and not os.listdir(parent):
            os.rmdir(parent)
