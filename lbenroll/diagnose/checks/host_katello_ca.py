"""HOST_KATELLO_CA: the CA subscription-manager and dnf trust here is the one the proxies
serve."""
from lbenroll import consumer, host
from lbenroll.diagnose.verdicts import HOST, failed, passed, skipped


def judge(known, answer):
    return [check_installed_ca(known.facts, known.katello_ca, known.balancer)]


def check_installed_ca(facts, katello_ca, balancer):
    """The CA subscription-manager and dnf trust here is the one the proxies serve."""
    if katello_ca is None:
        return skipped("HOST_KATELLO_CA", HOST, "no Katello CA to compare with (no proxy served "
                       "a readable consumer RPM)")
    if facts.installed_ca is None:
        return failed("HOST_KATELLO_CA", HOST, "%s is missing: subscription-manager cannot verify "
                      "the balancer" % host.KATELLO_SERVER_CA,
                      "install the consumer RPM from the balancer (lbenroll --server %s)"
                      % balancer)
    installed = consumer.fingerprint(facts.installed_ca)
    if installed != katello_ca.fingerprint:
        return failed("HOST_KATELLO_CA", HOST, "%s (SHA-256 %s) is not the Katello CA (%s, %s): "
                      "subscription-manager and dnf will refuse the balancer's certificate" % (
                          host.KATELLO_SERVER_CA, consumer.pretty_fingerprint(installed),
                          consumer.pretty_fingerprint(katello_ca.fingerprint), katello_ca.origin),
                      "if the Katello CA was replaced, reinstall the consumer RPM from the "
                      "balancer (lbenroll --server %s); otherwise find out which CA is right"
                      % balancer)
    return passed("HOST_KATELLO_CA", HOST, "%s is the Katello CA the balancer serves" %
                  host.KATELLO_SERVER_CA)
