"""YGGDRASIL_CONFIG: remote-execution pull mode's MQTT broker is the balancer."""
from lbenroll import services
from lbenroll.results import Status
from lbenroll.steps.base import WriterStep
from lbenroll.writers.yggdrasil import YggdrasilWriter


YGGDRASIL_UNITS = ("yggdrasild", "yggdrasil")


class YggdrasilConfig(WriterStep):
    id = "YGGDRASIL_CONFIG"
    title = "Remote-execution pull mode's MQTT broker is the balancer"
    requires = ("RHSM_CONF",)

    def writer(self, run):
        return YggdrasilWriter(run.balancer)

    def run(self, run):
        result = super(YggdrasilConfig, self).run(run)
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
