"""The message brokers goferd (AMQP 5647) and yggdrasil (MQTT 1883) reach through the balancer,
and the verdict of probing one as a step result. Used by CHECK_AMQP and CHECK_MQTT."""
from lbenroll.probe import tls_probe
from lbenroll.results import Result, Status

CNAME_FIX = ("generate the proxies' certificates with `foreman-proxy-certs-generate "
             "--foreman-proxy-cname %s` so every proxy's certificate carries the balancer name")


def _question(run, port, exchange):
    """The arguments of tls_probe for balancer:port with this run's Katello CA."""
    return run.balancer, port, run.katello_ca(), min(run.options.timeout, 15), exchange


def begin(run, port, exchange):
    """Begin the probe of balancer:port before the steps run (early.py): most of an MQTT
    CONNECT's time is waiting for the broker's answer."""
    run.early.begin(tls_probe, *_question(run, port, exchange))


def broker_result(step_id, run, port, service, exchange):
    """Probe balancer:port as the agent that uses it would."""
    where = "%s:%d" % (run.balancer, port)
    probe = run.early.answer(tls_probe, *_question(run, port, exchange))
    if not probe.reachable:
        summary = "%s not reachable (%s): %s cannot connect" % (where, probe.error, service)
        return Result(step_id, Status.WARNING, summary,
                      remediation="forward port %d on the balancer to the proxies" % port)
    if not probe.chain_ok:
        return Result(step_id, Status.WARNING, "%s presents a certificate that does not chain to "
                      "the Katello CA (%s)" % (where, probe.error),
                      remediation="all proxies must use certificates from the Katello CA")
    if not probe.name_ok:
        proxy = ", ".join(probe.other_names()) or "the answering proxy"
        return Result(step_id, Status.WARNING,
                      "the certificate of %s on %s lacks the balancer name %s: %s will refuse "
                      "it" % (proxy, where, run.balancer, service),
                      remediation=CNAME_FIX % run.balancer)
    if not probe.protocol_ok:
        return Result(step_id, Status.WARNING, "%s: %s" % (where, probe.protocol_detail),
                      remediation="check the %s service on the proxies" % service)
    return Result(step_id, Status.UNCHANGED, "%s answers %s with a valid certificate" % (
        where, service), detail=[probe.protocol_detail])
