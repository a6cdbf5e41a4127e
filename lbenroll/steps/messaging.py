"""CHECK_AMQP, GOFER_CONFIG, YGGDRASIL_CONFIG, CHECK_MQTT: agents that follow rhsm.conf's server.

goferd (katello-agent) connects to <server.hostname>:5647 over AMQP 1.0; remote-execution pull
mode (yggdrasil) to mqtts://<server.hostname>:1883 (reference §6, §7).
"""
import os

from lbenroll import fileio, host, services
from lbenroll.probe import amqp_exchange, mqtt_exchange, tls_probe
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step, WriterStep
from lbenroll.urls import host_of
from lbenroll.writers.base import decode
from lbenroll.writers.gofer import GoferKatelloWriter
from lbenroll.writers.yggdrasil import YggdrasilWriter, broker_urls

YGGDRASIL_UNITS = ("yggdrasild", "yggdrasil")
AMQP_PORT = 5647
MQTT_PORT = 1883
CNAME_FIX = ("generate the proxies' certificates with `foreman-proxy-certs-generate "
             "--foreman-proxy-cname %s` so every proxy's certificate carries the balancer name")


def messaging_result(step_id, run, port, service, exchange):
    """Probe balancer:port as the agent that uses it would."""
    where = "%s:%d" % (run.balancer, port)
    probe = tls_probe(run.balancer, port, run.katello_ca(), timeout=min(run.options.timeout, 15),
                      exchange=exchange)
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


class CheckAmqp(Step):
    id = "CHECK_AMQP"
    title = "goferd/katello-agent can reach the balancer's AMQP port"
    requires = ("RHSM_CONF",)

    def run(self, run):
        # Current Katello layouts no longer run katello-agent, nor forward 5647: probing it on
        # every host would only turn each run into a warning (and cost a connection per repair).
        if not (os.path.exists(run.ctx.path(host.GOFER_KATELLO_CONF))
                or getattr(run.options, "install_katello_agent", False)):
            return Result(self.id, Status.SKIPPED, "katello-agent is not in use on this host "
                          "(no %s, no --install-katello-agent)" % host.GOFER_KATELLO_CONF)
        return messaging_result(self.id, run, AMQP_PORT, "goferd (katello-agent)", amqp_exchange)


class GoferConfig(WriterStep):
    id = "GOFER_CONFIG"
    title = "A broker url in goferd's katello plugin names the balancer"
    requires = ("RHSM_CONF",)

    def writer(self, run):
        return GoferKatelloWriter(run.balancer)

    def skip_reason(self, run):
        return "%s not present" % host.GOFER_KATELLO_CONF


class YggdrasilConfig(WriterStep):
    id = "YGGDRASIL_CONFIG"
    title = "Remote-execution pull mode's MQTT broker is the balancer"
    requires = ("RHSM_CONF",)

    def writer(self, run):
        return YggdrasilWriter(run.balancer)

    def skip_reason(self, run):
        return "%s not present (pull-mode remote execution not set up)" % host.YGGDRASIL_CONFIG

    def run(self, run):
        result = super(YggdrasilConfig, self).run(run)
        if result.status == Status.SKIPPED or not (
                result.status == Status.CHANGED or run.changed("RHSM_CONF")):
            return result
        # The consumer RPM's %post restarts it (`systemctl try-restart yggdrasil`); lbenroll
        # runs no scriptlets, so it does that here, under whichever name the installed release
        # gives its unit (yggdrasild in some, yggdrasil in others).
        unit = services.first_unit(run.ctx, YGGDRASIL_UNITS)
        if run.ctx.dry_run:
            result.detail.append("would restart %s if it runs" % unit)
        elif services.try_restart(run.ctx, unit, step=self.id):
            result.detail.append("restarted %s (if it was running) to reconnect" % unit)
        else:
            result.detail.append("%s: %s" % (unit, services.DEFERRED))
        return result


class CheckMqtt(Step):
    id = "CHECK_MQTT"
    title = "yggdrasil can reach the balancer's MQTT port"
    requires = ("YGGDRASIL_CONFIG",)

    def run(self, run):
        text = decode(fileio.read_bytes(run.ctx, host.YGGDRASIL_CONFIG) or b"")
        ports = sorted({_port(url) for url in broker_urls(text) if host_of(url)} or {MQTT_PORT})
        results = [messaging_result(self.id, run, port, "yggdrasil (pull-mode REX)",
                                    mqtt_exchange) for port in ports]
        worst = [r for r in results if r.status != Status.UNCHANGED]
        return worst[0] if worst else results[0]


def _port(url):
    rest = url.split("://", 1)[-1].split("/", 1)[0]
    if rest.rsplit(":", 1)[-1].isdigit() and not rest.endswith("]"):
        return int(rest.rsplit(":", 1)[-1])
    return MQTT_PORT
