"""VERIFY_BALANCER_TLS: check that the balancer's RHSM port presents a certificate for the
balancer name."""
from lbenroll.errors import ConfigError, UnavailableError
from lbenroll.probe import tls_probe
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step


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
