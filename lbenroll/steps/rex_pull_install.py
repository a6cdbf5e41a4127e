"""REX_PULL_INSTALL: with --rex-pull, the host is registered to Katello and the pull-mode worker
(foreman_ygg_worker, with yggdrasil) is installed, as Global Registration's pull-mode setup
installs it."""
import os

from lbenroll import backup, host
from lbenroll.errors import ConfigError
from lbenroll.packages import PackageManager, PackageNotAvailable, installed_names
from lbenroll.results import Result, Status
from lbenroll.steps.base import PackageStep, rex_pull_setting
from lbenroll.writers import rex_pull_record

# What remote_execution_pull_setup.erb requires before it installs anything: a registered host
# (`subscription-manager identity`) whose rhsm.conf names Katello (`prefix = /rhsm`; Red Hat's
# own service has /subscription). theforeman/foreman eb66c09 (docs/katello-client-facts.md,
# "Setting up pull-mode remote execution").
KATELLO_PREFIX = "/rhsm"


class RexPullInstall(PackageStep):
    id = "REX_PULL_INSTALL"
    title = "With --rex-pull: registered to Katello, foreman_ygg_worker and yggdrasil installed"
    requires = ("RHSM_CONF", "REGISTER")

    def wanted(self, run):
        return list(host.REX_PULL_PACKAGES)

    def run(self, run):
        if not run.options.remote_exec_pull:
            return Result(self.id, Status.SKIPPED, "no --rex-pull given")
        self.check_katello(run)
        ctx, names = run.ctx, self.wanted(run)
        missing = [name for name in names if name not in installed_names(ctx, names)]
        if missing and not ctx.dry_run:
            # YGGDRASIL_CONFIG's own backup would come after the package brought its file: keep
            # config.toml as it was before (or that it was absent), as --remove puts it back.
            backup.backup_before_command(ctx, [host.YGGDRASIL_CONFIG])
            # Recorded before dnf runs, as rex-keys.json is before its lines: a run killed
            # after the transaction leaves --remove the names to take back; a failed one takes
            # the record back with the rest of the run.
            rex_pull_record.add(ctx, packages=missing)
        try:
            result = self.install(run)
        except PackageNotAvailable as exc:
            exc.fix = ("enable the repository that provides them (Foreman's client repository, "
                       "for example with --enablerepos), or leave out --rex-pull")
            raise
        if result.status == Status.CHANGED and not ctx.dry_run:
            added = [name for name in missing if name in installed_names(ctx, names)]
            if added:
                pm = PackageManager(ctx)
                ctx.undo.push("remove %s (installed by this run)" % ", ".join(added),
                              lambda: _remove(pm, added))
        return result

    def check_katello(self, run):
        """The template's requirements, each a ConfigError (exit 78) naming its fix. A dry run
        that would register, or rewrite rhsm.conf, first cannot tell yet."""
        ctx = run.ctx
        if not (ctx.dry_run and run.changed("REGISTER")):
            absent = [path for path in (host.CONSUMER_CERT, host.CONSUMER_KEY)
                      if not os.path.exists(ctx.path(path))]
            if absent:
                raise ConfigError(
                    "pull-mode remote execution connects as this host's consumer identity, and "
                    "%s %s missing: the host is not registered" % (
                        " and ".join(absent), "is" if len(absent) == 1 else "are"),
                    step=self.id, fix="register the host (run lbenroll with -a KEY, or --force "
                                      "-a KEY), then run again")
        if not (ctx.dry_run and run.changed("RHSM_CONF")):
            prefix = rex_pull_setting(ctx, "prefix")
            if (prefix or "").rstrip("/") != KATELLO_PREFIX:
                raise ConfigError(
                    "pull-mode remote execution needs a host registered to Katello, and "
                    "%s's [server] prefix is %r, not %s" % (host.RHSM_CONF, prefix,
                                                             KATELLO_PREFIX),
                    step=self.id, fix="enroll the host with lbenroll through the balancer "
                                      "(it sets prefix = /rhsm), then run again")


def _remove(pm, names):
    result = pm.transaction("remove", names)
    if result is not None and not result.ok:
        raise RuntimeError(pm.failure(result))
