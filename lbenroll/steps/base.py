"""Step contract, the kinds of step several steps are, and the per-run state they share."""
from lbenroll import consumer, puppet_agent
from lbenroll.errors import LbenrollError
from lbenroll.packages import PackageManager, did_nothing, installed_names
from lbenroll.results import Result, Status


class Step(object):
    """A non-file action. Subclasses set id/title/requires and implement run(run) -> Result.

    Expected failures are raised as LbenrollError where they happen; the engine turns them
    into a failed Result.
    """

    id = None
    title = None
    requires = ()

    def run(self, run):
        raise NotImplementedError


class WriterStep(Step):
    """A step that is one writer: plan against the current file, apply (or show in dry-run)."""

    def writer(self, run):
        raise NotImplementedError

    def run(self, run):
        writer = self.writer(run)
        if writer is None:
            return Result(self.id, Status.SKIPPED, self.skip_reason(run))
        result = writer.run(run.ctx)
        result.id = self.id
        return result

    def skip_reason(self, run):
        return "skipped"


class AgentStep(Step):
    """A step of the Puppet agent itself: skipped with --skip puppet and without Foreman."""

    requires = ("PREFLIGHT",)

    def run(self, run):
        reason = puppet_agent.out_of_scope(run.options)
        if reason:
            return Result(self.id, Status.SKIPPED, reason)
        return self.agent(run)

    def agent(self, run):
        raise NotImplementedError


def comma_list(value):
    """--enablerepos and --install-packages are comma-separated, as in bootstrap.py."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class PackageStep(Step):
    """Installs packages that are not installed yet; a re-run finds them and does nothing."""

    def wanted(self, run):
        raise NotImplementedError

    def install(self, run):
        pm = PackageManager(run.ctx)
        names = self.wanted(run)
        installed = installed_names(run.ctx, names)
        missing = [name for name in names if name not in installed]
        if not missing:
            return Result(self.id, Status.UNCHANGED, "%s already installed" % ", ".join(names))
        result = pm.transaction("install", missing, step=self.id)
        if result is None:
            return Result(self.id, Status.CHANGED, "would install %s" % ", ".join(missing),
                          detail=["would run: %s" % run.ctx.runner.display(pm.argv(
                              "install", *missing))])
        if not result.ok:
            return self.failed(pm.failure(result))
        if did_nothing(result):
            return Result(self.id, Status.UNCHANGED, "%s already installed" % ", ".join(names))
        return Result(self.id, Status.CHANGED, "installed %s with %s" % (
            ", ".join(missing), pm.name))

    def failed(self, message):
        raise LbenrollError(message, step=self.id,
                            fix="run the command by hand to see why, fix it and run again")


def rerun_of_the_record(run):
    """Whether this run re-applies the recorded enrollment on a registered host: options came
    from /etc/lbenroll/lbenroll.conf, the host holds its consumer certificate, and neither an
    activation key nor --force asks for registering. Such a run costs what a repair costs: no
    identity round trip, no prerequisite update, no package installed (HOST_TOOLS)."""
    options = run.options
    return (bool(options.from_record) and bool(run.registered_before)
            and not options.force and not options.activationkey)


class Run(object):
    """Everything one enrollment run has learned so far, shared between steps."""

    def __init__(self, options, ctx):
        self.options = options
        self.ctx = ctx
        self.results = {}
        self.consumer = None          # ConsumerRpm fetched through the balancer
        self.answering_proxy = None   # which proxy behind the balancer answered
        self.proxy_settings = None    # rhsm.conf proxy_* keys from before the consumer RPM ran
        self.registered_before = None
        self.registered_now = False
        self.org_label = None         # the organization's label, from Foreman (FOREMAN_HOST)
        self.tmpdir = None            # the run's private temporary directory (app.run makes it)
        # The katello-ca-consumer packages (N-V-R) before INSTALL_CONSUMER_RPM changed them:
        # the rollback's last check compares the rpm database with them.
        self.consumer_packages_before = None

    def katello_ca(self):
        """The Katello CA this run installed (or, in a dry run, would install), else the one
        already on the host."""
        if self.consumer is not None:
            return self.consumer.server_ca_pem
        return consumer.installed_ca(self.ctx)

    @property
    def balancer(self):
        return self.options.balancer

    def changed(self, step_id):
        result = self.results.get(step_id)
        return result is not None and result.status == Status.CHANGED
