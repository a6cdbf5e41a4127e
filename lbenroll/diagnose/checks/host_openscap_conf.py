"""HOST_OPENSCAP_CONF: foreman_scap_client's config.yaml uploads through the balancer."""
from lbenroll import host, ports
from lbenroll.diagnose.hostconf import absent, consequence, repair_fix, who
from lbenroll.diagnose.verdicts import HOST, failed, passed, warned
from lbenroll.urls import same_host
from lbenroll.writers.openscap import PORT_KEY, SERVER_KEY


def check_openscap(facts, balancer, proxies):
    if facts.openscap is None:
        return absent("HOST_OPENSCAP_CONF", host.OPENSCAP_CONFIG, "OpenSCAP not set up")
    server, port = facts.openscap.get(SERVER_KEY), facts.openscap.get(PORT_KEY)
    if not server:
        return warned("HOST_OPENSCAP_CONF", HOST, "%s sets no %s: foreman_scap_client cannot "
                      "upload reports" % (host.OPENSCAP_CONFIG, SERVER_KEY),
                      "set %s '%s'" % (SERVER_KEY, balancer))
    if not same_host(server, balancer):
        return failed("HOST_OPENSCAP_CONF", HOST, "%s: %s names %s, not the balancer %s: %s" % (
            host.OPENSCAP_CONFIG, SERVER_KEY, who(server, proxies), balancer,
            consequence([server], proxies, "OpenSCAP report uploads")), repair_fix(balancer))
    if port != str(ports.SMART_PROXY_API):
        return warned("HOST_OPENSCAP_CONF", HOST, "%s: %s is %s, not %d, where the balancer "
                      "forwards foreman-proxy's API (report uploads)" % (
                          host.OPENSCAP_CONFIG, PORT_KEY, port or "not set",
                          ports.SMART_PROXY_API), repair_fix(balancer))
    return passed("HOST_OPENSCAP_CONF", HOST, "%s: reports go to %s:%s" % (
        host.OPENSCAP_CONFIG, balancer, port))
