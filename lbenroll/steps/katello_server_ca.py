"""KATELLO_SERVER_CA: the Katello server CA of the balancer's consumer RPM in /etc/rhsm/ca."""
from lbenroll.steps.base import WriterStep
from lbenroll.writers.katello_ca import KatelloServerCaWriter


class KatelloServerCa(WriterStep):
    id = "KATELLO_SERVER_CA"
    title = "The Katello server CA of the balancer's consumer RPM in /etc/rhsm/ca"
    requires = ("INSTALL_CONSUMER_RPM",)

    def writer(self, run):
        return KatelloServerCaWriter(run.consumer.server_ca_pem)
