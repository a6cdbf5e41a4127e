"""`--remove`: unregister, delete the Foreman host, put every file back, remove the packages.

Steps never push undo actions: a removal that stops half-way is finished by running it again
(every step is a no-op once its part is done), whereas re-enrolling half of a host is no help.
"""
import os

from lbenroll import consumer, fileio, foreman, host, packages, services, subman
from lbenroll.errors import ExitCode, LbenrollError, UsageError
from lbenroll.foreman import ForemanApi
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step
from lbenroll.writers.base import Plan, Target, decode
from lbenroll.writers.rhsm_conf import read_proxy_settings

# subscription-manager unregister exit codes -> ours, with the usual cause (1 is handled apart:
# the identity certificate is there but subscription-manager does not accept it).
UNREGISTER_FAILURES = {
    69: (ExitCode.UNAVAILABLE, "subscription-manager could not reach the RHSM service"),
    70: (ExitCode.UNAVAILABLE, "subscription-manager could not unregister on the server"),
    78: (ExitCode.CONFIG, "subscription-manager could not verify the server's certificate"),
}
NOT_REGISTERED = 1
UNREGISTER_FIX = ("check that the balancer forwards the RHSM port to the proxies and that they "
                  "are up, then run --remove again; if the server is gone for good, delete the "
                  "host in Katello, run `subscription-manager clean` and --remove again")

# bootstrap.py's clean_katello_agent list, by the --skip value that keeps them.
AGENT_PACKAGES = (("katello-agent", ("katello-agent", "gofer")),
                  ("katello-host-tools", ("katello-host-tools",
                                          "katello-host-tools-fact-plugin")),
                  ("puppet", (host.PUPPET_AGENT_PACKAGE,)))
UPDATE_CA_TRUST = "/usr/bin/update-ca-trust"
LBENROLL_CONF_TARGET = Target(host.LBENROLL_CONF, 0o644, "root", "root", "the enrollment record")


class RemovePreflight(Step):
    id = "REMOVE_PREFLIGHT"
    title = "Refuse to unenroll a Katello server or Smart Proxy; mask rhsm.conf's proxy password"

    def run(self, run):
        ctx = run.ctx
        # The restored rhsm.conf may hold another proxy password than the current one; both
        # may show in diffs.
        for data in (fileio.read_bytes(ctx, host.RHSM_CONF), _backup_bytes(ctx, host.RHSM_CONF)):
            ctx.redact.add(read_proxy_settings(decode(data or b"")).get("proxy_password"))
        servers = packages.installed_names(ctx, host.SERVER_PACKAGES, step=self.id)
        if servers:
            raise UsageError("this machine is a Katello server or Smart Proxy (%s installed)" % (
                ", ".join(servers)), step=self.id, fix="run lbenroll on client hosts only")
        return Result(self.id, Status.UNCHANGED, "host checks passed")


def _backup_bytes(ctx, path):
    if os.path.isfile(fileio.backup_path(ctx, path)):
        return fileio.read_backup(ctx, path)
    return None


class Unregister(Step):
    id = "UNREGISTER"
    title = "Unregister from subscription-manager, then clean its local data"
    requires = ("REMOVE_PREFLIGHT",)

    def run(self, run):
        ctx = run.ctx
        if not os.path.exists(ctx.path(host.CONSUMER_CERT)):
            return Result(self.id, Status.UNCHANGED, "not registered (no %s)" % host.CONSUMER_CERT)
        unregister = subman.argv(ctx, "unregister")
        clean = subman.argv(ctx, "clean")
        result = ctx.run(unregister, changes_host=True)
        if result is None:
            ctx.run(clean, changes_host=True)
            return Result(self.id, Status.CHANGED, "would unregister and clean",
                          detail=["would run: %s" % ctx.runner.display(argv)
                                  for argv in (unregister, clean)])
        if result.returncode == NOT_REGISTERED:
            # The certificate is there, but not a valid identity: only local data is left.
            summary = "not registered (%s); cleaned the stale local data" % (
                ctx.runner.output(result) or "identity not accepted")
        elif not result.ok:
            code, cause = UNREGISTER_FAILURES.get(
                result.returncode, (ExitCode.FAILED, "subscription-manager unregister failed"))
            raise LbenrollError("%s (exit %s): %s" % (cause, result.returncode,
                                                      ctx.runner.output(result)),
                                step=self.id, fix=UNREGISTER_FIX, exit_code=code)
        else:
            summary = "unregistered and cleaned"
        cleaned = ctx.run(clean, changes_host=True)
        if not cleaned.ok:  # the consumer is gone on the server; leftovers are local only
            return Result(self.id, Status.WARNING, "unregistered, but subscription-manager clean "
                          "failed (exit %s): %s" % (cleaned.returncode, ctx.runner.output(cleaned)),
                          remediation="run subscription-manager clean by hand")
        return Result(self.id, Status.CHANGED, summary)


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
                                     options.ca_fingerprint)
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


