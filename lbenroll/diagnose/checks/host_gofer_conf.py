"""HOST_GOFER_CONF: goferd's katello plugin reaches the broker through the balancer."""
from lbenroll import host
from lbenroll.diagnose.hostconf import absent, repair_fix, who
from lbenroll.diagnose.verdicts import HOST, failed, passed
from lbenroll.urls import host_of, same_host


def check_gofer(facts, balancer, proxies):
    if facts.gofer_url is None:
        return absent("HOST_GOFER_CONF", host.GOFER_KATELLO_CONF, "katello-agent not installed")
    if not facts.gofer_url:
        return passed("HOST_GOFER_CONF", HOST, "%s: no url, so goferd follows rhsm.conf's "
                      "server.hostname" % host.GOFER_KATELLO_CONF)
    url_host = host_of(facts.gofer_url)
    if not same_host(url_host, balancer):
        return failed("HOST_GOFER_CONF", HOST, "%s: [messaging] url names %s, not the balancer"
                      % (host.GOFER_KATELLO_CONF, who(url_host or facts.gofer_url, proxies)),
                      repair_fix(balancer))
    return passed("HOST_GOFER_CONF", HOST, "%s: [messaging] url names %s" % (
        host.GOFER_KATELLO_CONF, balancer))
