"""INSIGHTS_CLIENT: --insights installs insights-client and registers it, as Global
Registration's `setup_insights` does.

Foreman's `insights` snippet (theforeman/foreman, app/views/unattended/provisioning_templates/
snippet/insights.erb, run by host_init_config when `host_registration_insights` is true) runs,
on Red Hat Enterprise Linux only, `yum install -y insights-client` and
`insights-client --register < /dev/null`. insights-client then reaches the Satellite named in
rhsm.conf (auto_config), which RHSM_CONF made the balancer.

Registered or not is upstream's own test: /etc/insights-client/.registered exists
(insights-core insights/client/phase/v1.py, `reg_check`). `--register` on a registered host
would collect and upload again, so a run on a registered host runs nothing: no rpm query of its
own (the run's one query answers), no dnf, no insights-client.
"""
import re

from lbenroll import fileio, host
from lbenroll.errors import LbenrollError
from lbenroll.packages import installed_names
from lbenroll.results import Result, Status
from lbenroll.steps.base import PackageStep

RHEL_ID = "rhel"


def red_hat_enterprise_linux(ctx):
    """Whether os-release says ID=rhel (the snippet's `operatingsystem.name == 'RedHat'`)."""
    data = fileio.read_bytes(ctx, host.OS_RELEASE) or b""
    match = re.search(rb"^ID=[\"']?([^\"'\s]*)", data, re.M)
    return match is not None and match.group(1).decode("ascii", "replace") == RHEL_ID


def registered(ctx):
    return fileio.read_bytes(ctx, host.INSIGHTS_REGISTERED) is not None


class InsightsClient(PackageStep):
    id = "INSIGHTS_CLIENT"
    title = "Install and register insights-client (--insights)"
    requires = ("REGISTER",)

    def wanted(self, run):
        return [host.INSIGHTS_CLIENT_PACKAGE]

    def run(self, run):
        try:
            return self.set_up(run)
        except LbenrollError as exc:
            # As --install-packages (bootstrap.py): the host is enrolled without it; the run
            # says what is missing and the next run or repair tries again.
            return Result(self.id, Status.WARNING, exc.message, remediation=exc.fix)

    def set_up(self, run):
        ctx = run.ctx
        if not run.options.insights:
            return Result(self.id, Status.SKIPPED, "--insights not given")
        if not red_hat_enterprise_linux(ctx):
            return Result(self.id, Status.SKIPPED, "insights-client is set up on Red Hat "
                          "Enterprise Linux only (os-release ID is not rhel), as Global "
                          "Registration's insights snippet does")
        detail = []
        package = host.INSIGHTS_CLIENT_PACKAGE
        if not installed_names(ctx, [package]):
            installing = self.install(run)
            if ctx.dry_run or installing.status != Status.CHANGED:
                if installing.status == Status.CHANGED:
                    installing.detail.append("would run: insights-client --register")
                return installing
            detail.append(installing.summary)
        if registered(ctx):
            if detail:  # installed now over an earlier registration (the package was removed)
                return Result(self.id, Status.CHANGED, detail[0] + "; already registered",
                              detail=detail)
            return Result(self.id, Status.UNCHANGED,
                          "insights-client installed and registered (%s exists)"
                          % host.INSIGHTS_REGISTERED)
        argv = ctx.in_root(host.INSIGHTS_CLIENT, "--register")
        if ctx.dry_run:
            return Result(self.id, Status.CHANGED, "would register insights-client",
                          detail=["would run: %s" % ctx.runner.display(argv)])
        # stdin empty, as the snippet's `< /dev/null`: nothing may wait for an answer.
        result = ctx.run(argv, changes_host=True, input="")
        if not result.ok:
            raise LbenrollError(
                "%s failed (exit %s): %s" % (ctx.runner.display(argv), result.returncode,
                                             ctx.runner.output(result)),
                step=self.id,
                fix="run `insights-client --register` by hand to see why (its log is "
                    "/var/log/insights-client/insights-client.log), fix it and run again")
        ctx.undo.push("unregister insights-client registered by this run",
                      lambda: unregister(ctx))
        detail.append("registered through %s (rhsm.conf's server, auto_config)" % run.balancer)
        return Result(self.id, Status.CHANGED, "insights-client registered", detail=detail)


def unregister(ctx):
    """The undo of this run's registration: `insights-client --unregister`."""
    argv = ctx.in_root(host.INSIGHTS_CLIENT, "--unregister")
    result = ctx.run(argv, changes_host=True, input="")
    if result is not None and not result.ok:
        raise RuntimeError("%s failed (exit %s): %s" % (
            ctx.runner.display(argv), result.returncode, ctx.runner.output(result)))
