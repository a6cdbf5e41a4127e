"""PREFLIGHT: refuse early, before anything changes, when the run cannot succeed."""
import os
import socket

from lbenroll import consumer, fileio, host, packages
from lbenroll.errors import ConfigError, UnavailableError, UsageError
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step
from lbenroll.writers.base import decode
from lbenroll.writers.rhsm_conf import read_proxy_settings


RHEL_FAMILY = ("rhel", "centos", "rocky", "almalinux", "ol", "fedora", "eurolinux", "circle")


def os_release(ctx):
    """(id, version, pretty name) of the managed root, read with `distro` from its os-release."""
    import distro
    path = ctx.path(host.OS_RELEASE)
    if not os.path.exists(path):
        return None, None, None
    sources = dict(include_lsb=False, os_release_file=path, distro_release_file=os.devnull)
    try:
        # Newer distro also runs `uname`; the managed root's os-release is all we want.
        info = distro.LinuxDistribution(include_uname=False, **sources)
    except TypeError:  # distro < 1.6 (EL8 ships 1.4) has no uname source to turn off
        info = distro.LinuxDistribution(**sources)
    # os-release attributes only: distro 1.4's version() and name() run `uname` for fallbacks.
    return (info.id(), info.os_release_attr("version_id"),
            info.os_release_attr("pretty_name") or info.os_release_attr("name"))


# The files lbenroll edits that their owners parse strictly: (path, owner, parse rules, --skip
# value that leaves the file alone).
PARSED_FILES = ((host.RHSM_CONF, "subscription-manager", dict(continuation=True), None),
                (host.PUPPET_CONF, "the Puppet agent",
                 dict(continuation=False, keys_before_section=True), "puppet"))


def check_parsable(ctx, options):
    """A file whose owner cannot parse it stops the run before anything changes: an edit
    would keep the bad line, and registering with subscription-manager would fail on it."""
    from lbenroll.ini import syntax_errors
    for path, owner, rules, skip in PARSED_FILES:
        if skip in options.skip:
            continue
        data = fileio.read_bytes(ctx, path)
        errors = syntax_errors(decode(data), **rules) if data is not None else []
        if errors:
            number, line = errors[0]
            more = " (and %d more)" % (len(errors) - 1) if len(errors) > 1 else ""
            raise ConfigError(
                "%s line %d cannot be parsed by %s: %r%s; nothing was changed" % (
                    path, number, owner, line[:80], more), step=Preflight.id,
                fix="correct or remove that line (every line must be a [section] header, a "
                    "key = value line or a comment), then run lbenroll again")


class Preflight(Step):
    id = "PREFLIGHT"
    title = "Check the host and the options before changing anything"

    def run(self, run):
        ctx = run.ctx
        detail = []
        # rhsm.conf (and redhat.repo, generated from it) may hold a proxy password; diffs,
        # logs and --json must never show it.
        proxy = read_proxy_settings(decode(fileio.read_bytes(ctx, host.RHSM_CONF) or b""))
        ctx.redact.add(proxy.get("proxy_password"))
        servers = packages.installed_names(ctx, host.SERVER_PACKAGES, step=self.id)
        if servers:
            raise UsageError("this machine is a Katello server or Smart Proxy (%s installed)" % (
                ", ".join(servers)), step=self.id, fix="run lbenroll on client hosts only")
        check_parsable(ctx, run.options)
        try:
            addresses = sorted({info[4][0] for info in socket.getaddrinfo(
                run.balancer, None, 0, socket.SOCK_STREAM)})
        except socket.gaierror as exc:
            raise UnavailableError(
                "the balancer name %s does not resolve (%s)" % (run.balancer, exc.strerror),
                step=self.id, fix="check --server, DNS and /etc/hosts on this host")
        detail.append("balancer %s resolves to %s" % (run.balancer, ", ".join(addresses)))
        self._check_registration_inputs(run)
        status = Status.UNCHANGED
        os_id, version, pretty = os_release(ctx)
        if os_id in RHEL_FAMILY:
            detail.append("operating system: %s" % pretty)
        else:
            status = Status.WARNING
            detail.append("operating system %s is not RHEL-family; continuing" % (
                pretty or "unknown"))
        return Result(self.id, status, "host checks passed", detail=detail,
                      remediation=None if status == Status.UNCHANGED else
                      "lbenroll targets EL8, EL9 and EL10 hosts")

    def _check_registration_inputs(self, run):
        options = run.options
        registered = os.path.exists(run.ctx.path(host.CONSUMER_CERT))
        run.registered_before = registered
        run.registration_problem = consumer.consumer_cert_problem(run.ctx) if registered else (
            "there is no %s" % host.CONSUMER_CERT)
        if not registered and options.recorded_in:
            # `lbenroll repair` has no activation key by design: registering is enrolling.
            raise UsageError("identity lost: this host is not registered any more (no %s)" % (
                host.CONSUMER_CERT), step=self.id,
                fix="re-enroll with -a KEY: lbenroll -a KEY -o ORG_LABEL plus the options "
                    "recorded in %s" % options.recorded_in)
        if options.new_capsule:
            self._check_movable(run, registered)
            return
        if (not registered or options.force) and not options.activationkey:
            why = "--force re-registers" if registered else "this host is not registered yet"
            raise UsageError("an activation key is needed: %s" % why, step=self.id,
                             fix="add -a/--activationkey KEY and -o/--organization ORG_LABEL")

    def _check_movable(self, run, registered):
        """--new-capsule moves a host enrolled with a Katello; it never registers one."""
        missing = [path for path, present in (
            (host.CONSUMER_CERT, registered),
            (host.KATELLO_SERVER_CA, os.path.exists(run.ctx.path(host.KATELLO_SERVER_CA))))
            if not present]
        if missing:
            raise UsageError("--new-capsule moves a host registered with Katello, and this one "
                             "is not (no %s)" % " and no ".join(missing), step=self.id,
                             fix="enroll it instead: drop --new-capsule and add -a KEY "
                                 "-o ORG_LABEL")
