"""Renders results for people (a line per step) and for programs (--json)."""
import json

from lbenroll.results import Status


def as_json(version, run, results, code):
    return json.dumps({
        "version": version,
        "balancer": run.balancer,
        "answering_proxy": run.answering_proxy,
        "dry_run": run.ctx.dry_run,
        "changed": any(r.status == Status.CHANGED for r in results),
        "exit_code": int(code),
        "results": [r.as_dict() for r in results],
        "would_run": list(run.ctx.runner.would_run),
    }, indent=2, sort_keys=True)


def as_text(run, results, code, verbose=False):
    where = "balancer %s, answering proxy %s" % (run.balancer, run.answering_proxy or "unknown")
    if run.balancer is None:
        where = "no balancer given"  # a content-only --remove needs none
    lines = ["lbenroll: %s%s" % (where, " (dry run: nothing changed)" if run.ctx.dry_run
                                 else "")]
    width = max(len(r.id) for r in results)
    for result in results:
        lines.append("  %-9s %-*s %s" % (result.status.value, width, result.id, result.summary))
        show_detail = verbose or result.status in (Status.FAILED, Status.WARNING)
        if show_detail:
            lines += ["  %9s %*s   %s" % ("", width, "", d) for d in result.detail]
        if result.remediation and result.status in (Status.FAILED, Status.WARNING):
            lines.append("  %9s %*s   fix: %s" % ("", width, "", result.remediation))
        if (run.ctx.dry_run or verbose) and result.diff:  # diffs are built on first use
            lines += ["      " + line for line in result.diff.rstrip("\n").split("\n")]
    if run.ctx.dry_run and run.ctx.runner.would_run:
        lines.append("commands that would run:")
        lines += ["  " + c for c in run.ctx.runner.would_run]
    counts = {}
    for result in results:
        counts[result.status.value] = counts.get(result.status.value, 0) + 1
    summary = ", ".join("%d %s" % (n, s) for s, n in sorted(counts.items()))
    lines.append("result: %s; exit %d" % (summary, int(code)))
    return "\n".join(run.ctx.redact(line) for line in lines)
