"""PUPPET_CA: exactly one proxy answers as the Puppet CA, and the balancer's 8141 leads to it."""
from lbenroll import consumer, ports
from lbenroll.diagnose.verdicts import failed, listing, passed, same_proxy, short, skipped
from lbenroll.probe import tls_probe


def start(known):
    if known.puppet_trust is None:
        return None
    return known.submit(probe_8141, known.balancer, known.puppet_trust, known.timeout)


def judge(known, probe):
    return [check_puppet_ca(known.balancer, known.up, known.via_8141, probe,
                            known.facts.puppet is not None)]


def ca_fix(ca_proxy):
    return "point the balancer's port 8141 at %s:8140 only (the proxy with the Puppet CA)" % (
        ca_proxy)


def probe_8141(balancer, trust, timeout):
    """Which proxy 8141 leads to, by the names on its certificate."""
    return tls_probe(balancer, ports.PUPPET_CA, trust, timeout)


def check_puppet_ca(balancer, proxies, via_balancer, probe, used):
    """proxies: ProxyStates with puppet_ca_pem from their 8140; via_balancer: the Puppet CA PEM
    8141 served (or None); probe: the verified connection to 8141 (probe_8141), None when there
    was no CA to verify it against; used: whether this host runs Puppet."""
    target = "%s:%d" % (balancer, ports.PUPPET_CA)
    signers = [p for p in proxies if p.puppet_ca_pem]
    if probe is None:
        return skipped("PUPPET_CA", target, "not checked: no CA to verify 8141 against")
    if not (used or signers or via_balancer or probe.reachable):
        return skipped("PUPPET_CA", target, "no Puppet CA anywhere and this host does not use "
                       "Puppet")
    leads_to = [p.name for p in proxies if any(same_proxy(n, p.name)
                                               for n in probe.other_names())]
    data = {"signers": [p.name for p in signers], "leads_to": leads_to}
    if not signers:
        return failed("PUPPET_CA", target, "no proxy answers as a Puppet CA on 8140: agents "
                      "cannot get certificates", "run the Puppet CA on one proxy "
                      "(--foreman-proxy-puppetca true --puppet-server-ca true) and point 8141 at "
                      "it", **data)
    if len(signers) > 1:
        return failed("PUPPET_CA", target, "%d proxies answer as a Puppet CA (%s); the guide has "
                      "exactly one sign certificates" % (len(signers), listing(
                          p.name for p in signers)),
                      "keep the Puppet CA on one proxy (--puppet-server-ca false on the others) "
                      "and point 8141 at it", **data)
    signer = signers[0]
    if not probe.reachable:
        return failed("PUPPET_CA", target, "the balancer does not forward 8141 (%s); the Puppet "
                      "CA is on %s" % ((probe.error or "unreachable").lower(), signer.name),
                      ca_fix(signer.name), **data)
    if via_balancer is None:
        return failed("PUPPET_CA", target, "8141 leads to %s, which does not answer as a Puppet "
                      "CA; the Puppet CA is on %s" % (listing(leads_to) or "a proxy without it",
                                                      signer.name), ca_fix(signer.name), **data)
    if consumer.fingerprint(via_balancer) != consumer.fingerprint(signer.puppet_ca_pem):
        return failed("PUPPET_CA", target, "8141 serves a Puppet CA (SHA-256 %s) other than the "
                      "one on %s" % (consumer.pretty_fingerprint(
                          consumer.fingerprint(via_balancer)), signer.name),
                      ca_fix(signer.name), **data)
    return passed("PUPPET_CA", target, "8141 leads to %s, the only proxy answering as the Puppet "
                  "CA (SHA-256 %s)" % (short(signer.name), consumer.pretty_fingerprint(
                      consumer.fingerprint(signer.puppet_ca_pem))), **data)
