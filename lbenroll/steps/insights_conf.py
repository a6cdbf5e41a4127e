"""INSIGHTS_CONF: an explicit base_url in insights-client.conf names the balancer."""
from lbenroll.steps.base import WriterStep
from lbenroll.writers.insights import InsightsWriter


class InsightsConf(WriterStep):
    """Runs whether or not --insights is given, like the other agents' files: a host whose
    insights-client.conf names a proxy is repaired by any run (writers/insights.py says why that
    is safe). insights-client reads the file on each run; nothing to restart."""

    id = "INSIGHTS_CONF"
    title = "insights-client's explicit base_url, if any, is the balancer"
    requires = ("PREFLIGHT",)

    def writer(self, run):
        return InsightsWriter(run.balancer)
