"""BALANCER_MQTT: pull-mode remote execution behind the balancer: which proxies' MQTT brokers
1883 leads to.

How a job reaches a host (docs/katello-client-facts.md, "Pull-mode remote execution"): the
Smart Proxy that runs the job publishes one notification to its own broker, and yggdrasil hears
it only when it is connected to that broker. So a balancer that spreads one client's
connections over several brokers makes that client deaf to the other proxies' jobs.
"""
from lbenroll import ports
from lbenroll.brokers import CONNACK_UNCHECKED, probe_presenting
from lbenroll.diagnose.balancer import MAX_PROBES_PER_PORT
from lbenroll.diagnose.verdicts import listing, passed, short, skipped, warned
from lbenroll.probe import mqtt_exchange
from lbenroll.urls import host_of, same_host

CONSEQUENCE = (
    "a pull-mode job is announced only on the broker of the Smart Proxy that runs it (it "
    "publishes once, QoS 1, not retained, to yggdrasil/<host>/data/in on its own mosquitto; "
    "the brokers do not share messages), so while yggdrasil is connected to another proxy's "
    "broker the job waits, is announced again on the same broker only after "
    "mqtt_resend_interval (900 s by default), and fails as not picked up in time when the job "
    "sets a time to pickup")
SPREAD_FIX = (
    "keep each client on one broker: `balance source` with `hash-type consistent` for port "
    "%d on the balancer (then restart yggdrasil on the hosts), and run a host's pull-mode jobs "
    "through the proxy whose broker it is connected to")


def start(known):
    """The connections through the balancer and to every proxy that resolves (its broker may
    answer while its web services do not); None when there is nothing to connect to."""
    brokers = known.facts.brokers
    if brokers is None or known.katello_pem is None:
        return None
    port = broker_port(brokers, known.balancer)
    identity = known.facts.mqtt_identity
    # At least one more connection than proxies, so a round-robin shows a second broker.
    through = known.submit(through_balancer, known.balancer, port, known.katello_pem,
                           min(max(len(known.states) + 1, 4), MAX_PROBES_PER_PORT),
                           known.timeout, identity)
    directs = {p.name: known.submit(direct, p, known.balancer, port, known.katello_pem,
                                    known.timeout, identity)
               for p in known.states if not p.problem}
    return through, directs


def judge(known, answer):
    brokers = known.facts.brokers
    through, directs = answer or (None, {})
    return [check_brokers(known.balancer, brokers, broker_port(brokers, known.balancer), through,
                          directs)]


def broker_port(brokers, balancer):
    """The port of yggdrasil's broker URL on the balancer (1883 unless it says otherwise)."""
    for url in brokers or ():
        if same_host(host_of(url) or "", balancer):
            tail = url.rstrip("/").rsplit(":", 1)[-1]
            if tail.isdigit():
                return int(tail)
    return ports.MQTT


def through_balancer(balancer, port, trust, attempts, timeout, identity=None):
    """attempts MQTT connections to the balancer, one after the other (a round-robin balancer
    then shows its rotation); stops at the first that completes no TLS handshake, so a broker
    that hangs costs one --timeout, not one per attempt. Each presents identity, this host's
    as yggdrasil presents it (brokers.yggdrasil_identity): Foreman's mosquitto answers the
    CONNECT of no other."""
    probes = []
    for _ in range(attempts):
        probe = probe_presenting(identity, balancer, port, trust, timeout, mqtt_exchange)[0]
        probes.append(probe)
        if not probe.fingerprint:
            break
    return probes


def direct(proxy, balancer, port, trust, timeout, identity=None):
    """One MQTT connection to a proxy's own address, presenting the balancer's name."""
    return probe_presenting(identity, balancer, port, trust, timeout, mqtt_exchange,
                            proxy.address)[0]


def connack(probes):
    """What the MQTT CONNECTs of probes (each with a TLS handshake) got, for a result's detail:
    not checked and why, the first refusal, or None when every one was accepted."""
    unchecked = [p.unchecked for p in probes if p.unchecked]
    if unchecked:
        return CONNACK_UNCHECKED % unchecked[0]
    refused = [p for p in probes if not p.protocol_ok]
    if refused:
        return "%d of %d MQTT CONNECTs not accepted: %s" % (
            len(refused), len(probes), refused[0].protocol_detail or refused[0].error)
    return None


def _identify(probe, by_fingerprint):
    """Which broker a connection reached: the proxy whose own broker presented the same
    certificate, else the proxy its certificate names, else the certificate's fingerprint."""
    if probe.fingerprint in by_fingerprint:
        return by_fingerprint[probe.fingerprint]
    names = [n for n in probe.other_names() if not n.startswith("*.")]
    if names:
        return short(names[0])
    return "a broker with certificate SHA-256 %s" % (probe.fingerprint or "?")[:16]


def check_brokers(balancer, brokers, port, through, directs):
    """BALANCER_MQTT from the connections through the balancer and {proxy name: probe} to each
    proxy's own broker; brokers is yggdrasil's broker list (None: yggdrasil not configured)."""
    target = "%s:%d" % (balancer, port)
    data = {"port": port}
    if brokers is None:
        return skipped("BALANCER_MQTT", target, "pull-mode remote execution is not set up on "
                       "this host (no /etc/yggdrasil/config.toml)", **data)
    if through is None:
        return skipped("BALANCER_MQTT", target, "not checked: no Katello CA to verify against",
                       **data)
    answering = {name: probe for name, probe in directs.items() if probe.fingerprint}
    # Identical certificates on several proxies cannot tell them apart: then the names decide.
    fingerprints = [p.fingerprint for p in answering.values()]
    by_fingerprint = {p.fingerprint: short(name) for name, p in answering.items()
                      if fingerprints.count(p.fingerprint) == 1}
    data["direct"] = sorted(short(n) for n in answering)
    reached = [p for p in through if p.fingerprint]
    if not reached:
        why = (through[0].error or "no TLS handshake").lower() if through else "not tried"
        return skipped("BALANCER_MQTT", target, "not checked: no MQTT broker answered through "
                       "%s (%s); BALANCER_PORT has the details" % (target, why), **data)
    seen = [_identify(p, by_fingerprint) for p in reached]
    brokers_reached = sorted(set(seen))
    data["reached"] = brokers_reached
    data["connections"] = len(through)
    directly = ("brokers answering directly: %s" % ", ".join(data["direct"])
                if data["direct"] else "no proxy's broker answered directly")
    detail = [directly] + [line for line in [connack(reached)] if line]
    if len(brokers_reached) > 1:
        counts = ", ".join("%s %d" % (b, seen.count(b)) for b in brokers_reached)
        return warned("BALANCER_MQTT", target, "%d connections from this host reached %d "
                      "different brokers (%s): the balancer does not keep a client on one "
                      "broker; %s" % (len(reached), len(brokers_reached), counts, CONSEQUENCE),
                      SPREAD_FIX % port, detail=detail, **data)
    only = brokers_reached[0]
    unreached = [short(n) for n in answering if short(n) != only]
    summary = "%d connections all reached the broker of %s: this client stays on one broker " \
              "and hears the pull-mode jobs that %s runs" % (len(reached), only, only)
    if unreached:
        summary += " (not those of %s)" % listing(sorted(unreached))
    return passed("BALANCER_MQTT", target, summary, detail=detail, **data)
