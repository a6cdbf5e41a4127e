"""FOREMAN_HOST_DELETE: delete the Foreman host record through the balancer."""
from lbenroll import consumer, foreman
from lbenroll.foreman import ForemanApi
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step


class ForemanHostDelete(Step):
    id = "FOREMAN_HOST_DELETE"
    title = "Delete the Foreman host record through the balancer"
    requires = ("UNREGISTER",)

    def run(self, run):
        options, ctx = run.options, run.ctx
        if options.foreman_skipped:
            return Result(self.id, Status.SKIPPED, "--skip foreman: the host record is left alone")
        detail = []
        ca = consumer.installed_ca(ctx)
        if ca is None:
            # Already removed (a second --remove): trust the CA the balancer's RPM carries, as
            # an enrollment does (and check it against --ca-fingerprint when given).
            fetched = consumer.fetch(ctx, run.balancer, options.download_method, run.tmpdir,
                                     consumer.Trust.of(ctx, options))
            ca = fetched.server_ca_pem
            detail.append("no Katello CA installed: fetched %s from %s" % (
                fetched.package.nvr, fetched.answering_proxy))
        with ForemanApi(run.balancer, ca, options.timeout, run.tmpdir, options.login,
                        options.password) as api:
            api.ping()
            found = api.find("hosts", "name", options.fqdn)
            if found is None:
                return Result(self.id, Status.UNCHANGED, "Foreman has no host %s" % options.fqdn,
                              detail=detail)
            host_id = found["id"]
            if ctx.dry_run:
                return Result(self.id, Status.CHANGED, "would delete host %s (id %s)" % (
                    options.fqdn, host_id), detail=detail)
            api.request("DELETE", "%s/%s" % (foreman.HOSTS, host_id))
        return Result(self.id, Status.CHANGED, "deleted host %s (id %s)" % (options.fqdn, host_id),
                      detail=detail, data={"host_id": host_id})
