"""OPENSCAP_CONFIG: foreman_scap_client uploads its reports through the balancer."""
from lbenroll.steps.base import WriterStep
from lbenroll.writers.openscap import OpenscapWriter


class OpenscapConfig(WriterStep):
    """Only an existing config.yaml is edited: without one, OpenSCAP is not set up here (the
    writer's plan is "not present; left alone"). foreman_scap_client runs from cron or a timer
    and reads the file on each run, so there is nothing to restart."""

    id = "OPENSCAP_CONFIG"
    title = "foreman_scap_client's proxy is the balancer"
    requires = ("PREFLIGHT",)

    def writer(self, run):
        return OpenscapWriter(run.balancer)
