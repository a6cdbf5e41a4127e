"""The Puppet agent: puppet-agent installed, puppet.conf pointed at the balancer and the Puppet CA
port, a certificate from the CA within a bounded wait, and the service enabled."""
import os

from lbenroll import fileio, host, probe, services
from lbenroll.errors import LbenrollError
from lbenroll.packages import PackageManager, PackageNotAvailable, did_nothing
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step, WriterStep
from lbenroll.writers.puppet_conf import PuppetConfWriter

# Puppet's own ca_port when puppet.conf has none.
DEFAULT_CA_PORT = "8140"
# Seconds between two looks for the signed certificate (bootstrap.py's --waitforcert 10).
WAITFORCERT = 10
# Kills the signing run when puppet itself overruns its bound (a request hanging on a CA that
# accepts connections but never answers): Ruby's start-up plus one last attempt.
RUN_MARGIN = 30
# What `puppet ssl bootstrap` prints when the CA holds a certificate for this name that the
# new key does not match (the CA refused a second certificate for the name).
KEY_MISMATCH = "does not match its private key"
# Puppet's closing lines when it gives up waiting; they say nothing about the cause.
GAVE_UP = ("Exiting now because", "Couldn't fetch certificate from CA server")
# Steps after which the agent must be (re)started to use what they changed.
AGENT_INPUTS = ("PUPPET_INSTALL", "PUPPET_CONF", "PUPPET_CERT")


def _out_of_scope(options):
    """Why the agent is not installed, signed or enabled in this run; None when it is."""
    if "puppet" in options.skip:
        return "skipped with --skip puppet"
    if options.foreman_skipped:
        # As in bootstrap.py: without a host record Foreman is no ENC for this agent, so it
        # would get no classes; puppet.conf still points at the balancer (PUPPET_CONF).
        return ("skipped because Foreman is skipped (--skip foreman or --content-only): an "
                "agent without a Foreman host record gets no catalog from Foreman")
    return None


def certname(options):
    return options.fqdn.lower()  # as PUPPET_CONF writes it: Puppet certnames are lower-case


def ca_port(options):
    return int(options.puppet_ca_port or DEFAULT_CA_PORT)


def ca_address(options):
    return "%s:%s" % (options.puppet_ca_server, ca_port(options))


class AgentStep(Step):
    """A step of the Puppet agent itself: skipped with --skip puppet and without Foreman."""

    requires = ("PREFLIGHT",)

    def run(self, run):
        reason = _out_of_scope(run.options)
        if reason:
            return Result(self.id, Status.SKIPPED, reason)
        return self.agent(run)

    def agent(self, run):
        raise NotImplementedError


class PuppetInstall(AgentStep):
    id = "PUPPET_INSTALL"
    title = "Install puppet-agent (not with --skip puppet, nor without Foreman)"

    def agent(self, run):
        ctx, pm, name = run.ctx, PackageManager(run.ctx), host.PUPPET_AGENT_PACKAGE
        if name in pm.installed([name]):
            return Result(self.id, Status.UNCHANGED, "%s already installed" % name)
        # PUPPET_CONF's own backup would come after the install and keep the package's file:
        # keep puppet.conf as it was before the package brought its own (or that it was absent).
        fileio.backup_before_command(ctx, [host.PUPPET_CONF])
        try:
            result = pm.transaction("install", [name], step=self.id)
        except PackageNotAvailable as exc:
            exc.fix = "%s; or add --skip puppet to enroll without the Puppet agent" % exc.fix
            raise
        if result is None:
            return Result(self.id, Status.CHANGED, "would install %s" % name, detail=[
                "would run: %s" % ctx.runner.display(pm.argv("install", name))])
        if not result.ok:  # fatal, as in bootstrap.py
            raise LbenrollError(pm.failure(result), step=self.id,
                                fix="run %s install %s by hand to see why" % (pm.name, name))
        if did_nothing(result):
            return Result(self.id, Status.UNCHANGED, "%s already installed" % name)
        ctx.undo.push("remove %s (installed by this run)" % name, lambda: _remove(pm, name))
        return Result(self.id, Status.CHANGED, "installed %s with %s" % (name, pm.name))


def _remove(pm, name):
    result = pm.transaction("remove", [name])
    if result is not None and not result.ok:
        raise RuntimeError(pm.failure(result))


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


