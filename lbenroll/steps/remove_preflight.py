"""REMOVE_PREFLIGHT: refuse to unenroll a Katello server or Smart Proxy; mask rhsm.conf's proxy
password."""
import os

from lbenroll import backup, fileio, host, packages
from lbenroll.errors import UsageError
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step
from lbenroll.writers.base import decode
from lbenroll.writers.rhsm_conf import read_proxy_settings


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
    if os.path.isfile(backup.backup_path(ctx, path)):
        return backup.read_backup(ctx, path)
    return None
