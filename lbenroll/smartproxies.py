"""Foreman's paginated indexes and which Smart Proxies stand behind a balancer.

One pager and one rule, below both users: the enrollment's Foreman client (foreman.py) and
`lbenroll diagnose` (diagnose/sources.py).
"""
from lbenroll.urls import host_of, same_host

# Settings that the load-balancer guide points at the balancer on every proxy behind it
# (--foreman-proxy-registration-url https://<lb>:9090, --foreman-proxy-template-url
# http://<lb>:8000); Foreman keeps them as settings of the proxy's features.
BALANCER_URL_KEYS = ("registration_url", "template_url")
SMART_PROXIES = "/api/v2/smart_proxies"


class UnreadableIndex(Exception):
    """An index that cannot be read to its end; the message says why."""


def records(get_page, max_pages):
    """Every record of a paginated Foreman index, in order.

    get_page(page) returns the decoded answer of one page: {"results": [...], "subtotal" or
    "total", ...}. Reading stops at the subtotal, at an empty page, or at a page that brings no
    record not seen already (a server that ignores `page`).
    """
    found, seen = [], set()
    for page in range(1, max_pages + 1):
        answer = get_page(page)
        batch = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(batch, list):
            raise UnreadableIndex("page %d has no results list" % page)
        new = [r for r in batch if not (isinstance(r, dict) and r.get("id") is not None
                                         and r.get("id") in seen)]
        if not new:
            return found
        seen.update(r.get("id") for r in new if isinstance(r, dict))
        found += new
        total = answer.get("subtotal", answer.get("total"))
        if total is None or len(found) >= int(total):
            return found
    raise UnreadableIndex("more than %d pages" % max_pages)


def behind(proxy, balancer):
    """Whether a smart proxy record (GET /api/v2/smart_proxies) has a URL on the balancer."""
    settings = [proxy] + [feature.get("settings") or {} for feature in proxy.get("features") or ()
                          if isinstance(feature, dict)]
    return any(same_host(host_of(str(where.get(key) or "")), balancer)
               for where in settings if isinstance(where, dict) for key in BALANCER_URL_KEYS)
