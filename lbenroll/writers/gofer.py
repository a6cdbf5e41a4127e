"""katello-agent's goferd plugin config: an explicit broker URL must name the balancer."""
from lbenroll import host
from lbenroll.ini import IniDocument
from lbenroll.urls import retarget
from lbenroll.writers.base import Target, Writer


class GoferKatelloWriter(Writer):
    """Points a non-empty `[messaging] url` at the balancer, keeping scheme and port.

    An empty url is the shipped default: the plugin then builds the broker URL from rhsm.conf's
    server.hostname at start-up (katello-host-tools, goferd plugin `update_settings`), which the
    rhsm.conf writer already sets, so there is nothing to change.
    """

    id = "GOFER_KATELLO_CONF"
    target = Target(host.GOFER_KATELLO_CONF, 0o644, "root", "root",
                    "katello-agent (goferd) plugin: an explicit broker URL")

    def __init__(self, balancer):
        self.balancer = balancer

    def render(self, current_text):
        if current_text is None:
            return None  # katello-agent is not installed (it was removed in Katello 4.11)
        doc = IniDocument(current_text)
        url = doc.get("messaging", "url") or ""
        new_url = retarget(url, self.balancer)
        if new_url is None:
            return current_text, []
        doc.set("messaging", "url", new_url)
        return doc.text(), ["messaging.url: %s -> %s" % (url, new_url)]
