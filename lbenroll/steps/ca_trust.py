"""CA_TRUST: the Katello server CA in the system trust store (anchor and extracted bundles)."""
import os

from lbenroll import consumer, fileio, host, truststore
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step
from lbenroll.writers.katello_ca import CaTrustAnchorWriter


def bundle_trusts(ctx, pem):
    """Whether the extracted TLS bundle holds the certificate (compared by fingerprint)."""
    data = fileio.read_bytes(ctx, host.TLS_CA_BUNDLE)
    if data is None:
        return False
    wanted = consumer.fingerprint(pem)
    for block in consumer.PEM_RX.findall(data.decode("ascii", "replace")):
        try:
            if consumer.fingerprint(block) == wanted:
                return True
        except ValueError:  # not a certificate ssl can read: not ours either
            continue
    return False


class CaTrust(Step):
    """The anchor, then `update-ca-trust extract` when the anchor changed or the bundle does not
    trust the CA yet (a run killed between the two). The extracted bundles are kept before the
    command, so the undo puts them back byte for byte."""

    id = "CA_TRUST"
    title = "The Katello server CA in the system trust store (anchor and extracted bundles)"
    requires = ("KATELLO_SERVER_CA",)

    def run(self, run):
        ctx, pem = run.ctx, run.consumer.server_ca_pem
        if not os.path.isdir(ctx.path(host.CA_TRUST_ANCHORS_DIR)):
            return Result(self.id, Status.SKIPPED, "%s does not exist: this host has no "
                          "ca-certificates trust store to add the CA to" % (
                              host.CA_TRUST_ANCHORS_DIR))
        result = CaTrustAnchorWriter(pem).run(ctx)
        result.id = self.id
        anchor_changed = result.status == Status.CHANGED
        if not anchor_changed and bundle_trusts(ctx, pem):
            result.summary = "the system trust store trusts the Katello CA (%s)" % (
                host.CA_TRUST_ANCHOR)
            return result
        extraction = truststore.extract(ctx, undoable=True)
        if extraction is None:
            result.status = Status.WARNING
            result.summary = "%s is not installed: the system bundles do not trust the " \
                             "Katello CA yet" % host.UPDATE_CA_TRUST
            result.remediation = "install ca-certificates, then run update-ca-trust extract"
            return result
        if extraction.done is None:
            result.status = Status.CHANGED
            result.detail.append(extraction.line)
            return result
        if extraction.failed:
            result.status = Status.WARNING
            result.summary = extraction.failure
            result.remediation = "run update-ca-trust extract by hand to see why"
            return result
        result.status = Status.CHANGED
        result.summary = ("added the Katello CA to the system trust store" if anchor_changed else
                          "extracted the system bundles again: they did not trust the Katello "
                          "CA")
        result.detail.append(extraction.line)
        return result
