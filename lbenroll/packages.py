"""The package-manager layer: which packages the managed root has (rpm), and dnf where the root
has it, yum otherwise, inside the root."""
import collections
import fnmatch
import os

from lbenroll import host
from lbenroll.errors import ExitCode, LbenrollError

DNF = "/usr/bin/dnf"
# What dnf 4 ("No match for argument", "Unable to find a match"), dnf 5 ("No match for
# argument") and yum ("No package X available") print for a name no enabled repository has.
NOT_AVAILABLE_MARKERS = ("No match for argument", "Unable to find a match", "No package ")
# dnf and yum end a transaction that had nothing to do with these words.
NOTHING_TO_DO = ("Nothing to do", "No packages marked for")
# dnf ("There are no enabled repositories") and yum ("There are no enabled repos") on a host
# that is not registered yet and has no other repository.
NO_REPOSITORIES = "There are no enabled repo"
# What dnf 4 (dnf/cli/cli.py: `raise CliError(_("Operation aborted."))` when --assumeno or the
# user declines) and dnf 5 ("Operation aborted by the user.") print for a transaction that had
# something to do, asked with --assumeno: the dry run's read-only question.
ABORTED = "Operation aborted"

# Every name and glob a run looks up. The first lookup asks rpm about all of them in one query,
# and later lookups are answered from that answer until a command changes the host
# (Context.run forgets it): a repair of a correct host starts rpm once, not once per step.
# A name outside this list (--install-packages, --remove's) gets a query of its own.
LOOKED_UP = (host.SERVER_PACKAGES + host.PREREQ_UPDATE + host.OBSOLETE_PACKAGES
             + host.REX_PULL_PACKAGES + host.PUPPET_AGENT_PACKAGES
             + (host.CONSUMER_PACKAGE_PREFIX + "*", host.HOST_TOOLS_PACKAGE,
                host.INSIGHTS_CLIENT_PACKAGE))

Package = collections.namedtuple("Package", "name nvr")


class PackageNotAvailable(LbenrollError):
    """No enabled repository of the managed host provides a package."""

    def __init__(self, names, step=None):
        self.names = list(names)
        super(PackageNotAvailable, self).__init__(
            "no enabled repository provides %s" % ", ".join(self.names), step=step,
            fix="enable a repository that provides it (for example with --enablerepos) or give "
                "--deps-repository-url, then run again",
            exit_code=ExitCode.UNAVAILABLE)


class PackageManager(object):
    """dnf or yum of the managed root, run there with chroot (ctx.in_root).

    Why chroot and not `dnf --installroot`: with --installroot, dnf would take the running
    system's plugins (subscription-manager's among them) and the entitlement certificates named
    by absolute paths in redhat.repo from outside the root; inside the root every path, plugin
    and repository is the managed system's own, as for subscription-manager (host.in_root_argv).
    """

    def __init__(self, ctx):
        self.ctx = ctx
        self.name = "dnf" if os.path.exists(ctx.path(DNF)) else "yum"

    def argv(self, *args):
        return self.ctx.in_root(self.name, "-y", *args)

    def transaction(self, verb, names=(), step=None, preview=False):
        """Run `dnf -y VERB NAMES`, a CommandResult. In a dry run None, or with preview the
        same question asked read-only (`dnf --assumeno VERB NAMES`: would_change() tells the
        answer).

        A name no repository provides raises PackageNotAvailable; other failures are returned
        for the caller to judge (fatal or a warning, as bootstrap.py did). A dry run meets them
        as the run would: the dry run is the run's plan.
        """
        if self.ctx.dry_run and preview:
            result = self.ctx.run(self.ctx.in_root(self.name, "--assumeno", verb, *names))
            result.previewed = True
        else:
            result = self.ctx.run(self.argv(verb, *names), changes_host=True)
        if result is not None and not result.ok and not result.timed_out:
            missing = _not_available(result.stdout + result.stderr, names)
            if missing:
                raise PackageNotAvailable(missing, step=step)
        return result

    def failure(self, result):
        """One line for a failed transaction."""
        if result.timed_out:
            return "%s timed out after %ss" % (self.ctx.runner.display(result.argv),
                                               self.ctx.timeout)
        return "%s failed (exit %s): %s" % (self.ctx.runner.display(result.argv),
                                            result.returncode, self.ctx.runner.output(result))


def would_change(result):
    """True when a dry run's `--assumeno` transaction had something to do."""
    return bool(getattr(result, "previewed", False)) and not result.ok and (
        ABORTED in result.stdout + result.stderr)


def did_nothing(result):
    """True when a finished transaction reports that nothing needed doing."""
    return any(marker in result.stdout + result.stderr for marker in NOTHING_TO_DO)


def no_repositories(result):
    """True when a failed transaction failed because no repository is enabled at all."""
    return NO_REPOSITORIES in result.stdout + result.stderr


def _not_available(output, names):
    lines = [line for line in output.splitlines()
             if any(marker in line for marker in NOT_AVAILABLE_MARKERS)]
    named = [name for name in names if any(name in line for line in lines)]
    return named or (list(names) if lines else [])


def installed_names(ctx, patterns, step=None):
    """The names of the installed packages matching the names or globs given, sorted."""
    return sorted({package.name for package in installed(ctx, patterns, step=step)})


def installed(ctx, patterns, step=None):
    """The installed packages (name, N-V-R) matching the names or globs given, sorted.

    `rpm -qa` matches its arguments as globs on the name, as fnmatch does; it works where
    neither dnf nor yum is (a host being checked before anything).
    """
    patterns = tuple(patterns)
    if not patterns:
        return []
    if all(pattern in LOOKED_UP for pattern in patterns):
        if ctx.rpm_answer is None:
            ctx.rpm_answer = _query(ctx, LOOKED_UP, step)
        found = ctx.rpm_answer
    else:
        found = _query(ctx, patterns, step)
    return sorted(package for package in found
                  if any(fnmatch.fnmatchcase(package.name, pattern) for pattern in patterns))


def _query(ctx, patterns, step):
    result = ctx.run(ctx.rpm("-qa", "--qf", "%{NAME} %{VERSION}-%{RELEASE}\\n", *patterns))
    if result.returncode == 127:
        raise LbenrollError("rpm is not installed", step=step,
                            fix="lbenroll needs rpm; this must be a RHEL-family host")
    if not result.ok:
        raise LbenrollError("rpm cannot read the package database (exit %s): %s" % (
            result.returncode, ctx.runner.output(result)), step=step,
            fix="run `rpm -qa` by hand; `rpm --rebuilddb` repairs a damaged database")
    packages = []
    for line in result.stdout.splitlines():
        name, _, version_release = line.strip().partition(" ")
        if name:
            packages.append(Package(name, "%s-%s" % (name, version_release)))
    return packages
