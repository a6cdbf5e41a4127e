"""CHECK_MQTT: yggdrasil can reach the balancer's MQTT port and is answered there as this host
(its client certificate: the MQTT CONNECT of brokers.yggdrasil_identity)."""
from lbenroll import fileio, host, ports
from lbenroll.brokers import begin, broker_result, yggdrasil_identity
from lbenroll.probe import mqtt_exchange
from lbenroll.results import Status
from lbenroll.steps.base import Step
from lbenroll.urls import host_of, port_of
from lbenroll.writers.base import decode
from lbenroll.writers.yggdrasil import broker_urls, top_level_strings


class CheckMqtt(Step):
    id = "CHECK_MQTT"
    title = "yggdrasil can reach the balancer's MQTT port"
    requires = ("YGGDRASIL_CONFIG",)

    def early(self, run):
        # Only where yggdrasil is set up already: without its file YGGDRASIL_CONFIG skips, and
        # this step with it (a first --rex-pull run probes when it gets here).
        broker_ports, identity = _brokers(run)
        if identity is not None:
            for port in broker_ports:
                begin(run, port, mqtt_exchange, identity)

    def run(self, run):
        broker_ports, identity = _brokers(run)
        if identity is None:  # no config.toml: the consumer identity, as --rex-pull sets it
            identity = yggdrasil_identity(run.ctx, None)
        results = [broker_result(self.id, run, port, "yggdrasil (pull-mode REX)",
                                 mqtt_exchange, identity) for port in broker_ports]
        worst = [r for r in results if r.status != Status.UNCHANGED]
        return worst[0] if worst else results[0]


def _brokers(run):
    """The ports of the broker URLs in yggdrasil's configuration (else MQTT's) and the identity
    yggdrasil presents (None when there is no configuration)."""
    data = fileio.read_bytes(run.ctx, host.YGGDRASIL_CONFIG)
    text = decode(data or b"")
    broker_ports = sorted({port_of(url, ports.MQTT) for url in broker_urls(text)
                           if host_of(url)} or {ports.MQTT})
    identity = None if data is None else yggdrasil_identity(run.ctx, top_level_strings(text))
    return broker_ports, identity


