"""KATELLO_DEFAULT_CA: katello's default CA of the balancer's consumer RPM in /etc/rhsm/ca."""
from lbenroll.steps.base import WriterStep
from lbenroll.writers.katello_ca import KatelloDefaultCaWriter


class KatelloDefaultCa(WriterStep):
    id = "KATELLO_DEFAULT_CA"
    title = "Katello's default CA of the balancer's consumer RPM in /etc/rhsm/ca"
    requires = ("INSTALL_CONSUMER_RPM",)

    def writer(self, run):
        return KatelloDefaultCaWriter(run.consumer.default_ca_pem)
