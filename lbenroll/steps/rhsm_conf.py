"""RHSM_CONF: point rhsm.conf at the balancer, with repository management on."""
from lbenroll.steps.base import WriterStep
from lbenroll.writers.rhsm_conf import RhsmConfWriter


class RhsmConf(WriterStep):
    id = "RHSM_CONF"
    title = "Point rhsm.conf at the balancer, with repository management on"
    requires = ("INSTALL_CONSUMER_RPM",)

    def writer(self, run):
        # The layout (port, prefix, content path) is what the balancer's consumer RPM sets, never
        # what the file holds: a consumer RPM whose script was killed, failed or never ran
        # leaves Red Hat's defaults there (prefix /subscription), and registering with those
        # cannot work.
        return RhsmConfWriter(run.balancer, layout=run.consumer.layout,
                              proxy_settings=run.proxy_settings
                              if run.options.preserve_rhsm_proxy else None,
                              manage_repos=not run.options.preserve_manage_repos)

    def run(self, run):
        result = super(RhsmConf, self).run(run)
        was = (result.data or {}).get("manage_repos_was")
        if was is None:
            return result
        # Said in the summary, not only in the diff: with manage_repos = 0 the host had no
        # redhat.repo from this server, and may have had repositories of its own instead.
        if run.options.preserve_manage_repos:
            # The admin's choice, kept on every repair: said, not warned about.
            result.summary += "; rhsm.manage_repos = %s kept (--preserve-manage-repos): " \
                              "subscription-manager writes no redhat.repo" % was
        else:
            result.summary += "; rhsm.manage_repos was %s, %s 1: subscription-manager " \
                              "writes redhat.repo again" % (
                                  was, "would be" if run.ctx.dry_run else "now")
        return result
