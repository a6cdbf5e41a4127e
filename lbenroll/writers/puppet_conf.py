"""puppet.conf: the Puppet agent's server, CA server and port, certname and noop in [agent]."""
from lbenroll import host
from lbenroll.ini import IniDocument
from lbenroll.urls import same_host
from lbenroll.writers.base import Target, Writer

SECTION = "agent"


class PuppetConfWriter(Writer):
    """Sets the [agent] keys lbenroll owns; every other section, key and comment is kept.

    Unlike bootstrap.py, which overwrote the whole file, only the owned keys are touched. A
    `noop` already in the file is left as it is unless one is asked for, and so is a `ca_port`,
    unless the CA server moves to another host: the port belonged to the old CA server (moving
    from a balancer that forwards the Puppet CA on 8141 to one that does not must not keep 8141).
    drop_ca_port (a move, --new-capsule) removes a ca_port that was not asked for in any case.
    """

    id = "PUPPET_CONF"
    target = Target(host.PUPPET_CONF, 0o644, "root", "root",
                    "Puppet agent: server, CA server and port, certname, noop")

    def __init__(self, server, ca_server, ca_port=None, certname=None, noop=False,
                 drop_ca_port=False):
        self.server = server
        self.drop_ca_port = drop_ca_port
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
        # Puppet's ca_server defaults to server.
        old_ca_server = doc.get(SECTION, "ca_server") or doc.get(SECTION, "server")
        notes = []
        for key, value in self._wanted():
            old = doc.get(SECTION, key)
            if doc.set(SECTION, key, value):
                notes.append("%s.%s: %s -> %s"
                             % (SECTION, key, "(unset)" if old is None else old, value))
        old_port = doc.get(SECTION, "ca_port")
        if self.ca_port is None and old_port is not None:
            if old_ca_server and not same_host(old_ca_server, self.ca_server):
                why = "the port of the old CA server %s" % old_ca_server
            elif self.drop_ca_port:
                why = "a move without --puppet-ca-port"
            else:
                why = None
            if why:
                doc.remove(SECTION, "ca_port")
                notes.append("%s.ca_port: %s -> (removed: %s)" % (SECTION, old_port, why))
        return doc.text(), notes
