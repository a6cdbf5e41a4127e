"""KATELLO_FACTS: /etc/rhsm/facts/katello.facts names the host by its --fqdn, as bootstrap.py
writes it before registering, so that Katello names the host that way."""
from lbenroll import host
from lbenroll.results import Result, Status
from lbenroll.steps.base import WriterStep
from lbenroll.writers.katello_facts import KatelloFactsWriter, NotFactsFile


class KatelloFacts(WriterStep):
    id = "KATELLO_FACTS"
    title = "katello.facts: network.hostname-override = the FQDN, as bootstrap.py writes it"
    requires = ("PREFLIGHT",)

    def writer(self, run):
        return KatelloFactsWriter(run.options.fqdn)

    def run(self, run):
        try:
            return super(KatelloFacts, self).run(run)
        except NotFactsFile as exc:
            # Not lbenroll's to replace: whatever wrote it keeps it, and is told.
            return Result(self.id, Status.WARNING, "%s; left alone" % exc,
                          remediation="fix or remove %s (subscription-manager reads each *.facts "
                                      "file in %s as one JSON object), then run `lbenroll "
                                      "repair`" % (host.KATELLO_FACTS, host.RHSM_FACTS_DIR))
