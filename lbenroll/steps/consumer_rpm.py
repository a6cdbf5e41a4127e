"""FETCH_CONSUMER_RPM, VERIFY_BALANCER_TLS, INSTALL_CONSUMER_RPM: the balancer's CA package."""

from lbenroll import consumer, fileio, host, rpmversion
from lbenroll.errors import ConfigError, LbenrollError, UnavailableError
from lbenroll.probe import tls_probe
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step
from lbenroll.writers.base import decode
from lbenroll.writers.rhsm_conf import read_proxy_settings


class FetchConsumerRpm(Step):
    id = "FETCH_CONSUMER_RPM"
    title = "Download the katello-ca-consumer RPM through the balancer"
    requires = ("PREFLIGHT",)

    def run(self, run):
        ctx, options = run.ctx, run.options
        rpm = consumer.fetch(ctx, run.balancer, options.download_method, run.tmpdir,
                             options.ca_fingerprint)
        run.consumer = rpm
        run.answering_proxy = rpm.answering_proxy
        detail = ["answering proxy: %s" % rpm.answering_proxy,
                  "package: %s (%d bytes)" % (rpm.package.nvr, rpm.package.size),
                  "Katello CA SHA-256: %s" % consumer.pretty_fingerprint(rpm.fingerprint)]
        status, remediation = Status.UNCHANGED, None
        trusted = consumer.trusted_ca(ctx)
        if trusted and consumer.fingerprint(trusted) != rpm.fingerprint:
            other = consumer.pretty_fingerprint(consumer.fingerprint(trusted))
            served = consumer.pretty_fingerprint(rpm.fingerprint)
            if not (options.force or options.ca_fingerprint == rpm.fingerprint):
                # Checked before anything changes: a host of one Katello must not be turned
                # over to another by a wrong --server or a DNS mistake.
                raise ConfigError(
                    "this host trusts another Katello CA (SHA-256 %s) than the one %s serves "
                    "through %s (SHA-256 %s): the balancer leads to another Katello; nothing "
                    "was changed" % (other, rpm.answering_proxy, run.balancer, served),
                    step=self.id,
                    fix="check that --server names this host's balancer; if the host really "
                        "moves to that Katello, run again with --ca-fingerprint %s%s" % (
                            rpm.fingerprint, "" if options.new_capsule else
                            " (and --force to register it there)"))
            status = Status.WARNING
            detail.append("the Katello CA this host trusted (SHA-256 %s) is replaced, as %s "
                          "asked" % (other, "--force" if options.force else "--ca-fingerprint"))
            remediation = ("confirm the Katello CA was really rotated; pin it with "
                           "--ca-fingerprint to refuse anything else")
        return Result(self.id, status,
                      "%s served %s" % (rpm.answering_proxy, rpm.package.nvr),
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
        result = ctx.run(ctx.rpm("-qa", "--qf", "%{NAME}-%{VERSION}-%{RELEASE}\n",
                                 host.CONSUMER_PACKAGE_PREFIX + "*"))
        return sorted(line.strip() for line in result.stdout.splitlines() if line.strip())

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
