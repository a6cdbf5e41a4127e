"""PUPPET_CERT: get the agent's certificate from the Puppet CA, waiting at most --timeout
seconds."""
import os

from lbenroll import backup, host, probe
from lbenroll.results import Result, Status
from lbenroll.puppet_agent import ca_address, ca_port, certname
from lbenroll.steps.base import AgentStep


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
    moved = backup.set_aside(ctx, host.PUPPET_SSL_DIR)
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
