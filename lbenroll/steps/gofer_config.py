"""GOFER_CONFIG: A broker url in goferd's katello plugin names the balancer."""
from lbenroll import host
from lbenroll.steps.base import WriterStep
from lbenroll.writers.gofer import GoferKatelloWriter


class GoferConfig(WriterStep):
    id = "GOFER_CONFIG"
    title = "A broker url in goferd's katello plugin names the balancer"
    requires = ("RHSM_CONF",)

    def writer(self, run):
        return GoferKatelloWriter(run.balancer)

    def skip_reason(self, run):
        return "%s not present" % host.GOFER_KATELLO_CONF
