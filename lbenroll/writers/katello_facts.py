"""katello.facts: the host name subscription-manager reports, as bootstrap.py writes it."""
import collections
import json

from lbenroll import host
from lbenroll.writers.base import Target, Writer

# bootstrap.py's generate_katello_facts (docs/katello-client-facts.md, "Parity with Global
# Registration"): Katello names the host by this fact before network.hostname when it registers
# (Katello app/models/katello/host/subscription_facet.rb).
HOSTNAME_OVERRIDE = "network.hostname-override"


class NotFactsFile(Exception):
    """The file is there but is not a JSON object: subscription-manager cannot read it either."""


class KatelloFactsWriter(Writer):
    """Sets network.hostname-override to the FQDN; every other key of the file is kept."""

    id = "KATELLO_FACTS"
    target = Target(host.KATELLO_FACTS, 0o644, "root", "root",
                    "subscription-manager custom fact network.hostname-override = the --fqdn, as "
                    "bootstrap.py writes it")

    def __init__(self, fqdn):
        self.fqdn = fqdn

    def render(self, current_text):
        facts = collections.OrderedDict()
        if current_text is not None:
            try:
                facts = json.loads(current_text, object_pairs_hook=collections.OrderedDict)
            except ValueError:
                facts = None
            if not isinstance(facts, dict):
                raise NotFactsFile("%s is not a JSON object" % self.target.path)
            if facts.get(HOSTNAME_OVERRIDE) == self.fqdn:
                return current_text, []  # right already, whatever its layout
        old = facts.get(HOSTNAME_OVERRIDE)
        facts[HOSTNAME_OVERRIDE] = self.fqdn
        note = "%s: %s -> %s" % (HOSTNAME_OVERRIDE, "(unset)" if old is None else old, self.fqdn)
        # One line, as bootstrap.py writes it; ensure_ascii keeps the file plain ASCII.
        return json.dumps(facts) + "\n", [note]
