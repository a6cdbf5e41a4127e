"""Renders results for people (a line per step) and for programs (--json).

The text report is short: the steps a failure kept from running share one line, a skip reason
fits one line and is said once however many steps share it; -v shows every step and every word.
--json always carries every result as the steps made it.
"""
from lbenroll.results import Status

# The text report's lines fit this many columns; -v lifts the limit on skip reasons.
WIDTH = 100
# The status column; "not run" marks the steps a failure kept from running.
STATUS_WIDTH = 9
NOT_RUN = "not run"


def _masked(value, redact):
    """Every string in a JSON-able value masked: a diff of rhsm.conf may hold a proxy password.
    Masked before serialising, so a secret with a quote or a backslash is found as written."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return dict((key, _masked(item, redact)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [_masked(item, redact) for item in value]
    return value


def as_json(version, run, results, code):
    import json  # only --json needs it: a repair by the timer does not load it
    return json.dumps(_masked({
        "version": version,
        "balancer": run.balancer,
        "answering_proxy": run.answering_proxy,
        "dry_run": run.ctx.dry_run,
        "changed": any(r.status == Status.CHANGED for r in results),
        "exit_code": int(code),
        "results": [r.as_dict() for r in results],
        "would_run": list(run.ctx.runner.would_run),
    }, run.ctx.redact), indent=2, sort_keys=True)


def as_text(run, results, code, verbose=False):
    where = "balancer %s, answering proxy %s" % (run.balancer, run.answering_proxy or "unknown")
    if run.balancer is None:
        where = "no balancer given"  # a content-only --remove needs none
    lines = ["lbenroll: %s%s" % (where, " (dry run: nothing changed)" if run.ctx.dry_run
                                 else "")]
    failed, not_run = kept_from_running(results)
    width = max(len(r.id) for r in results)
    first_with_reason = {}
    for result in results:
        if result in not_run:
            if verbose:
                lines.append(_row(NOT_RUN, width, result.id, "because %s failed" % failed.id))
            elif result is not_run[0]:
                lines.append(not_run_line(failed, not_run))
            continue
        summary = result.summary
        if result.status == Status.SKIPPED:
            summary = skip_reason(summary)
            if summary in first_with_reason and not verbose:
                summary = "for the same reason as %s" % first_with_reason[summary]
            else:
                first_with_reason.setdefault(summary, result.id)
                if not verbose:
                    summary = one_line(summary, WIDTH - (STATUS_WIDTH + width + 4))
        lines.append(_row(result.status.value, width, result.id, summary))
        if verbose or result.status in (Status.FAILED, Status.WARNING):
            lines += ["  %9s %*s   %s" % ("", width, "", d) for d in result.detail]
        if result.remediation and result.status in (Status.FAILED, Status.WARNING):
            lines.append("  %9s %*s   fix: %s" % ("", width, "", result.remediation))
        if (run.ctx.dry_run or verbose) and result.diff:  # diffs are built on first use
            lines.append(indented(result.diff, "      "))
    if run.ctx.dry_run and run.ctx.runner.would_run:
        lines.append("commands that would run:")
        lines += ["  " + c for c in run.ctx.runner.would_run]
    counts = {}
    for result in results:
        counts[result.status.value] = counts.get(result.status.value, 0) + 1
    summary = ", ".join("%d %s" % (n, s) for s, n in sorted(counts.items()))
    lines.append("result: %s; exit %d" % (summary, int(code)))
    return "\n".join(run.ctx.redact(line) for line in lines)


def _row(status, width, step_id, text):
    return ("  %-*s %-*s %s" % (STATUS_WIDTH, status, width, step_id, text)).rstrip()


def kept_from_running(results):
    """(the failed step, the steps after it that did not run because of it).

    The engine runs no step after the first failure; each is skipped with that reason. The
    rollback that follows them is a result of its own.
    """
    for index, result in enumerate(results):
        if result.status == Status.FAILED:
            return result, [r for r in results[index + 1:] if r.status == Status.SKIPPED]
    return None, []


def not_run_line(failed, not_run):
    """One line: "not run   because REGISTER failed: REDHAT_REPO, ... (20 steps)"."""
    lead = "  %-*s because %s failed: " % (STATUS_WIDTH, NOT_RUN, failed.id)
    count = " (%d step%s)" % (len(not_run), "" if len(not_run) == 1 else "s")
    ids = [r.id for r in not_run]
    shown = ", ".join(ids)
    while len(lead + shown + count) > WIDTH and len(ids) > 1:
        ids.pop()
        shown = ", ".join(ids) + ", ..."
    return lead + shown + count


def skip_reason(summary):
    """A skip summary as the rest of a sentence that starts with "skipped STEP_ID": without a
    second "skipped", and the engine's "not run: DEP skipped" as "because DEP skipped"."""
    for lead, instead in (("skipped ", ""), ("not run: ", "because ")):
        if summary.startswith(lead):
            return instead + summary[len(lead):]
    return summary


def one_line(text, room):
    """text cut to room columns at its last clause that fits ("...: why" goes first), or at a
    word with "..."; -v shows it whole."""
    if len(text) <= room:
        return text
    for mark in (": ", "; ", ", ", " ("):
        cut = text.rfind(mark, 0, room + 1)
        if cut > room // 3:
            return text[:cut]
    cut = text.rfind(" ", 0, room - 3)
    return text[:cut if cut > 0 else room - 3] + "..."


def indented(text, prefix):
    """Every line of text behind prefix, without splitting it into a list of lines: a diff of
    a 20,000-repository redhat.repo is about 10 MB."""
    return prefix + text.rstrip("\n").replace("\n", "\n" + prefix)
