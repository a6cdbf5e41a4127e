"""Diagnosis results: results.Result with what each check is about (its target) and a verdict."""
from lbenroll.results import Result, Status
from lbenroll.urls import same_host

HOST = "this host"

# A diagnosis never changes anything, so a check that found nothing wrong is Status.UNCHANGED;
# people and --json read the verdicts below instead of the enrollment's status words.
VERDICTS = {Status.UNCHANGED: "pass", Status.WARNING: "warn", Status.FAILED: "fail",
            Status.SKIPPED: "skip"}


def check(id, target, status, summary, fix=None, detail=(), exit_code=None, **data):
    """One check's result; target is the balancer ("name:port"), a proxy's name, or HOST.

    exit_code: for a failure that leaves nothing to diagnose (the balancer does not resolve).
    """
    data["target"] = target
    return Result(id, status, summary, detail=detail, remediation=fix, data=data,
                  exit_code=exit_code)


def passed(id, target, summary, detail=(), **data):
    return check(id, target, Status.UNCHANGED, summary, detail=detail, **data)


def failed(id, target, summary, fix, detail=(), exit_code=None, **data):
    return check(id, target, Status.FAILED, summary, fix=fix, detail=detail, exit_code=exit_code,
                 **data)


def warned(id, target, summary, fix, detail=(), **data):
    return check(id, target, Status.WARNING, summary, fix=fix, detail=detail, **data)


def skipped(id, target, summary, detail=(), **data):
    return check(id, target, Status.SKIPPED, summary, detail=detail, **data)


def target_of(result):
    return result.data.get("target")


def verdict(result):
    return VERDICTS[result.status]


def short(name):
    """A proxy's first label, for table columns: proxy01.example.test -> proxy01."""
    return name.split(".")[0] if name and not name[0].isdigit() else name


def plural(count, one, many):
    """'1 repository goes' / '3 repositories go'."""
    return "%d %s" % (count, one if count == 1 else many)


def listing(names, limit=5):
    """'a, b, c' or 'a, b, c, d, e and 3 more'."""
    names = list(names)
    if len(names) <= limit:
        return ", ".join(names)
    return "%s and %d more" % (", ".join(names[:limit]), len(names) - limit)


def same_proxy(a, b):
    """Names of the same proxy: equal as DNS names, or a short name (--proxies proxy01) and the
    first label of the other."""
    if not a or not b:
        return False
    if same_host(a, b):
        return True
    a, b = a.rstrip(".").lower(), b.rstrip(".").lower()
    return ("." not in a and b.split(".")[0] == a) or ("." not in b and a.split(".")[0] == b)
