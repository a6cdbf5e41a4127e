"""The diagnosis for people (sections, a table per proxy, then each problem with its fix) and
for programs (--json)."""
import collections
import json

from lbenroll import consumer
from lbenroll.diagnose.verdicts import HOST, listing, short, target_of, verdict
from lbenroll.results import Status

PROBLEMS = (Status.FAILED, Status.WARNING)
SHOWN = {"pass": "pass", "fail": "FAIL", "warn": "warn", "skip": "skip"}


def _sections(diagnosis):
    """(balancer results, {check id: {proxy: result}}, host results) in report order."""
    proxy_names = [p.name for p in diagnosis.proxies]
    through, per_proxy, here = [], collections.OrderedDict(), []
    for result in diagnosis.results:
        target = target_of(result)
        if target == HOST:
            here.append(result)
        elif target in proxy_names and result.id.startswith("PROXY_"):
            per_proxy.setdefault(result.id, collections.OrderedDict())[target] = result
        else:
            through.append(result)
    return through, per_proxy, here


def counts(results):
    found = collections.OrderedDict((v, 0) for v in ("pass", "fail", "warn", "skip"))
    for result in results:
        found[verdict(result)] += 1
    return found


def as_text(diagnosis, version):
    balancer = diagnosis.balancer
    lines = ["lbenroll %s diagnose: balancer %s%s (read only: nothing on this host is changed)"
             % (version, balancer, " (%s)" % diagnosis.address if diagnosis.address else "")]
    if diagnosis.source is not None:
        lines.append("proxies (%s): %s" % (diagnosis.source.kind, ", ".join(
            "%s %s" % (p.name, p.address or "unresolved") for p in diagnosis.proxies) or "none"))
    if diagnosis.katello_ca is not None:
        lines.append("Katello CA: SHA-256 %s (%s)" % (consumer.pretty_fingerprint(
            diagnosis.katello_ca.fingerprint), diagnosis.katello_ca.origin))
    through, per_proxy, here = _sections(diagnosis)
    lines += ["", "Through the balancer"] + _rows(through)
    if per_proxy:
        lines += ["", "Each proxy directly (its own address, presenting %s)" % balancer]
        lines += _table(per_proxy, [p.name for p in diagnosis.proxies])
    lines += ["", "This host"] + _rows(here)
    lines += _problems(diagnosis.results)
    lines += ["", "result: %s in %.1f s; exit %d" % (
        _tally(diagnosis.results), diagnosis.duration or 0.0, int(diagnosis.exit_code))]
    return "\n".join(lines)


def _rows(results):
    width = max([len(r.id) for r in results] + [0])
    twidth = max([len(target_of(r)) for r in results] + [0])
    return ["  %-4s  %-*s  %-*s  %s" % (SHOWN[verdict(r)], width, r.id, twidth, target_of(r),
                                        r.summary) for r in results]


def _table(per_proxy, names):
    width = max(len(check_id) for check_id in per_proxy)
    columns = [max(len(short(name)), 4) for name in names]
    header = "  %-*s  %s" % (width, "check", "  ".join(
        "%-*s" % (w, short(n)) for n, w in zip(names, columns)))
    lines = [header.rstrip()]
    for check_id, row in per_proxy.items():
        cells = [SHOWN[verdict(row[n])] if n in row else "-" for n in names]
        lines.append(("  %-*s  %s" % (width, check_id, "  ".join(
            "%-*s" % (w, c) for c, w in zip(cells, columns)))).rstrip())
    return lines


def _problems(results):
    """The "Problems" block: every failed or warned check with its cause and fix."""
    lines = []
    problems = [r for r in results if r.status in PROBLEMS]
    if problems:
        lines += ["", "Problems"]
        for result in problems:
            lines += _problem(result)
    return lines


def _tally(results):
    return ", ".join("%d %s" % (n, v) for v, n in counts(results).items())


def _problem(result):
    lines = ["  %s  %s  %s" % (SHOWN[verdict(result)], result.id, target_of(result)),
             "        %s" % result.summary]
    lines += ["        %s" % line for line in result.detail]
    if result.remediation:
        lines.append("        fix: %s" % result.remediation)
    return lines


def result_dict(result):
    out = result.as_dict()
    out["status"] = verdict(result)
    data = out.pop("data", {})
    out["target"] = data.pop("target", None)
    if data:
        out["data"] = data
    return out


def as_json(diagnosis, version):
    source = diagnosis.source
    katello_ca = diagnosis.katello_ca
    return json.dumps({
        "version": version,
        "balancer": diagnosis.balancer,
        "address": diagnosis.address,
        "source": None if source is None else {"kind": source.kind, "detail": source.detail,
                                               "names": source.names},
        "proxies": [{"name": p.name, "address": p.address, "up": p.up}
                    for p in diagnosis.proxies],
        "katello_ca": None if katello_ca is None else {"sha256": katello_ca.fingerprint,
                                                       "origin": katello_ca.origin},
        "counts": counts(diagnosis.results),
        "duration_seconds": round(diagnosis.duration or 0.0, 3),
        "exit_code": int(diagnosis.exit_code),
        "results": [result_dict(r) for r in diagnosis.results],
    }, indent=2, sort_keys=True)


# -- the host check alone (diagnose --host-only) --------------------------------------------------

def host_as_text(check, version):
    lines = ["lbenroll %s diagnose --host-only: %s against the balancer %s (read only: no "
             "connection, nothing on this host is changed)" % (version, check.host or "this host",
                                                               check.balancer),
             "", "This host"] + _rows(check.results)
    if check.pinned:
        lines += ["", "Pinned: settings that name a host instead of the balancer"]
        lines += ["  %s  %s %s%s" % (pin["names"], pin["file"], pin["key"], (
            " (%s)" % _counted(pin["repositories"], "repository", "repositories")
            if pin["repositories"] else "")) for pin in check.pinned]
    lines += _problems(check.results)
    lines += ["", "result: %s: %s; exit %d" % (
        "clean" if check.clean else "not clean", _tally(check.results), int(check.exit_code))]
    return "\n".join(lines)


def _counted(names, one, many):
    return "%d %s: %s" % (len(names), one if len(names) == 1 else many, listing(names))


def host_as_json(check, version):
    """The --host-only --json shape, documented in README.md (Ansible: fleet audit)."""
    return json.dumps({
        "version": version,
        "host": check.host,
        "balancer": check.balancer,
        "clean": check.clean,
        "pinned": check.pinned,
        "counts": counts(check.results),
        "exit_code": int(check.exit_code),
        "results": [result_dict(r) for r in check.results],
    }, indent=2, sort_keys=True)
