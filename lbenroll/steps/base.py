"""Step contract, the kinds of step several steps are, and the per-run state they share."""
from lbenroll import consumer, fileio, host, puppet_agent
from lbenroll.early import Early
from lbenroll.errors import LbenrollError
from lbenroll.foreman import ForemanApi
from lbenroll.packages import PackageManager, did_nothing, installed_names, would_change
from lbenroll.results import Result, Status
from lbenroll.smartproxies import SMART_PROXIES
from lbenroll.writers.base import decode
from lbenroll.writers.rhsm_conf import interpolate, read_rhsm


class Step(object):
    """A non-file action. Subclasses set id/title/requires and implement run(run) -> Result.

    Expected failures are raised as LbenrollError where they happen; the engine turns them
    into a failed Result.
    """

    id = None
    title = None
    requires = ()

    def early(self, run):
        """Called for every step before the first runs: begin here, with run.early.begin, the
        read-only network probes run() will ask run.early.answer for (lbenroll/early.py)."""

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
        would = "would install %s" % ", ".join(missing)
        if repositories_may_change(run):
            return may_change(run, self.id, would, pm.argv("install", *missing))
        result = pm.transaction("install", missing, step=self.id, preview=True)
        if would_change(result):
            return Result(self.id, Status.CHANGED, would, detail=["would run: %s" % (
                run.ctx.runner.display(pm.argv("install", *missing)))])
        if not result.ok:
            return self.failed(pm.failure(result))
        if did_nothing(result):
            return Result(self.id, Status.UNCHANGED, "%s already installed" % ", ".join(names))
        return Result(self.id, Status.CHANGED, "installed %s with %s" % (
            ", ".join(missing), pm.name))

    def failed(self, message):
        raise LbenrollError(message, step=self.id,
                            fix="run the command by hand to see why, fix it and run again")


def registration_stands(run):
    """Whether this run leaves the registration as it is without asking the server: the host
    holds a consumer certificate that PREFLIGHT found unexpired and issued by a Katello CA the
    host trusts (consumer.consumer_cert_problem), and --force does not ask for registering.
    Such a run, with or without -a, costs what a repair costs: no identity round trip, no
    prerequisite update, no package installed (HOST_TOOLS). README "Host states and
    convergence"."""
    return (not run.options.force and bool(run.registered_before)
            and run.registration_problem is None)


# The steps before the package steps whose change alters what dnf can install: the repositories
# (redhat.repo, --enablerepos), the server they come from and the identity that unlocks them.
REPOSITORY_STEPS = ("INSTALL_CONSUMER_RPM", "RHSM_CONF", "REGISTER", "REDHAT_REPO",
                    "YUM_PLUGINS", "ENABLE_REPOS")


def repositories_may_change(run):
    """In a dry run: whether an earlier step would change the repositories, so that dnf asked
    now would answer for another host than the one the run's transaction meets."""
    return run.ctx.dry_run and any(run.changed(step_id) for step_id in REPOSITORY_STEPS)


def may_change(run, step_id, would, argv, why=None):
    """The dry run's honest answer when only the run can know: it may change, and why."""
    if why is None:
        why = "%s changed the repositories" % ", ".join(
            step for step in REPOSITORY_STEPS if run.changed(step))
    return Result(step_id, Status.MAY_CHANGE, "may %s" % would[len("would "):], detail=[
        "dnf can only answer after %s" % why,
        "would run if needed: %s" % run.ctx.runner.display(argv)])


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
        # Why the consumer certificate cannot stand for the registration (PREFLIGHT), or None.
        self.registration_problem = "not checked"
        self.registered_now = False
        self.org_label = None         # the organization's label, from Foreman (FOREMAN_HOST)
        # The content proxies behind the balancer, from the Foreman API (FOREMAN_HOST, with
        # --container-registry-certs and no --container-registry-proxies), or None.
        self.registry_proxies = None
        self.tmpdir = None            # the run's private temporary directory (app.run makes it)
        # The katello-ca-consumer packages (N-V-R) before INSTALL_CONSUMER_RPM changed them:
        # the rollback's last check compares the rpm database with them.
        self.consumer_packages_before = None
        # Network probes begun before the first step, taken by the steps that need them.
        self.early = Early()
        # The Foreman API's Smart Proxy records by the CA they were verified against: (records,
        # None) or (None, the LbenrollError the listing raised). smart_proxies() fills it.
        self._smart_proxies = {}

    def katello_ca(self):
        """The Katello CA this run installed (or, in a dry run, would install), else the one
        already on the host."""
        if self.consumer is not None:
            return self.consumer.server_ca_pem
        return consumer.installed_ca(self.ctx)

    def smart_proxies(self, ca_pem):
        """Every Smart Proxy record of GET /api/v2/smart_proxies (all pages), asked through the
        balancer with -l and the password, verified against ca_pem. Listed once per run for
        every step that reads it (REX_CA and REX_KEYS with --rex-apikeys); a listing that failed
        raises the same LbenrollError again, without asking again. Not begun early (early.py is
        for anonymous probes; this one carries the password)."""
        listed = self._smart_proxies.get(ca_pem)
        if listed is None:
            options = self.options
            try:
                with ForemanApi(self.balancer, ca_pem, options.timeout, self.tmpdir,
                                options.login, options.password) as api:
                    api.ping()
                    listed = (api.all_results(SMART_PROXIES), None)
            except LbenrollError as exc:
                listed = (None, exc)
            self._smart_proxies[ca_pem] = listed
        records, error = listed
        if error is not None:
            raise error
        return list(records)

    @property
    def balancer(self):
        return self.options.balancer

    def changed(self, step_id):
        result = self.results.get(step_id)
        return result is not None and result.status == Status.CHANGED


def rex_pull_setting(ctx, key):
    """--rex-pull: a value of rhsm.conf as Global Registration's pull-mode setup reads it
    (`subscription-manager config --list`, interpolated): "prefix" or "repo_ca_cert"; None when
    rhsm.conf is absent."""
    data = fileio.read_bytes(ctx, host.RHSM_CONF)
    if data is None:
        return None
    settings = read_rhsm(decode(data))
    return interpolate(settings[key], settings)
