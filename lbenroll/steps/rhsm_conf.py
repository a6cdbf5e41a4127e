"""RHSM_CONF: point rhsm.conf at the balancer."""
from lbenroll.steps.base import WriterStep
from lbenroll.writers.rhsm_conf import RhsmConfWriter


class RhsmConf(WriterStep):
    id = "RHSM_CONF"
    title = "Point rhsm.conf at the balancer"
    requires = ("INSTALL_CONSUMER_RPM",)

    def writer(self, run):
        # The layout (port, prefix, content path) is what the balancer's consumer RPM sets, never
        # what the file holds: a consumer RPM whose script was killed, failed or never ran
        # leaves Red Hat's defaults there (prefix /subscription), and registering with those
        # cannot work.
        return RhsmConfWriter(run.balancer, layout=run.consumer.layout,
                              proxy_settings=run.proxy_settings
                              if run.options.preserve_rhsm_proxy else None)
