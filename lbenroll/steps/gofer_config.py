"""GOFER_CONFIG: A broker url in goferd's katello plugin names the balancer."""
from lbenroll.steps.base import WriterStep
from lbenroll.writers.gofer import GoferKatelloWriter


class GoferConfig(WriterStep):
    id = "GOFER_CONFIG"
    title = "A broker url in goferd's katello plugin names the balancer"
    requires = ("RHSM_CONF",)

    def writer(self, run):
        return GoferKatelloWriter(run.balancer)
