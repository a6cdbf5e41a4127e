"""Checks through the balancer: each port of the load-balancer guide's table, and sticky 443."""
import collections

from lbenroll import host
from lbenroll.diagnose.checks import failed, listing, passed, short, skipped
from lbenroll.diagnose.fetch import answer, digest, failure, http_get, https_get
from lbenroll.probe import amqp_exchange, http_exchange, mqtt_exchange, tls_probe
from lbenroll.rpmfile import NotAnRpm, RpmPackage

HTTP, TLS, AMQP, MQTT, PUPPET = "http", "tls", "amqp", "mqtt", "puppet"
# need: "always" for the ports the guide's table forwards for every client; a host file's
# name when only hosts using that service need the port; "optional" otherwise.
Port = collections.namedtuple("Port", "number kind service need")
PORTS = (
    Port(80, HTTP, "HTTP: /pub and the consumer RPM", "always"),
    Port(443, TLS, "HTTPS: RHSM and content", "always"),
    Port(8443, TLS, "RHSM (the Pulp 2-era layout)", "rhsm.conf"),
    Port(5647, AMQP, "AMQP for goferd (katello-agent)", "goferd"),
    Port(8000, HTTP, "Anaconda templates", "optional"),
    Port(8140, PUPPET, "Puppet", "puppet.conf"),
    Port(8141, PUPPET, "the Puppet CA", "puppet.conf"),
    Port(9090, TLS, "the Smart Proxy API: registration, OpenSCAP", "always"),
    Port(5000, TLS, "the container registry", "optional"),
    Port(1883, MQTT, "MQTT for remote execution pull mode", "yggdrasil"),
)
CNAME_FIX = ("generate that proxy's certificates with `foreman-proxy-certs-generate "
             "--foreman-proxy-cname %s` and install them with `--certs-cname %s`")
CA_FIX = ("every proxy behind the balancer needs certificates from the Katello CA: regenerate "
          "them on the Katello server with foreman-proxy-certs-generate and install them")
STICKY_FIX = ("use `balance source` (with `hash-type consistent`) for port 443 on the balancer, "
              "as the load-balancer guide's port table says")


def used_ports(facts):
    """Ports this host's own configuration sends traffic to."""
    ports = {facts.rhsm_port} if facts.rhsm is not None else set()
    if facts.gofer_url is not None:
        ports.add(5647)
    if facts.puppet is not None:
        ca_port = facts.puppet["ca_port"] or "8140"
        ports.update({8140, int(ca_port) if ca_port.isdigit() else 8140})
    for url in facts.brokers or ():
        tail = url.rsplit(":", 1)[-1]
        ports.add(int(tail) if tail.isdigit() else 1883)
    return ports


def _exchange(port, balancer, rhsm_prefix):
    if port.kind == AMQP:
        return amqp_exchange
    if port.kind == MQTT:
        return mqtt_exchange
    if port.number in (443, 8443):
        return http_exchange(balancer, rhsm_prefix + "/status", limit=64 * 1024)
    if port.number == 9090:
        return http_exchange(balancer, "/features", limit=64 * 1024)
    return None


def _answering(probe):
    """The proxy a certificate names besides the balancer, when it names one."""
    names = [n for n in probe.other_names() if not n.startswith("*.")]
    return names[0] if names else None


def check_port(port, balancer, trust, attempts, timeout, required, rhsm_prefix="/rhsm"):
    """BALANCER_PORT for one port: reachable; TLS from the Katello CA naming the balancer."""
    target = "%s:%d" % (balancer, port.number)
    if port.kind == HTTP:
        path = "/pub/" if port.number == 80 else "/"
        probes = [http_get(balancer, port.number, path, timeout, limit=64 * 1024)]
    elif trust is None:
        return skipped("BALANCER_PORT", target, "not checked: no Katello CA to verify against",
                       port=port.number)
    else:
        exchange = _exchange(port, balancer, rhsm_prefix)
        probes = [tls_probe(balancer, port.number, trust, timeout, exchange)
                  for _ in range(attempts)]
    return _port_result(port, target, balancer, probes, required)


