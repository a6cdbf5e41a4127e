"""The names of the proxies behind the balancer (--proxies, Foreman's API, or discovery through
the balancer) and their addresses."""
import base64
import json
import re
import socket

from lbenroll.diagnose.fetch import answer, failure, https_get
from lbenroll.diagnose.verdicts import same_proxy
from lbenroll.smartproxies import (MAX_ROUNDS, QUIET_ROUNDS, SMART_PROXIES, UnreadableIndex,
                                   behind, records, until_quiet)
from lbenroll.urls import host_of

OPTION, FOREMAN, DISCOVERY = "--proxies", "Foreman API", "discovery"
SMART_PROXIES_PATH = SMART_PROXIES + "?per_page=%d&page=%d"


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
    # Not options.comma_list, the enrollment's splitter: a space separates names here as well
    # (a list pasted from a report), where an enrollment value keeps bootstrap.py's commas only.
    names = []
    for name in re.split(r"[\s,]+", text or ""):
        if name and not any(same_proxy(name, seen) for seen in names):
            names.append(name)
    return names


# -- Foreman's API --------------------------------------------------------------------------------

def smart_proxies(get_json, per_page=100, max_pages=1000):
    """Every Smart Proxy record Foreman lists (GET /api/v2/smart_proxies, every page).

    get_json(path) returns the parsed answer of one GET (foreman_api)."""
    try:
        return records(lambda page: get_json(SMART_PROXIES_PATH % (per_page, page)), max_pages)
    except UnreadableIndex as exc:
        raise SourceError("the answer to %s: %s" % (SMART_PROXIES, exc)) from None


def proxy_name(record):
    """A Smart Proxy record's host name: its URL's host, else its name."""
    return host_of(str(record.get("url") or "")) or record.get("name")


def names_behind(listed, balancer):
    """The names of the listed proxies that have a registration or template URL on the balancer."""
    names = []
    for proxy in listed:
        name = proxy_name(proxy)
        if name and behind(proxy, balancer) and name not in names:
            names.append(name)
    return names


def record_of(listed, name):
    """The Smart Proxy record of the proxy called name (by its URL's host or its name), or None."""
    for record in listed:
        if any(same_proxy(name, known) for known in (proxy_name(record), record.get("name"))):
            return record
    return None


def setting(record, key):
    """A Smart Proxy setting as Foreman's API gives it: on the record itself, or in the settings
    of one of its features (registration_url is the Registration feature's, rhsm_url the
    Pulpcore feature's). None when it is not set."""
    places = [record] + [feature.get("settings") or {} for feature in record.get("features") or ()
                         if isinstance(feature, dict)]
    for place in places:
        if isinstance(place, dict) and place.get(key):
            return str(place[key])
    return None


def feature_names(record):
    """The lower-cased names of a Smart Proxy record's features, or None when it lists none."""
    features = record.get("features")
    if not isinstance(features, list):
        return None
    return {str(f.get("name") if isinstance(f, dict) else f).lower() for f in features}


def foreman_api(foreman, login, password, ca_pem, timeout):
    """get_json for smart_proxies: HTTPS with basic authentication, verified against ca_pem.

    foreman is a host name or an https:// URL (for another port). The password goes only into
    the Authorization header of these requests.

    Not foreman.ForemanApi, on purpose: that client needs the CA as a file (requests verifies
    against a path, KatelloSession writes it to the run's temporary directory) and finds the
    API port through the balancer; diagnose writes nothing, not even a temporary file, and asks
    the Foreman server it is given over the same probe.py TLS as its every other request. What
    the two share is below both: the pager and the balancer rule (smartproxies.py).
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

def discover(round_names, quiet_rounds=QUIET_ROUNDS, max_rounds=MAX_ROUNDS):
    """(names in order of discovery, rounds used).

    round_names() makes one round of connections through the balancer and returns the proxy
    names they revealed; rounds go on until quiet_rounds in a row reveal nobody new (or
    max_rounds), as REX_KEYS fetches keys (smartproxies.until_quiet).
    """
    names = []

    def one_round():
        found = 0
        for name in round_names():
            if name and not any(same_proxy(name, known) for known in names):
                names.append(name)
                found += 1
        return found
    return names, until_quiet(one_round, quiet_rounds, max_rounds)


def resolve(name):
    """(address, None) or (None, why not): the first address the resolver gives."""
    try:
        infos = socket.getaddrinfo(name, None, 0, socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return None, "does not resolve (%s)" % exc.strerror
    return infos[0][4][0], None
