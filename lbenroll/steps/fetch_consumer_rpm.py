"""FETCH_CONSUMER_RPM: download the katello-ca-consumer RPM through the balancer."""
from lbenroll import consumer
from lbenroll.errors import ConfigError
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step


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
