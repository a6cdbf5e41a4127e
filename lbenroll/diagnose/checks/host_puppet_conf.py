"""HOST_PUPPET_CONF: puppet.conf's server and ca_server name the balancer, and ca_port leads to
the Puppet CA."""
from lbenroll import host, ports
from lbenroll.diagnose.hostconf import absent, repair_fix, who
from lbenroll.diagnose.verdicts import HOST, failed, passed, warned
from lbenroll.urls import same_host


def check_puppet_conf(facts, balancer, proxies):
    if facts.puppet is None:
        return absent("HOST_PUPPET_CONF", host.PUPPET_CONF, "Puppet not set up")
    server = facts.puppet["server"] or "puppet"  # Puppet's default server name
    ca_server = facts.puppet["ca_server"] or server
    wrong = ["%s names %s" % (key, who(value, proxies))
             for key, value in (("server", server), ("ca_server", ca_server))
             if not same_host(value, balancer)]
    if wrong:
        return failed("HOST_PUPPET_CONF", HOST, "%s: %s, not the balancer %s" % (
            host.PUPPET_CONF, "; ".join(wrong), balancer), repair_fix(balancer))
    ca_port = facts.puppet["ca_port"] or str(ports.PUPPET)
    if ca_port != str(ports.PUPPET_CA):
        return warned("HOST_PUPPET_CONF", HOST, "%s: ca_port is %s: certificate requests go to "
                      "the balancer's round-robin Puppet port and reach the one proxy with the "
                      "Puppet CA only some of the time" % (host.PUPPET_CONF, ca_port),
                      "set ca_port = 8141 in [agent] (lbenroll --puppet-ca-port 8141), the "
                      "balancer port that leads to the Puppet CA")
    return passed("HOST_PUPPET_CONF", HOST, "%s: server and ca_server name %s, ca_port %s" % (
        host.PUPPET_CONF, balancer, ca_port))
