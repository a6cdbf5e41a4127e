"""The names of the proxies behind the balancer (--proxies, Foreman's API, or discovery through
the balancer) and their addresses."""
import base64
import json
import re
import socket

from lbenroll.diagnose.checks import same_proxy
from lbenroll.diagnose.fetch import answer, failure, https_get
from lbenroll.urls import host_of, same_host

OPTION, FOREMAN, DISCOVERY = "--proxies", "Foreman API", "discovery"
SMART_PROXIES_PATH = "/api/v2/smart_proxies?per_page=%d&page=%d"
# Settings that the load-balancer guide points at the balancer on every proxy behind it
# (--foreman-proxy-registration-url https://<lb>:9090, --foreman-proxy-template-url
# http://<lb>:8000); Foreman keeps them as settings of the proxy's features.
BALANCER_URL_KEYS = ("registration_url", "template_url")


class SourceError(Exception):
    """The proxy names could not be had from this source; the message says why."""


class ProxySource(object):
    """Which proxies, from where, and how that was found out (one line for the report)."""

    def __init__(self, kind, names, detail):
        self.kind = kind
        self.names = list(names)
        self.detail = detail


def from_option(text):
    """Names from --proxies: commas or spaces between them, duplicates dropped, order kept."""
    names = []
    for name in re.split(r"[\s,]+", text or ""):
        if name and not any(same_proxy(name, seen) for seen in names):
            names.append(name)
    return names


# -- Foreman's API --------------------------------------------------------------------------------

def behind(proxy, balancer):
    """Whether a smart proxy record (GET /api/v2/smart_proxies) has a URL on the balancer."""
    settings = [proxy] + [feature.get("settings") or {} for feature in proxy.get("features") or ()
                          if isinstance(feature, dict)]
    return any(same_host(host_of(str(where.get(key) or "")), balancer)
               for where in settings if isinstance(where, dict) for key in BALANCER_URL_KEYS)


def from_foreman(get_json, balancer, per_page=100, max_pages=1000):
    """(names of the proxies behind the balancer, how many proxies Foreman listed).

    get_json(path) returns the parsed answer of one GET. All pages are read: Foreman answers
    {"total", "subtotal", "page", "per_page", "results": [...]} and a page past the end is empty.
    """
    names, seen_ids, listed = [], set(), 0
    for page in range(1, max_pages + 1):
        data = get_json(SMART_PROXIES_PATH % (per_page, page))
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list):
            path = SMART_PROXIES_PATH % (per_page, page)
            raise SourceError("the answer to %s has no results list" % path)
        new = [p for p in results if isinstance(p, dict) and p.get("id") not in seen_ids]
        if not new:
            break  # past the last page (or a server that ignores `page`)
        for proxy in new:
            seen_ids.add(proxy.get("id"))
            listed += 1
            name = host_of(str(proxy.get("url") or "")) or proxy.get("name")
            if name and behind(proxy, balancer) and name not in names:
                names.append(name)
        total = data.get("subtotal", data.get("total"))
        if isinstance(total, int) and listed >= total:
            break
    return names, listed


def foreman_api(foreman, login, password, ca_pem, timeout):
    """get_json for from_foreman: HTTPS with basic authentication, verified against ca_pem.

    foreman is a host name or an https:// URL (for another port). The password goes only into
    the Authorization header of these requests.
    """
    foreman_host = host_of(foreman) if "://" in foreman else foreman
    port_match = re.match(r"[a-z]+://[^/]*:(\d+)", foreman)
    port = int(port_match.group(1)) if port_match else 443
    token = base64.b64encode(("%s:%s" % (login, password)).encode("utf-8")).decode("ascii")
    headers = {"Authorization": "Basic " + token, "Accept": "application/json"}

    def get_json(path):
        probe = https_get(foreman_host, port, path, ca_pem, timeout, headers=headers)
        got = answer(probe)
        if got is None:
            raise SourceError(failure(probe, "%s:%d" % (foreman_host, port)))
        if got.status in (401, 403):
            raise SourceError("%s refused the login %r (%s)" % (foreman_host, login, got))
        if got.status != 200:
            raise SourceError("%s%s answered %s" % (foreman_host, path, got))
        try:
            return json.loads(got.body.decode("utf-8"))
        except ValueError:
            raise SourceError("%s%s did not answer JSON" % (foreman_host, path)) from None
    return get_json


# -- discovery through the balancer ---------------------------------------------------------------

def discover(round_names, quiet_rounds=4, max_rounds=32):
    """(names in order of discovery, rounds used).

    round_names() makes one round of connections through the balancer and returns the proxy
    names they revealed. Round-robin ports reach every proxy in turn, so discovery stops once
    quiet_rounds rounds in a row reveal nobody new (or after max_rounds).
    """
    names, quiet, rounds = [], 0, 0
    while quiet < quiet_rounds and rounds < max_rounds:
        rounds += 1
        found = 0
        for name in round_names():
            if name and not any(same_proxy(name, known) for known in names):
                names.append(name)
                found += 1
        quiet = 0 if found else quiet + 1
    return names, rounds


def resolve(name):
    """(address, None) or (None, why not): the first address the resolver gives."""
    try:
        infos = socket.getaddrinfo(name, None, 0, socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return None, "does not resolve (%s)" % exc.strerror
    return infos[0][4][0], None
