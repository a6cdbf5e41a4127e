"""FETCH_CONSUMER_RPM: download the katello-ca-consumer RPM through the balancer."""
from lbenroll import consumer
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step


class FetchConsumerRpm(Step):
    id = "FETCH_CONSUMER_RPM"
    title = "Download the katello-ca-consumer RPM through the balancer"
    requires = ("PREFLIGHT",)

    def run(self, run):
        ctx, options = run.ctx, run.options
        # Checked before anything changes (consumer.check_trust): a host of one Katello must
        # not be turned over to another by a wrong --server, a DNS mistake or an attacker.
        rpm = consumer.fetch(ctx, run.balancer, options.download_method, run.tmpdir,
                             consumer.Trust.of(ctx, options))
        run.consumer = rpm
        run.answering_proxy = rpm.answering_proxy
        detail = ["answering proxy: %s" % rpm.answering_proxy,
                  "package: %s (%d bytes, %s)" % (
                      rpm.package.nvr, rpm.package.size,
                      "HTTPS verified against the Katello CA" if rpm.verified else
                      "first contact: not verified, nothing to verify it with"),
                  "Katello CA SHA-256: %s" % consumer.pretty_fingerprint(rpm.fingerprint)]
        detail += ["%s SHA-256: %s" % (role, consumer.pretty_fingerprint(consumer.fingerprint(
            pem))) for role, pem in rpm.cas if consumer.fingerprint(pem) != rpm.fingerprint]
        status, remediation = Status.UNCHANGED, None
        if rpm.rotated:
            status = Status.WARNING
            detail += ["the %s SHA-256 %s replaces the one this host trusted, as --rotate-ca "
                       "asked" % (role, consumer.pretty_fingerprint(digest))
                       for role, digest in rpm.rotated]
            remediation = "confirm the Katello CA was really rotated"
        return Result(self.id, status,
                      "%s served %s" % (rpm.answering_proxy, rpm.package.nvr),
                      detail=detail, remediation=remediation,
                      data={"answering_proxy": rpm.answering_proxy, "package": rpm.package.nvr,
                            "ca_sha256": rpm.fingerprint, "verified": rpm.verified,
                            "cas_sha256": [consumer.fingerprint(pem) for _, pem in rpm.cas]})