def _port_result(port, target, balancer, probes, required):
    data = {"port": port.number}
    if not any(p.reachable for p in probes):
        why = probes[0].error or "unreachable"
        if not required:
            return skipped("BALANCER_PORT", target, "not forwarded (%s); this host does not use "
                           "%s" % (why.lower(), port.service), **data)
        return failed("BALANCER_PORT", target, "%s does not answer (%s): %s is unavailable to "
                      "this host" % (target, why.lower(), port.service),
                      "forward port %d on the balancer to port %d of every proxy" % (
                          port.number, 8140 if port.number == 8141 else port.number), **data)
    seen = sorted({short(_answering(p)) for p in probes if p.chain_ok and _answering(p)})
    data["answering"] = seen
    bad_chain = [p for p in probes if p.chain_ok is False]
    if bad_chain:
        return failed("BALANCER_PORT", target, "%d of %d connections got a certificate that does "
                      "not chain to the Katello CA (%s): a proxy behind the balancer uses another "
                      "CA (PROXY_TLS names it)" % (len(bad_chain), len(probes), bad_chain[0].error),
                      CA_FIX, **data)
    bad_name = [p for p in probes if p.chain_ok and not p.name_ok]
    if bad_name:
        names = sorted({n for p in bad_name for n in p.names})
        return failed("BALANCER_PORT", target, "the certificate of %s lacks the balancer name %s "
                      "(it names %s): clients refuse it" % (
                          listing(sorted({_answering(p) or p.names[0] for p in bad_name})),
                          balancer, ", ".join(names)), CNAME_FIX % (balancer, balancer), **data)
    broken = [p for p in probes if not p.reachable or p.error or p.protocol_ok is False]
    if broken:
        return failed("BALANCER_PORT", target, "%d of %d connections failed: %s" % (
            len(broken), len(probes), failure(broken[0], target)),
            "check %s on the proxies behind the balancer" % port.service, **data)
    what = "answers HTTP" if port.kind == HTTP else "certificate from the Katello CA names %s" % (
        balancer)
    return passed("BALANCER_PORT", target, "%s%s" % (what, "; answered by %s" % ", ".join(seen)
                                                      if seen else ""), **data)


def check_sticky(balancer, katello_ca, repo, fetches, timeout):
    """BALANCER_STICKY: one client's repeated metadata fetches on 443 land on one proxy.

    With a repository (and the host's entitlement certificate) its repomd.xml is fetched; without
    one, the consumer RPM on 443, whose package name tells the proxy too.
    """
    target = "%s:443" % balancer
    if katello_ca is None:
        return skipped("BALANCER_STICKY", target, "not checked: no Katello CA to verify against",
                       port=443)
    if repo is not None:
        path, port, client_cert = repo.repomd_path, repo.port, repo.client_cert
    else:
        path, port, client_cert = host.CONSUMER_RPM_PATH, 443, None
    seen = []
    for _ in range(fetches):
        probe = https_get(balancer, port, path, katello_ca.pem, timeout, client_cert=client_cert)
        got = answer(probe)
        if got is None:
            return skipped("BALANCER_STICKY", target, "not checked: %s" % failure(
                probe, "%s:%d" % (balancer, port)), port=443)
        seen.append((_answering(probe) or _package_proxy(got), got.status, digest(got.body)))
    proxies = sorted({short(proxy) for proxy, _, _ in seen if proxy})
    bodies = {(status, body) for _, status, body in seen}
    data = {"port": 443, "path": path, "answering": proxies}
    if len(proxies) > 1 or len(bodies) > 1:
        return failed("BALANCER_STICKY", target, "not sticky: %d fetches of %s from this host "
                      "were answered by %s%s; dnf then gets repomd.xml from one proxy and the "
                      "files it lists from another, whose metadata differs: 404s" % (
                          fetches, path, ", ".join(proxies) or "different proxies",
                          " with %d different answers" % len(bodies) if len(bodies) > 1 else ""),
                      STICKY_FIX, **data)
    return passed("BALANCER_STICKY", target, "%d fetches of %s all answered by %s, identical" % (
        fetches, path, proxies[0] if proxies else "the same proxy"), **data)


def _package_proxy(got):
    try:
        name = RpmPackage(got.body).name
    except NotAnRpm:
        return None
    return name[len(host.CONSUMER_PACKAGE_PREFIX):] if name.startswith(
        host.CONSUMER_PACKAGE_PREFIX) else None
