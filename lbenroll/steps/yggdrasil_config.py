"""YGGDRASIL_CONFIG: remote-execution pull mode's MQTT broker is the balancer; with --rex-pull,
config.toml holds what Global Registration's pull-mode setup writes."""
import os

from lbenroll import host, ports, services
from lbenroll.errors import ConfigError
from lbenroll.results import Status
from lbenroll.steps.base import WriterStep, rex_pull_setting
from lbenroll.writers.yggdrasil import YggdrasilSetupWriter, YggdrasilWriter


YGGDRASIL_UNITS = host.YGGDRASIL_UNITS


class YggdrasilConfig(WriterStep):
    id = "YGGDRASIL_CONFIG"
    title = "Remote-execution pull mode's MQTT broker is the balancer"
    requires = ("RHSM_CONF",)

    def writer(self, run):
        if run.options.remote_exec_pull:
            return self.setup_writer(run)
        return YggdrasilWriter(run.balancer)

    def setup_writer(self, run):
        """config.toml as remote_execution_pull_setup.erb writes it, through the balancer: the
        broker on the balancer's MQTT port, the consumer certificate and key, and rhsm.conf's
        repo_ca_cert as `subscription-manager config --list` shows it (interpolated)."""
        ctx = run.ctx
        ca_root = rex_pull_setting(ctx, "repo_ca_cert")
        if ctx.dry_run and run.changed("RHSM_CONF"):
            # RHSM_CONF would set repo_ca_cert to the Katello server CA in ca_cert_dir.
            ca_root = os.path.join(rex_pull_setting(ctx, "ca_cert_dir") or "/etc/rhsm/ca/",
                                   os.path.basename(host.KATELLO_SERVER_CA))
        if not ca_root or not (os.path.exists(ctx.path(ca_root)) or ctx.dry_run):
            raise ConfigError("pull-mode remote execution verifies the broker with rhsm.conf's "
                              "repo_ca_cert, and %s" % (
                                  "%s does not exist" % ca_root if ca_root else "it is empty"),
                              step=self.id, fix="run lbenroll again without --rex-pull to "
                              "install the Katello CA, then with it")
        unit = services.first_unit(ctx, YGGDRASIL_UNITS)
        return YggdrasilSetupWriter(run.balancer, ports.MQTT, host.CONSUMER_CERT,
                                    host.CONSUMER_KEY, ca_root,
                                    broker_key="server" if unit == "yggdrasil" else "broker")

    def run(self, run):
        result = super(YggdrasilConfig, self).run(run)
        if run.options.remote_exec_pull:
            return result  # REX_PULL_SERVICE enables it, and restarts it when this changed
        if result.status == Status.SKIPPED or not (
                result.status == Status.CHANGED or run.changed("RHSM_CONF")):
            return result
        # The consumer RPM's %post restarts it (`systemctl try-restart yggdrasil`); lbenroll
        # runs no scriptlets, so it does that here, under whichever name the installed release
        # gives its unit (yggdrasild in some, yggdrasil in others).
        unit = services.first_unit(run.ctx, YGGDRASIL_UNITS)
        if run.ctx.dry_run:
            result.detail.append("would restart %s if it runs" % unit)
        elif services.try_restart(run.ctx, unit, step=self.id):
            result.detail.append("restarted %s (if it was running) to reconnect" % unit)
        else:
            result.detail.append("%s: %s" % (unit, services.DEFERRED))
        return result
