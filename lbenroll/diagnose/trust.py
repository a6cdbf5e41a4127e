"""Which CA is the Katello CA for this diagnosis, and what Puppet's ports are verified against."""
import collections

from lbenroll import consumer
from lbenroll.diagnose.verdicts import failed, listing, passed

KATELLO_CA_FIX = ("if the Katello CA was really replaced, pin the new fingerprint; otherwise find "
                  "out what the proxies were set up with")


class KatelloCa(object):
    """The CA every certificate is checked against: PEM, SHA-256, and where it came from."""

    def __init__(self, pem, origin):
        self.pem = pem
        self.fingerprint = consumer.fingerprint(pem)
        self.origin = origin


def choose(balancer, served, installed_pem, pinned=None):
    """(KatelloCa or None, KATELLO_CA result).

    served is [(proxy name, CA PEM)] from each proxy's own consumer RPM. Without a pin the CA
    most proxies serve wins; a tie goes to the CA installed on this host, if it is one of them.
    """
    target = "%s" % balancer
    by_fingerprint = collections.OrderedDict()
    for name, pem in served:
        by_fingerprint.setdefault(consumer.fingerprint(pem), (pem, []))[1].append(name)
    installed = consumer.fingerprint(installed_pem) if installed_pem else None
    if pinned:
        return _pinned(target, pinned, by_fingerprint, installed_pem, installed)
    if not by_fingerprint:
        if installed_pem is None:
            return None, failed("KATELLO_CA", target, "no proxy served a readable consumer RPM and "
                                "no Katello CA is installed here: nothing to check certificates "
                                "against", "see the PROXY_CONSUMER_RPM results")
        return (KatelloCa(installed_pem, "installed on this host"),
                passed("KATELLO_CA", target, "SHA-256 %s, installed on this host (no proxy served "
                       "a readable consumer RPM)" % consumer.pretty_fingerprint(installed)))
    most = max(len(names) for _, names in by_fingerprint.values())
    tied = [fp for fp, (_, names) in by_fingerprint.items() if len(names) == most]
    chosen = installed if installed in tied else tied[0]
    pem, names = by_fingerprint[chosen]
    origin = "served by %s" % listing(names)
    detail = ["SHA-256 %s is served by %s" % (consumer.pretty_fingerprint(fp), listing(n))
              for fp, (_, n) in by_fingerprint.items() if fp != chosen]
    return KatelloCa(pem, origin), passed(
        "KATELLO_CA", target, "SHA-256 %s, %s" % (consumer.pretty_fingerprint(chosen), origin),
        detail=detail, sha256=chosen)


def _pinned(target, pinned, by_fingerprint, installed_pem, installed):
    shown = consumer.pretty_fingerprint(pinned)
    if pinned in by_fingerprint:
        pem, names = by_fingerprint[pinned]
        return KatelloCa(pem, "pinned, served by %s" % listing(names)), passed(
            "KATELLO_CA", target, "SHA-256 %s as pinned, served by %s" % (shown, listing(names)),
            sha256=pinned)
    others = ["%s by %s" % (consumer.pretty_fingerprint(fp), listing(names))
              for fp, (_, names) in by_fingerprint.items()]
    result = failed("KATELLO_CA", target, "no proxy serves the pinned CA %s%s" % (
        shown, "; they serve %s" % "; ".join(others) if others else ""), KATELLO_CA_FIX,
        sha256=pinned)
    if installed == pinned:
        return KatelloCa(installed_pem, "pinned, installed on this host"), result
    return None, result


def puppet_trust(katello_ca, puppet_ca_pems):
    """PEMs for Puppet's ports (8140, 8141): the Puppet CA signs puppetserver's certificate, but
    a proxy may present one from the Katello CA there; either is a CA this deployment owns."""
    pems = ([katello_ca.pem] if katello_ca else []) + [pem for pem in puppet_ca_pems if pem]
    unique = list(collections.OrderedDict((consumer.fingerprint(p), p) for p in pems).values())
    return "".join(unique) or None