class RestoreFiles(Step):
    id = "RESTORE_FILES"
    title = "Put back every file lbenroll changed as its backup keeps it; remove lbenroll.conf"
    requires = ("UNREGISTER",)

    def run(self, run):
        ctx = run.ctx
        restored, removed, plans = [], [], []
        for path, absent in fileio.backups(ctx):
            if os.path.isdir(ctx.path(path)) or path == host.LBENROLL_CONF:
                continue  # directories go at the end (FORGET_BACKUPS); lbenroll.conf below
            current = fileio.read_bytes(ctx, path)
            wanted = None if absent else fileio.read_backup(ctx, path)
            if current == wanted:
                continue
            if wanted is None:
                removed.append(path)
            else:
                restored.append(path)
                plans.append(Plan(Target(path, None, None, None, ""), current, wanted))
            if not ctx.dry_run:
                fileio.restore_backup(ctx, path)
        detail = (["restored %s" % path for path in restored]
                  + ["removed %s (absent before lbenroll)" % path for path in removed])
        # The record of the enrollment goes whatever the store says: `lbenroll repair` must
        # not find it on an unenrolled host.
        if fileio.read_bytes(ctx, host.LBENROLL_CONF) is not None:
            removed.append(host.LBENROLL_CONF)
            detail.append("removed %s (the enrollment record)" % host.LBENROLL_CONF)
            if not ctx.dry_run:
                fileio.restore_bytes(ctx, LBENROLL_CONF_TARGET, None)
        if not restored and not removed:
            return Result(self.id, Status.UNCHANGED, "every file is as it was before lbenroll")
        dry = ctx.dry_run
        result = Result(self.id, Status.CHANGED, "%s %d file(s), %s %d" % (
            "would restore" if dry else "restored", len(restored),
            "would remove" if dry else "removed", len(removed)),
            detail=detail, data={"restored": restored, "removed": removed},
            diff=lambda: ctx.redact("".join(plan.diff for plan in plans)))
        if host.CA_TRUST_ANCHOR in restored + removed:
            self._update_ca_trust(run, result)
        return result

    def _update_ca_trust(self, run, result):
        """The consumer RPM put the Katello CA into the system trust store; the extracted bundles
        keep trusting it until they are generated again. A failure is a warning: the files are
        back already, and a second --remove would not see the anchor change again."""
        ctx = run.ctx
        if not os.path.exists(ctx.path(UPDATE_CA_TRUST)):
            return
        argv = ctx.in_root("update-ca-trust", "extract")
        done = ctx.run(argv, changes_host=True)
        if done is None:
            result.detail.append("would run: %s" % ctx.runner.display(argv))
        elif done.ok:
            result.detail.append("ran %s" % ctx.runner.display(argv))
        else:
            result.status = Status.WARNING
            result.summary += "; %s failed (exit %s): %s" % (
                ctx.runner.display(argv), done.returncode, ctx.runner.output(done))
            result.remediation = "run update-ca-trust extract by hand"


class DisableRepairTimer(Step):
    id = "DISABLE_REPAIR_TIMER"
    title = "Disable lbenroll-repair.timer: with the record gone it has nothing to repair"
    requires = ("RESTORE_FILES",)

    def run(self, run):
        ctx, unit = run.ctx, host.REPAIR_TIMER
        if not services.is_enabled(ctx, unit):
            return Result(self.id, Status.UNCHANGED, "%s is not enabled" % unit)
        try:
            services.disable(ctx, unit, step=self.id)
        except LbenrollError as exc:  # the host is unenrolled all the same
            return Result(self.id, Status.WARNING, exc.message,
                          remediation="systemctl disable --now %s" % unit)
        return Result(self.id, Status.CHANGED, "%s %s" % (
            "would disable" if ctx.dry_run else "disabled", unit),
            detail=["otherwise it would fail every run: repair needs an enrollment record"])


