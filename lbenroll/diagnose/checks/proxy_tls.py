"""PROXY_TLS: 443 of each proxy presents a certificate from the Katello CA naming the balancer."""
from lbenroll.diagnose.balancer import CA_FIX, CNAME_FIX
from lbenroll.diagnose.fetch import failure
from lbenroll.diagnose.verdicts import failed, passed, skipped
from lbenroll.probe import tls_probe


def start(known, proxy):
    return known.submit(check_tls, proxy, known.balancer, known.katello_ca, known.timeout)


def judge(known, proxy, answer):
    return answer


def check_tls(proxy, balancer, katello_ca, timeout):
    """PROXY_TLS: 443 presents a certificate from the Katello CA that carries the balancer name."""
    if katello_ca is None:
        return skipped("PROXY_TLS", proxy.name, "not checked: no Katello CA to verify against")
    probe = tls_probe(balancer, 443, katello_ca.pem, timeout, address=proxy.address)
    if not probe.reachable:
        return failed("PROXY_TLS", proxy.name, failure(probe, proxy.where(443)),
                      "start httpd on %s" % proxy.name)
    if not probe.chain_ok:
        return failed("PROXY_TLS", proxy.name, "the certificate of %s on 443 does not chain to "
                      "the Katello CA (%s): it was issued by another CA" % (
                          proxy.name, probe.error), CA_FIX)
    if not probe.name_ok:
        return failed("PROXY_TLS", proxy.name, "the certificate of %s names %s, not the balancer "
                      "%s: clients refuse it whenever the balancer sends them there" % (
                          proxy.name, ", ".join(probe.names), balancer),
                      CNAME_FIX % (balancer, balancer), names=probe.names)
    return passed("PROXY_TLS", proxy.name, "certificate from the Katello CA names %s" % (
        ", ".join(probe.names)), names=probe.names)
