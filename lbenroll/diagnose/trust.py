"""Which CA is the Katello CA for this diagnosis, and what Puppet's ports are verified against."""
import collections

from lbenroll import consumer, host
from lbenroll.diagnose.verdicts import failed, listing, passed

KATELLO_CA_FIX = ("if the Katello CA was really replaced, pin the new fingerprint; otherwise find "
                  "out what the proxies were set up with")
# Where the fingerprint to pin is read (the file the Katello installer writes on the server).
SERVER_CA_ON_FOREMAN = "/etc/pki/katello/certs/katello-server-ca.crt"
FOREMAN_CA_FIX = (
    "give --ca-fingerprint SHA256, the Katello server CA's (on the Foreman server: openssl x509 "
    "-noout -fingerprint -sha256 -in %s), or run diagnose on a host where the Katello CA is "
    "installed (%s, as enrolling puts it)" % (SERVER_CA_ON_FOREMAN, host.KATELLO_SERVER_CA))
FOREMAN_PIN_FIX = (
    "check the pinned fingerprint against %s on the Foreman server; if it is right, what "
    "answered port 80 for the balancer is not that Katello" % SERVER_CA_ON_FOREMAN)


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


class ForemanTrust(object):
    """What the Foreman API may be asked with, the password sent: ca (a KatelloCa), or None with
    why (a phrase) and the fix."""

    def __init__(self, ca=None, why=None, fix=None):
        self.ca = ca
        self.why = why
        self.fix = fix


def foreman_trust(installed_pem, served_pem, pinned=None):
    """The CA the Foreman API is verified against before the password goes out, as a
    ForemanTrust: the CA that --ca-fingerprint pins (installed here, or the one in the consumer
    RPM served_pem came from), else without a pin the CA installed on this host. Never a CA
    that only plain HTTP vouches for.

    The enrollment sends its password (FOREMAN_HOST) only once FETCH_CONSUMER_RPM has held the
    CA to a pin, --ca-file or a CA the host trusts already (consumer.check_trust), except at
    first contact with nothing given: the trust on first use that docs/security.md names as
    what it cannot guarantee, which enrolling must accept to enroll at all. diagnose needs no
    password to do its job (discovery finds the proxies without it) and is run to find
    trouble, often on a host not enrolled yet, so it does not take that chance with what is
    usually an administrator's password: with no pin and no CA installed, the password is not
    sent, and the report says so with the fix. Its choice of the Katello CA (choose) is no
    help there: without a pin that is the CA most proxies serve over plain HTTP, vouched for by
    nothing else, and it is made after the API has named the proxies.
    """
    installed = consumer.fingerprint(installed_pem) if installed_pem else None
    served = consumer.fingerprint(served_pem) if served_pem else None
    if pinned:
        if installed == pinned:
            return ForemanTrust(KatelloCa(installed_pem, "pinned, installed on this host"))
        if served == pinned:
            return ForemanTrust(KatelloCa(served_pem, "pinned, in the balancer's consumer RPM"))
        return ForemanTrust(why="no CA at hand has the pinned SHA-256 %s (%s; %s)" % (
            consumer.pretty_fingerprint(pinned),
            "this host's is SHA-256 %s" % consumer.pretty_fingerprint(installed) if installed
            else "none is installed on this host", _served(served)), fix=FOREMAN_PIN_FIX)
    if installed_pem:
        return ForemanTrust(KatelloCa(installed_pem, "installed on this host"))
    nothing = "no Katello CA is installed on this host and none is pinned with --ca-fingerprint"
    if served is None:
        why = ("%s, and %s: there is no CA to verify the server that would get it against"
               % (nothing, _served(served)))
    else:
        why = ("%s; the only CA at hand, SHA-256 %s, came in the consumer RPM on the balancer's "
               "port 80, over plain HTTP, which anyone on the network path can answer: it does "
               "not vouch for the server that would get the password"
               % (nothing, consumer.pretty_fingerprint(served)))
    return ForemanTrust(why=why, fix=FOREMAN_CA_FIX)


def _served(fingerprint):
    if fingerprint is None:
        return "no consumer RPM was read on the balancer's port 80"
    return ("the consumer RPM on the balancer's port 80 carries SHA-256 %s"
            % consumer.pretty_fingerprint(fingerprint))
