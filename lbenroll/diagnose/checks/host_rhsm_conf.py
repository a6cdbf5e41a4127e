"""HOST_RHSM_CONF: rhsm.conf's server.hostname and rhsm.baseurl name the balancer."""
from lbenroll import host
from lbenroll.diagnose.hostconf import consequence, repair_fix, who
from lbenroll.diagnose.verdicts import HOST, failed, passed
from lbenroll.urls import host_of, same_host


def check_rhsm_conf(facts, balancer, proxies):
    if facts.rhsm is None:
        return failed("HOST_RHSM_CONF", HOST, "%s is missing: subscription-manager is not "
                      "installed" % host.RHSM_CONF,
                      "install subscription-manager, then enroll this host through the balancer")
    wrong = []
    hostname = facts.rhsm["hostname"]
    if not same_host(hostname, balancer):
        wrong.append("server.hostname names %s" % who(hostname, proxies))
    baseurl_host = host_of(facts.rhsm["baseurl"] or "")
    if not same_host(baseurl_host, balancer):
        wrong.append("rhsm.baseurl names %s" % who(baseurl_host or "no host", proxies))
    if wrong:
        return failed("HOST_RHSM_CONF", HOST, "%s: %s, not the balancer %s: %s" % (
            host.RHSM_CONF, "; ".join(wrong), balancer, consequence(
                [hostname, baseurl_host], proxies, "subscription-manager and dnf")),
            repair_fix(balancer))
    return passed("HOST_RHSM_CONF", HOST, "%s: server.hostname and rhsm.baseurl name %s "
                  "(port %s, prefix %s)" % (host.RHSM_CONF, balancer, facts.rhsm["port"],
                                           facts.rhsm["prefix"]))
