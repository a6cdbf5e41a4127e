"""One proxy as the diagnosis sees it, and what several checks of the proxies share: the
transport's fix, repomd.xml and the optional services' comparison."""
from lbenroll import ports
from lbenroll.diagnose.balancer import CA_FIX, CNAME_FIX
from lbenroll.diagnose.fetch import answer, digest, failure, https_get
from lbenroll.diagnose.metadata import NotRepomd, parse_repomd
from lbenroll.diagnose.verdicts import failed, passed, short, skipped, warned
from lbenroll.probe import amqp_exchange, plain_probe, tls_probe


class ProxyState(object):
    """One proxy: its name and address, and what the first round of requests found."""

    def __init__(self, name, address=None, problem=None):
        self.name = name
        self.address = address
        self.problem = problem      # why it cannot be checked at all (does not resolve)
        self.consumer = None        # fetch.ConsumerFetch of its own /pub consumer RPM
        self.https = None           # ProbeResult of a plain connection to its 443
        self.puppet_ca_pem = None   # the Puppet CA certificate it serves on 8140, if it is one

    @property
    def up(self):
        if self.problem:
            return False
        return bool((self.consumer and self.consumer.probe.reachable)
                    or (self.https and self.https.reachable))

    def where(self, port):
        return "%s (%s):%d" % (self.name, self.address, port)


def transport_fix(probe, balancer, otherwise):
    """The fix for a request that got no answer: the certificate's, when that was the reason."""
    if probe.chain_ok is False:
        return CA_FIX
    if probe.chain_ok and not probe.name_ok:
        return CNAME_FIX % (balancer, balancer)
    return otherwise


def connect_443(proxy, balancer, timeout):
    """Only a TCP connection: whether the proxy is up, before any CA is known."""
    return plain_probe(balancer, 443, lambda sock: (True, "connected"), timeout, proxy.address)


def not_checked(check_id, proxy):
    """The result of a check that cannot run because the proxy is unreachable."""
    return skipped(check_id, proxy.name, "not checked: %s %s" % (
        proxy.name, proxy.problem or "does not answer"))


def fetch_repomd(proxy, balancer, katello_ca, repo, timeout):
    """(kind, detail) for one repository on one proxy: "ok" with the metadata.Publication (the
    body's SHA-256 when it does not parse), "missing", "refused" or "error"."""
    probe = https_get(balancer, repo.port, repo.repomd_path, katello_ca.pem, timeout,
                      address=proxy.address, client_cert=repo.client_cert)
    got = answer(probe)
    if got is None:
        return "error", failure(probe, proxy.where(repo.port))
    if got.status == 200:
        try:
            return "ok", parse_repomd(got.body, digest(got.body))
        except NotRepomd:
            return "ok", digest(got.body)
    if got.status == 404:
        return "missing", str(got)
    if got.status in (401, 403):
        return "refused", str(got)
    return "error", "%s%s answered %s" % (proxy.where(repo.port), repo.repomd_path, got)


def start_repomds(known, proxy):
    """{repository id: future of fetch_repomd}: one request per enabled repository, read by
    PROXY_CONTENT and PROXY_METADATA alike."""
    return {repo.id: known.submit(fetch_repomd, proxy, known.balancer, known.katello_ca, repo,
                                  known.timeout)
            for repo in known.facts.repos}


def probe_service(proxy, balancer, port, trust, timeout):
    """A TLS connection to one proxy's port (AMQP answers the protocol header on 5647)."""
    exchange = amqp_exchange if port == ports.AMQP else None
    return tls_probe(balancer, port, trust, timeout, exchange, proxy.address)


def service_results(check_id, port, service, proxies, probes, required, balancer):
    """{proxy name: result}: a service every proxy must offer alike (5647 AMQP, 8140 Puppet)."""
    answering = [short(p.name) for p in proxies if probes[p.name].reachable]
    results = {}
    for proxy in proxies:
        probe = probes[proxy.name]
        if not probe.reachable:
            results[proxy.name] = _absent(check_id, proxy, port, service, required, answering,
                                          probe)
        elif probe.chain_ok is False:
            results[proxy.name] = failed(check_id, proxy.name, "%s on %s: certificate from another "
                                         "CA (%s)" % (service, proxy.where(port), probe.error),
                                         CA_FIX, port=port)
        elif not probe.name_ok:
            results[proxy.name] = failed(check_id, proxy.name, "%s on %s: the certificate names "
                                         "%s, not the balancer" % (service, proxy.where(port),
                                                                   ", ".join(probe.names)),
                                         CNAME_FIX % (balancer, balancer), port=port)
        elif probe.error or probe.protocol_ok is False:
            results[proxy.name] = failed(check_id, proxy.name, failure(probe, proxy.where(port)),
                                         "check %s on %s" % (service, proxy.name), port=port)
        else:
            results[proxy.name] = passed(check_id, proxy.name, "%s answers on %d, certificate "
                                         "names the balancer%s" % (
                                             service, port, "; %s" % probe.protocol_detail
                                             if probe.protocol_detail else ""), port=port)
    return results


def _absent(check_id, proxy, port, service, required, answering, probe):
    why = (probe.error or "unreachable").lower()
    if required:
        return failed(check_id, proxy.name, "%s does not answer on %d (%s): this host's %s fails "
                      "whenever the balancer sends it there" % (proxy.name, port, why, service),
                      "set up %s on %s like on the other proxies" % (service, proxy.name),
                      port=port)
    if answering:
        return warned(check_id, proxy.name, "%s does not answer on %d (%s) but %s do: the proxies "
                      "differ" % (proxy.name, port, why, ", ".join(answering)),
                      "set up %s on every proxy behind the balancer, or on none" % service,
                      port=port)
    return skipped(check_id, proxy.name, "no proxy answers on %d (%s not in use)" % (
        port, service), port=port)
