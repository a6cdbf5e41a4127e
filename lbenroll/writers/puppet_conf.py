"""puppet.conf: the Puppet agent's server, CA server and port, certname and noop in [agent]."""
from lbenroll import host
from lbenroll.ini import IniDocument
from lbenroll.writers.base import Target, Writer

SECTION = "agent"


class PuppetConfWriter(Writer):
    """Sets the [agent] keys lbenroll owns; every other section, key and comment is kept.

    Unlike bootstrap.py, which overwrote the whole file, only the owned keys are touched. A
    `ca_port` or `noop` already in the file is left as it is unless one is asked for.
    """

    id = "PUPPET_CONF"
    target = Target(host.PUPPET_CONF, 0o644, "root", "root",
                    "Puppet agent: server, CA server and port, certname, noop")

    def __init__(self, server, ca_server, ca_port=None, certname=None, noop=False):
        self.server = server
        self.ca_server = ca_server
        self.ca_port = ca_port
        self.certname = certname
        self.noop = noop

    def _wanted(self):
        """The [agent] keys and values to write, in the order new keys are added."""
        keys = [("server", self.server), ("ca_server", self.ca_server)]
        if self.ca_port is not None:
            keys.append(("ca_port", str(self.ca_port)))
        if self.certname is not None:
            keys.append(("certname", self.certname.lower()))  # Puppet certnames are lower-case
        if self.noop:
            keys.append(("noop", "true"))
        return keys

    def render(self, current_text):
        # Puppet has no continuation lines and admins indent keys under headers.
        doc = IniDocument(current_text or "", continuation=False)
        notes = []
        for key, value in self._wanted():
            old = doc.get(SECTION, key)
            if doc.set(SECTION, key, value):
                notes.append("%s.%s: %s -> %s"
                             % (SECTION, key, "(unset)" if old is None else old, value))
        return doc.text(), notes
