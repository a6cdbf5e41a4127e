"""CHECK_AMQP: goferd/katello-agent can reach the balancer's AMQP port."""
import os

from lbenroll import host, ports
from lbenroll.brokers import broker_result
from lbenroll.probe import amqp_exchange
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step


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
        return broker_result(self.id, run, ports.AMQP, "goferd (katello-agent)", amqp_exchange)
