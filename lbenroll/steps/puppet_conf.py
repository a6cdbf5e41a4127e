"""PUPPET_CONF: point puppet.conf at the balancer and the Puppet CA port."""
from lbenroll.steps.base import WriterStep
from lbenroll.writers.puppet_conf import PuppetConfWriter


class PuppetConf(WriterStep):
    id = "PUPPET_CONF"
    title = "Point puppet.conf at the balancer and the Puppet CA port"
    requires = ("PREFLIGHT",)

    def writer(self, run):
        options = run.options
        if "puppet" in options.skip:
            return None
        return PuppetConfWriter(server=options.puppet_server, ca_server=options.puppet_ca_server,
                                ca_port=options.puppet_ca_port, certname=options.fqdn,
                                noop=bool(options.puppet_noop),
                                drop_ca_port=bool(options.new_capsule))

    def skip_reason(self, run):
        return "skipped with --skip puppet"
