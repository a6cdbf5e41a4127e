"""CHECK_MQTT: yggdrasil can reach the balancer's MQTT port."""
from lbenroll import fileio, host, ports
from lbenroll.brokers import begin, broker_result
from lbenroll.probe import mqtt_exchange
from lbenroll.results import Status
from lbenroll.steps.base import Step
from lbenroll.urls import host_of
from lbenroll.writers.base import decode
from lbenroll.writers.yggdrasil import broker_urls


class CheckMqtt(Step):
    id = "CHECK_MQTT"
    title = "yggdrasil can reach the balancer's MQTT port"
    requires = ("YGGDRASIL_CONFIG",)

    def early(self, run):
        # Only where yggdrasil is set up already: without its file YGGDRASIL_CONFIG skips, and
        # this step with it (a first --rex-pull run probes when it gets here).
        if fileio.read_bytes(run.ctx, host.YGGDRASIL_CONFIG) is not None:
            for port in _broker_ports(run):
                begin(run, port, mqtt_exchange)

    def run(self, run):
        results = [broker_result(self.id, run, port, "yggdrasil (pull-mode REX)",
                                    mqtt_exchange) for port in _broker_ports(run)]
        worst = [r for r in results if r.status != Status.UNCHANGED]
        return worst[0] if worst else results[0]


def _broker_ports(run):
    """The ports of the broker URLs in yggdrasil's configuration, else MQTT's."""
    text = decode(fileio.read_bytes(run.ctx, host.YGGDRASIL_CONFIG) or b"")
    return sorted({_port(url) for url in broker_urls(text) if host_of(url)} or {ports.MQTT})


def _port(url):
    rest = url.split("://", 1)[-1].split("/", 1)[0]
    if rest.rsplit(":", 1)[-1].isdigit() and not rest.endswith("]"):
        return int(rest.rsplit(":", 1)[-1])
    return ports.MQTT
