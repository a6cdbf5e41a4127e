"""REMOVE_REX_CA: after RESTORE_FILES took lbenroll's SSH CA files and its sshd_config line back,
have sshd read its configuration again, so that it stops trusting the CA now."""
from lbenroll import host, services
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step

# What REX_CA writes; RESTORE_FILES puts each back from the backup store like any managed file.
SSHD_FILES = (host.REX_USER_CA, host.REX_USER_CA_DROPIN, host.SSHD_CONFIG)


class RemoveRexCa(Step):
    id = "REMOVE_REX_CA"
    title = "Reload sshd when --remove took back lbenroll's SSH CA files"
    requires = ("RESTORE_FILES",)

    def run(self, run):
        restore = run.results.get("RESTORE_FILES")
        touched = []
        if restore is not None:
            for key in ("restored", "reverted", "removed"):
                touched += [path for path in restore.data.get(key, ()) if path in SSHD_FILES]
        if not touched:
            return Result(self.id, Status.UNCHANGED, "no SSH CA file of lbenroll's to take back")
        if run.ctx.dry_run:
            return Result(self.id, Status.CHANGED, "would reload sshd (%s taken back)" % (
                ", ".join(touched)))
        if services.reload(run.ctx, host.SSHD_SERVICE, step=self.id):
            return Result(self.id, Status.CHANGED, "reloaded sshd: it no longer trusts the "
                          "Smart Proxies' SSH CA (%s taken back)" % ", ".join(touched))
        return Result(self.id, Status.UNCHANGED, "%s taken back; sshd reads them when it starts "
                      "(systemd is not running)" % ", ".join(touched))