class PuppetCert(AgentStep):
    id = "PUPPET_CERT"
    title = "Get the agent's certificate from the Puppet CA, waiting at most --timeout seconds"

    def agent(self, run):
        options, ctx = run.options, run.ctx
        name, ca = certname(options), ca_address(options)
        if not options.force and has_certificate(ctx, name):
            # No network at all: re-runs and the repair timer must not bother the CA.
            return Result(self.id, Status.UNCHANGED, "%s has its certificate and the CA's in %s"
                          % (name, host.PUPPET_SSL_DIR))
        if not ctx.dry_run:
            # Puppet would retry an unreachable CA until --timeout runs out; one look says so now.
            answer = probe.tls_probe(options.puppet_ca_server, ca_port(options), None,
                                     timeout=options.timeout)
            if answer.error:
                return Result(self.id, Status.WARNING, "the Puppet CA at %s does not answer: %s"
                              % (ca, answer.error), remediation=_check_ca(ca))
        detail = [_set_ssl_dir_aside(ctx)] if options.force else []
        interval = min(WAITFORCERT, options.timeout)
        argv = ctx.in_root(host.PUPPET_BIN, "ssl", "bootstrap", "--certname", name,
                           "--waitforcert", str(interval), "--maxwaitforcert",
                           str(options.timeout), "--color", "false")
        run_timeout = options.timeout + interval + RUN_MARGIN
        result = ctx.run(argv, changes_host=True, timeout=run_timeout)
        if result is None:
            return Result(self.id, Status.CHANGED, "would request a certificate for %s from the "
                          "Puppet CA at %s" % (name, ca),
                          detail=detail + ["would run: %s" % ctx.runner.display(argv)])
        if result.ok:
            return Result(self.id, Status.CHANGED, "got a certificate for %s from the Puppet CA "
                          "at %s" % (name, ca), detail=detail)
        summary, fix = diagnose(result, name, ca, options.timeout, run_timeout)
        return Result(self.id, Status.WARNING, summary, remediation=fix,
                      detail=detail + _puppet_lines(result)[-5:])


def has_certificate(ctx, name):
    return all(os.path.isfile(ctx.path(path)) for path in host.puppet_cert_paths(name))


def _set_ssl_dir_aside(ctx):
    """--force: the next request starts from a new key, as on a rebuilt host."""
    if not os.path.isdir(ctx.path(host.PUPPET_SSL_DIR)):
        return "--force: no %s to move aside" % host.PUPPET_SSL_DIR
    if ctx.dry_run:
        return "--force: would move %s aside into %s/set-aside" % (host.PUPPET_SSL_DIR,
                                                                     host.BACKUP_DIR)
    moved = fileio.set_aside(ctx, host.PUPPET_SSL_DIR)
    return "--force: moved %s aside to %s" % (host.PUPPET_SSL_DIR,
                                              "/" + os.path.relpath(moved, ctx.root))


def _puppet_lines(result):
    return [line.strip() for line in (result.stdout + "\n" + result.stderr).splitlines()
            if line.strip()]


def _check_ca(ca):
    return ("check that %s answers as the Puppet CA (lbenroll diagnose shows what the balancer "
            "forwards), then run lbenroll again" % ca)


def diagnose(result, name, ca, timeout, run_timeout):
    """(summary, fix) for a signing run that ended without a certificate."""
    if result.timed_out:
        return ("the signing run against the Puppet CA at %s did not finish within %ss"
                % (ca, run_timeout), _check_ca(ca))
    lines = _puppet_lines(result)
    if any(KEY_MISMATCH in line for line in lines):
        return ("the Puppet CA at %s refused a new certificate for %s: it already holds one "
                "for that name, which this host's key does not match" % (ca, name),
                "on the Puppet CA run `puppetserver ca clean --certname %s` (or delete the "
                "host's certificate in Foreman), then run lbenroll again with --force" % name)
    errors = [line for line in lines if line.startswith("Error:")
              and not any(marker in line for marker in GAVE_UP)]
    if errors:
        return ("could not get a certificate from the Puppet CA at %s: %s" % (
            ca, errors[0][len("Error:"):].strip()), _check_ca(ca))
    return ("the Puppet CA at %s did not sign the request for %s within %ss" % (ca, name, timeout),
            "sign %s in Foreman (Infrastructure > Smart Proxies > Puppet CA) or run `puppetserver "
            "ca sign --certname %s` on the Puppet CA, then run lbenroll again" % (name, name))


class PuppetEnable(AgentStep):
    id = "PUPPET_ENABLE"
    title = "Enable and (re)start the puppet service unless --skip puppet-enable"

    def agent(self, run):
        if "puppet-enable" in run.options.skip:
            return Result(self.id, Status.SKIPPED,
                          "skipped with --skip puppet-enable: the puppet service is left as it is")
        ctx, unit = run.ctx, host.PUPPET_SERVICE
        changed = [step for step in AGENT_INPUTS if run.changed(step)]
        if not changed and services.is_enabled(ctx, unit):
            return Result(self.id, Status.UNCHANGED, "%s is enabled; the agent's package, "
                          "configuration and certificate are unchanged" % unit)
        services.enable(ctx, unit, step=self.id)
        started = services.restart(ctx, unit, step=self.id)
        if ctx.dry_run:
            return Result(self.id, Status.CHANGED, "would enable %s %s" % (
                unit, "and restart it" if started else "(%s)" % services.DEFERRED))
        if started:
            return Result(self.id, Status.CHANGED, "%s enabled and restarted" % unit)
        return Result(self.id, Status.CHANGED, "%s enabled; %s" % (unit, services.DEFERRED),
                      detail=["it starts at the next boot"])

