"""REX_PULL_SERVICE: with --rex-pull, yggdrasil's service is enabled and runs with the
configuration YGGDRASIL_CONFIG wrote: (re)started only when that changed or it was enabled now,
and started when it is enabled but not running (it died, or was stopped without being
disabled: an enabled pull-mode worker that does not run takes no jobs)."""
from lbenroll import host, services
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step
from lbenroll.writers import rex_pull_record


class RexPullService(Step):
    id = "REX_PULL_SERVICE"
    title = ("With --rex-pull: yggdrasil's service enabled and running, restarted when its "
             "configuration changed")
    requires = ("REX_PULL_INSTALL", "YGGDRASIL_CONFIG")

    def run(self, run):
        if not run.options.remote_exec_pull:
            return Result(self.id, Status.SKIPPED, "no --rex-pull given")
        ctx = run.ctx
        # yggdrasil 0.2 (EL8, the template's `yggdrasild`) or 0.3 and later (`yggdrasil`).
        unit = services.first_unit(ctx, host.YGGDRASIL_UNITS)
        enabled = services.is_enabled(ctx, unit)
        changed = run.changed("YGGDRASIL_CONFIG")
        if enabled and not changed:
            if services.systemd_running(ctx) and not services.is_active(ctx, unit):
                return self._start(ctx, unit)
            return Result(self.id, Status.UNCHANGED, "%s is enabled; %s unchanged" % (
                unit, host.YGGDRASIL_CONFIG))
        done = not enabled
        if not enabled:
            if not ctx.dry_run:
                rex_pull_record.add(ctx, enabled=[unit])  # before, as REX_PULL_INSTALL's
            services.enable(ctx, unit, step=self.id)
            if not ctx.dry_run:
                ctx.undo.push("disable %s (enabled by this run)" % unit,
                              lambda: services.disable(ctx, unit))
        started = services.restart(ctx, unit, step=self.id)
        why = "%s changed" % host.YGGDRASIL_CONFIG if changed else "it was not enabled"
        if ctx.dry_run:
            return Result(self.id, Status.CHANGED, "would %s%s" % (
                "enable %s and " % unit if not enabled else "",
                "restart %s (%s)" % (unit, why) if started else "leave its start to the next "
                "boot (%s)" % services.DEFERRED))
        if started:
            return Result(self.id, Status.CHANGED, "%s %srestarted (%s)" % (
                unit, "enabled and " if done else "", why))
        if not done:
            return Result(self.id, Status.UNCHANGED, "%s is enabled; %s" % (
                unit, services.DEFERRED), detail=["it reads the new %s when it starts" % (
                    host.YGGDRASIL_CONFIG)])
        return Result(self.id, Status.CHANGED, "%s enabled; %s" % (unit, services.DEFERRED),
                      detail=["it starts at the next boot with %s" % host.YGGDRASIL_CONFIG])

    def _start(self, ctx, unit):
        why = "it was enabled but not running: remote execution jobs wait for it"
        if ctx.dry_run:
            return Result(self.id, Status.CHANGED, "would start %s (%s)" % (unit, why))
        services.start(ctx, unit, step=self.id)
        ctx.undo.push("stop %s (started by this run)" % unit, lambda: services.stop(ctx, unit))
        return Result(self.id, Status.CHANGED, "%s started (%s)" % (unit, why))
