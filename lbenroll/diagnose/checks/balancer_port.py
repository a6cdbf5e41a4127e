"""BALANCER_PORT: each port of the load-balancer guide's table answers through the balancer,
with TLS from the Katello CA naming the balancer."""
from lbenroll import ports
from lbenroll.brokers import CONNACK_UNCHECKED, probe_presenting
from lbenroll.diagnose.balancer import (AMQP, CA_FIX, CNAME_FIX, HTTP, MQTT, PORTS, PUPPET,
                                        answering)
from lbenroll.diagnose.fetch import failure, http_get
from lbenroll.diagnose.verdicts import failed, listing, passed, short, skipped
from lbenroll.probe import amqp_exchange, http_exchange, mqtt_exchange


def start(known):
    # MQTT's CONNECT presents this host's identity as yggdrasil does: Foreman's mosquitto
    # answers no other (brokers.yggdrasil_identity).
    return [known.submit(check_port, spec, known.balancer,
                         known.puppet_trust if spec.kind == PUPPET else known.katello_pem,
                         1 if spec.number == ports.PUPPET_CA else known.attempts, known.timeout,
                         spec.need == "always" or spec.number in known.used, known.rhsm_prefix,
                         known.facts.mqtt_identity if spec.kind == MQTT else None)
            for spec in PORTS]


def judge(known, results):
    return results


def _exchange(port, balancer, rhsm_prefix):
    if port.kind == AMQP:
        return amqp_exchange
    if port.kind == MQTT:
        return mqtt_exchange
    if port.number in (ports.HTTPS, ports.RHSM_PULP2):
        return http_exchange(balancer, rhsm_prefix + "/status", limit=64 * 1024)
    if port.number == ports.SMART_PROXY_API:
        return http_exchange(balancer, "/features", limit=64 * 1024)
    return None


def check_port(port, balancer, trust, attempts, timeout, required, rhsm_prefix="/rhsm",
               identity=None):
    """BALANCER_PORT for one port: reachable; TLS from the Katello CA naming the balancer;
    the service's answer (identity: the client certificate an MQTT CONNECT presents)."""
    target = "%s:%d" % (balancer, port.number)
    if port.kind == HTTP:
        path = "/pub/" if port.number == ports.HTTP else "/"
        probes = [http_get(balancer, port.number, path, timeout, limit=64 * 1024)]
    elif trust is None:
        return skipped("BALANCER_PORT", target, "not checked: no Katello CA to verify against",
                       port=port.number)
    else:
        exchange = _exchange(port, balancer, rhsm_prefix)
        probes = [probe_presenting(identity, balancer, port.number, trust, timeout,
                                   exchange)[0] for _ in range(attempts)]
    return _port_result(port, target, balancer, probes, required)


def _port_result(port, target, balancer, probes, required):
    data = {"port": port.number}
    if not any(p.reachable for p in probes):
        why = probes[0].error or "unreachable"
        if not required:
            return skipped("BALANCER_PORT", target, "not forwarded (%s); this host does not use "
                           "%s" % (why.lower(), port.service), **data)
        # The balancer's Puppet CA port leads to puppetserver's own port on the proxies.
        backend = ports.PUPPET if port.number == ports.PUPPET_CA else port.number
        return failed("BALANCER_PORT", target, "%s does not answer (%s): %s is unavailable to "
                      "this host" % (target, why.lower(), port.service),
                      "forward port %d on the balancer to port %d of every proxy" % (
                          port.number, backend), **data)
    seen = sorted({short(answering(p)) for p in probes if p.chain_ok and answering(p)})
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
                          listing(sorted({answering(p) or p.names[0] for p in bad_name})),
                          balancer, ", ".join(names)), CNAME_FIX % (balancer, balancer), **data)
    broken = [p for p in probes if not p.reachable or p.error or p.protocol_ok is False]
    if broken:
        return failed("BALANCER_PORT", target, "%d of %d connections failed: %s" % (
            len(broken), len(probes), failure(broken[0], target)),
            "check %s on the proxies behind the balancer" % port.service, **data)
    what = "answers HTTP" if port.kind == HTTP else "certificate from the Katello CA names %s" % (
        balancer)
    unchecked = [p.unchecked for p in probes if p.unchecked]
    return passed("BALANCER_PORT", target, "%s%s%s" % (
        what, "; answered by %s" % ", ".join(seen) if seen else "",
        "; " + CONNACK_UNCHECKED % unchecked[0] if unchecked else ""), **data)
