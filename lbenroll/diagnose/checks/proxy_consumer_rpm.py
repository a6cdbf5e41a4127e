"""PROXY_CONSUMER_RPM: the consumer RPM each proxy publishes carries the Katello CA (from round
one: no request of its own)."""
from lbenroll import consumer
from lbenroll.diagnose.balancer import CA_FIX
from lbenroll.diagnose.verdicts import failed, passed


def judge(known, proxy, answer):
    return check_consumer_rpm(proxy, known.katello_ca)


def check_consumer_rpm(proxy, katello_ca):
    fetch = proxy.consumer
    if fetch.rpm is None:
        return failed("PROXY_CONSUMER_RPM", proxy.name, fetch.problem or "no consumer RPM",
                      "check what %s publishes in /pub (katello-ca-consumer-latest.noarch.rpm)"
                      % proxy.name)
    nvr = fetch.rpm.package.nvr
    data = {"package": nvr, "ca_sha256": fetch.rpm.fingerprint}
    if katello_ca is not None and fetch.rpm.fingerprint != katello_ca.fingerprint:
        return failed("PROXY_CONSUMER_RPM", proxy.name, "%s carries a CA (SHA-256 %s) that is not "
                      "the Katello CA (%s, %s): %s was set up with another CA" % (
                          nvr, consumer.pretty_fingerprint(fetch.rpm.fingerprint),
                          consumer.pretty_fingerprint(katello_ca.fingerprint), katello_ca.origin,
                          proxy.name), CA_FIX, **data)
    return passed("PROXY_CONSUMER_RPM", proxy.name, "%s with the Katello CA" % nvr, **data)
