"""PROXY_REACHABLE: each proxy resolves and answers on 80 or 443 (from round one: no request of
its own)."""
from lbenroll.diagnose.verdicts import failed, passed


def judge(known, proxy, answer):
    return check_reachable(proxy)


def check_reachable(proxy):
    if proxy.problem:
        return failed("PROXY_REACHABLE", proxy.name, "%s %s" % (proxy.name, proxy.problem),
                      "add it to DNS (or /etc/hosts), or correct the proxy list")
    if not proxy.up:
        return failed("PROXY_REACHABLE", proxy.name, "%s (%s) does not answer on 80 (%s) or 443 "
                      "(%s): it is down; the balancer sends its share to the others while its "
                      "health checks fail" % (proxy.name, proxy.address,
                                              (proxy.consumer.probe.error or "?").lower(),
                                              (proxy.https.error or "?").lower()),
                      "start the proxy's services (httpd, foreman-proxy, pulpcore) or take it out "
                      "of the balancer")
    return passed("PROXY_REACHABLE", proxy.name, "%s answers at %s" % (proxy.name, proxy.address),
                  address=proxy.address)
