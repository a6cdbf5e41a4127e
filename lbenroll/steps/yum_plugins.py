"""YUM_PLUGINS: enable the product-id and subscription-manager plugins of dnf or yum."""
from lbenroll.packages import PackageManager
from lbenroll.results import Result, Status
from lbenroll.steps.base import Step
from lbenroll.writers.yum_plugins import WRITERS


def _combined(step_id, results):
    """One result for several writers: changed if any changed."""
    changed = [r for r in results if r.status == Status.CHANGED]
    detail = [line for r in results for line in [r.summary] + r.detail]
    if not changed:
        return Result(step_id, Status.UNCHANGED, "already enabled", detail=detail)
    return Result(step_id, Status.CHANGED, "; ".join(r.summary for r in changed), detail=detail,
                  diff=lambda: "".join(r.diff or "" for r in changed))


class YumPlugins(Step):
    id = "YUM_PLUGINS"
    title = "Enable the product-id and subscription-manager plugins of dnf or yum"

    def run(self, run):
        writers = WRITERS[PackageManager(run.ctx).name]
        return _combined(self.id, [writer().run(run.ctx) for writer in writers])