class RemovePackages(Step):
    id = "REMOVE_PACKAGES"
    title = "Remove the consumer RPM and, unless skipped, katello-agent, host tools, puppet-agent"
    requires = ("RESTORE_FILES",)

    def run(self, run):
        pm = packages.PackageManager(run.ctx)
        names = pm.installed(wanted_packages(run.options))
        if not names:
            return Result(self.id, Status.UNCHANGED, "none of the packages are installed")
        try:
            result = pm.transaction("remove", names, step=self.id)
        except LbenrollError as exc:
            result, failure = None, exc.message
        else:
            failure = None if result is None or result.ok else pm.failure(result)
        if failure is not None:  # non-fatal, as in bootstrap.py
            return Result(self.id, Status.WARNING, failure,
                          remediation="remove them by hand: %s remove %s" % (
                              pm.name, " ".join(names)))
        if result is None:
            return Result(self.id, Status.CHANGED, "would remove %s" % ", ".join(names),
                          detail=["would run: %s" % run.ctx.runner.display(
                              pm.argv("remove", *names))])
        return Result(self.id, Status.CHANGED, "removed %s with %s" % (", ".join(names), pm.name),
                      data={"removed": names})


def wanted_packages(options):
    """The package names and globs bootstrap.py removes, less those kept with --skip."""
    names = [host.CONSUMER_PACKAGE_PREFIX + "*"]
    for skip, agent_packages in AGENT_PACKAGES:
        if skip not in options.skip:
            names += agent_packages
    return names


class CleanPuppet(Step):
    id = "CLEAN_PUPPET"
    title = "Move Puppet's SSL directory and cache aside (unless --skip puppet)"
    requires = ("RESTORE_FILES",)

    def run(self, run):
        ctx = run.ctx
        if "puppet" in run.options.skip:
            return Result(self.id, Status.SKIPPED, "skipped with --skip puppet")
        present = [d for d in (host.PUPPET_SSL_DIR, host.PUPPET_CACHE_DIR)
                   if os.path.isdir(ctx.path(d))]
        if not present:
            return Result(self.id, Status.UNCHANGED, "no Puppet SSL directory or cache")
        if ctx.dry_run:
            return Result(self.id, Status.CHANGED, "would move %s aside into %s/%s" % (
                " and ".join(present), host.BACKUP_DIR, fileio.SET_ASIDE))
        # Set aside, not deleted: the agent's key and certificate are kept for a while.
        moved = ["moved %s aside to %s" % (d, "/" + os.path.relpath(
            fileio.set_aside(ctx, d, undo=False), ctx.root)) for d in present]
        return Result(self.id, Status.CHANGED, "moved %s aside" % " and ".join(present),
                      detail=moved)


class ForgetBackups(Step):
    id = "FORGET_BACKUPS"
    title = "Remove the now empty directories enrolling created; empty the backup store"
    requires = ("RESTORE_FILES",)

    def run(self, run):
        ctx = run.ctx
        directories = sorted((path for path, absent in fileio.backups(ctx)
                              if absent and os.path.isdir(ctx.path(path))), reverse=True)
        if ctx.dry_run:
            if not fileio.backups(ctx):
                return Result(self.id, Status.UNCHANGED, "no backups left")
            return Result(self.id, Status.CHANGED, "would empty the backup store %s" % (
                host.BACKUP_DIR), detail=["would remove the directory %s if it is empty" % d
                                          for d in directories])
        removed, kept = [], []
        for directory in directories:  # deepest first: a parent empties once its child goes
            (removed if fileio.remove_empty_tree(ctx, directory) else kept).append(directory)
        if not fileio.forget_backups(ctx) and not removed:
            return Result(self.id, Status.UNCHANGED, "no backups left")
        detail = (["removed the directory %s (absent before lbenroll)" % d for d in removed]
                  + ["kept the directory %s: not empty" % d for d in kept])
        return Result(self.id, Status.CHANGED, "emptied the backup store %s" % host.BACKUP_DIR,
                      detail=detail, data={"removed_directories": removed,
                                           "kept_directories": kept})
