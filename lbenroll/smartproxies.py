"""Foreman's paginated indexes, which Smart Proxies stand behind a balancer, and how long to
keep asking a round-robin balancer to find them all.

One pager and two rules, below their users: the enrollment's Foreman client (foreman.py),
REX_CA and REX_KEYS, and `lbenroll diagnose` (diagnose/sources.py).
"""
from lbenroll.urls import host_of, same_host

# Settings that the load-balancer guide points at the balancer on every proxy behind it
# (--foreman-proxy-registration-url https://<lb>:9090, --foreman-proxy-template-url
# http://<lb>:8000); Foreman keeps them as settings of the proxy's features.
BALANCER_URL_KEYS = ("registration_url", "template_url")
SMART_PROXIES = "/api/v2/smart_proxies"
# Asking the same thing through the balancer again and again: a round-robin shows every proxy
# within one round, so QUIET_ROUNDS rounds in a row that bring nothing new mean that no more
# than QUIET_ROUNDS proxies can be hiding; MAX_ROUNDS bounds a balancer that flaps.
QUIET_ROUNDS = 4
MAX_ROUNDS = 32

# What foreman_remote_execution adds to each record of that index (its
# app/views/api/v2/smart_proxies/pubkey.json.rabl and ca_pubkey.json.rabl, at commit
# afdec5ad3f2fc02a236e4b0624e2cac3620e2b17): the key the proxy serves at :9090/ssh/pubkey and the
# SSH CA it serves at /ssh/ca_pubkey, as Foreman stored them on the proxy's last refresh; both are
# null on a proxy without the remote execution (SSH/Script) feature, the CA also on a proxy
# without one (docs/katello-client-facts.md, "SSH certificate authority for remote execution").
REX_KEY_FIELD = "remote_execution_pubkey"
REX_CA_FIELD = "remote_execution_ca_pubkey"


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
        for record in batch:
            # Every caller reads records as objects with a plain id: anything else is refused
            # here, never met later as a bug.
            if not isinstance(record, dict) or not isinstance(record.get("id"),
                                                             (int, str, type(None))):
                raise UnreadableIndex("page %d holds a record that is not a Foreman record: %s"
                                      % (page, ascii(record)[:80]))
        new = [r for r in batch if r.get("id") is None or r.get("id") not in seen]
        if not new:
            return found
        seen.update(r.get("id") for r in new)
        found += new
        total = answer.get("subtotal", answer.get("total"))
        if total is None:
            return found
        if isinstance(total, str) and total.isdigit() and len(total) < 12:
            total = int(total)
        if not isinstance(total, int) or isinstance(total, bool):
            raise UnreadableIndex("page %d gives its total as %s, not a number" % (
                page, ascii(total)[:40]))
        if len(found) >= total:
            return found
    raise UnreadableIndex("more than %d pages" % max_pages)


def label(record):
    """How messages name a Smart Proxy record: its name, else its id."""
    return record.get("name") or "id %s" % record.get("id")


def rex_key_of(record):
    """The text of a record's remote_execution_pubkey, or None when it has none: no remote
    execution proxy, as Foreman keeps a key only for a proxy with that feature."""
    text = record.get(REX_KEY_FIELD)
    return text if isinstance(text, str) and text.strip() else None


def until_quiet(one_round, quiet_rounds=QUIET_ROUNDS, max_rounds=MAX_ROUNDS):
    """Call one_round() until quiet_rounds calls in a row found nothing new, or max_rounds calls
    in all; one_round returns how many new things it found. Returns the number of calls."""
    quiet = rounds = 0
    while quiet < quiet_rounds and rounds < max_rounds:
        rounds += 1
        quiet = 0 if one_round() else quiet + 1
    return rounds


def behind(proxy, balancer):
    """Whether a smart proxy record (GET /api/v2/smart_proxies) has a URL on the balancer."""
    settings = [proxy] + [feature.get("settings") or {} for feature in proxy.get("features") or ()
                          if isinstance(feature, dict)]
    return any(same_host(host_of(str(where.get(key) or "")), balancer)
               for where in settings if isinstance(where, dict) for key in BALANCER_URL_KEYS)


# Katello's own rule for "the proxies behind a load balancer" (Katello
# app/models/katello/concerns/smart_proxy_extensions.rb, SmartProxy.behind_load_balancer,
# #load_balanced?, #registration_url; docs/katello-client-facts.md, "Parity with Global
# Registration"): a content proxy (the Pulpcore feature) whose registration URL (the Registration
# feature's registration_url setting, else the proxy's own URL) names the balancer, while its own
# URL names another host.
CONTENT_FEATURE = "Pulpcore"
REGISTRATION_FEATURE = "Registration"


def registration_host(proxy):
    """The host of a smart proxy record's registration URL, as Katello reads it."""
    url = None
    for feature in proxy.get("features") or ():
        if isinstance(feature, dict) and feature.get("name") == REGISTRATION_FEATURE:
            url = (feature.get("settings") or {}).get("registration_url") or None
    url = url or proxy.get("registration_url") or proxy.get("url")
    return host_of(str(url or "")) or None


def behind_load_balancer(proxy, balancer):
    """Whether a smart proxy record is one of Katello's load-balanced content proxies behind
    balancer. A record without a features list (the API did not say) is taken as a content
    proxy."""
    features = proxy.get("features")
    if isinstance(features, list) and not any(
            isinstance(f, dict) and f.get("name") == CONTENT_FEATURE for f in features):
        return False
    own = host_of(str(proxy.get("url") or ""))
    registration = registration_host(proxy)
    return bool(own and registration and same_host(registration, balancer)
                and not same_host(own, registration))
