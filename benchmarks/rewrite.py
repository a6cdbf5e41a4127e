"""One large-file rewrite in a fresh process: lbenroll's writer plans and applies it, timed."""
import json
import os
import shutil
import sys
import time

from benchmarks.selfusage import peak_rss_kib

# Usage: python -m benchmarks.rewrite redhat.repo|rhsm.conf SOURCE ROOT OUT.json BALANCER
#
# SOURCE is copied to its place under ROOT (a fresh managed root, so the first-touch backup is
# part of the apply, as on a host lbenroll has never changed), then the writer of that file runs
# exactly as its step does: read, plan (render), apply (backup, atomic write, fsync). The diff,
# which only --json, --verbose and --dry-run build, is timed and measured after that.


def _load_what_a_run_loads():
    """Import what an enrollment has imported by the time it rewrites redhat.repo.

    The peak RSS reported is then that of an lbenroll process, not of a bare interpreter.
    """
    # In Foreman mode FOREMAN_HOST has imported requests (a content-only run never does): the
    # larger of the two.
    import requests  # noqa: F401
    from lbenroll import app, cli  # noqa: F401 (click, the engine and every step)


def main():
    kind, source, root, out, balancer = sys.argv[1:6]
    _load_what_a_run_loads()
    loaded = peak_rss_kib()
    from lbenroll import fileio
    from lbenroll.context import Context
    from lbenroll.results import Status
    from lbenroll.writers.redhat_repo import RedhatRepoWriter
    from lbenroll.writers.rhsm_conf import RhsmConfWriter

    writer = RedhatRepoWriter(balancer) if kind == "redhat.repo" else RhsmConfWriter(balancer)
    ctx = Context(root=root)
    path = ctx.path(writer.target.path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    shutil.copyfile(source, path)

    start = time.perf_counter()
    plan = writer.plan(fileio.read_bytes(ctx, writer.target.path))
    planned = time.perf_counter()
    result = writer.apply(ctx, plan)
    applied = time.perf_counter()
    applied_rss = peak_rss_kib()
    # The diff is built only when the report shows it (--json, --verbose, --dry-run).
    diff = result.diff
    diffed = time.perf_counter()
    if result.status != Status.CHANGED or not diff:
        raise SystemExit("%s: expected a change, got %s" % (kind, result.status))
    with open(out, "w") as f:
        json.dump({"plan": planned - start, "apply": applied - planned, "diff": diffed - applied,
                   "loaded_rss_kib": loaded, "applied_rss_kib": applied_rss,
                   "diff_rss_kib": peak_rss_kib()}, f)


if __name__ == "__main__":
    main()
