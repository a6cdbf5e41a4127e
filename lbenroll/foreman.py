"""The Foreman API client: Basic auth through the balancer, verified TLS, every page, lookups.

Lookups that do not find exactly one match fail with DATAERR (65): the server answered, but its
data does not fit what the options ask for. The message names the search and how to fix it.
"""
import json

from lbenroll.https import KatelloSession, TooLarge, describe, read_body, timeouts
from lbenroll.errors import ConfigError, DataError, ProtocolError, UnavailableError
from lbenroll.smartproxies import SMART_PROXIES, UnreadableIndex, behind, records
from lbenroll.urls import host_of, same_host

# bootstrap.py's order (docs/katello-client-facts.md, "bootstrap.py behaviour").
API_PORTS = (443, 8443)
PING_PATH = "/api/ping"
HOSTS = "/api/v2/hosts"
PER_PAGE = 100
MAX_PAGES = 1000  # bounds a server whose subtotal never adds up
# A page of PER_PAGE host or Smart Proxy records is some hundreds of KiB; this bounds what one
# answer may decode to in memory (https.read_body).
MAX_ANSWER = 16 * 1024 * 1024


def search_text(field, value):
    return '%s="%s"' % (field, value)


class ForemanApi(object):
    """Requests to https://SERVER:PORT with HTTP Basic auth, verified against the Katello CA.

    A context manager: while it is open the CA is a file in directory (the run's temporary
    directory). port is None until ping() found the API port.

    `lbenroll diagnose` reads the Smart Proxy list with a client of its own
    (diagnose/sources.foreman_api), on purpose: it writes no file, not even this CA file, and
    uses probe.py's TLS like its other requests. Both page through smartproxies.records.
    """

    def __init__(self, balancer, ca_pem, timeout, directory, login, password, port=None):
        self.balancer = balancer
        self.ca_pem = ca_pem
        self.timeout = timeout
        self.directory = directory
        self.login = login
        self.password = password
        self.port = port
        self._https = None

    def __enter__(self):
        self._https = KatelloSession(self.ca_pem, self.directory).__enter__()
        return self

    def __exit__(self, *exc_info):
        self._https.__exit__(*exc_info)

    def url(self, path, port=None):
        return "https://%s:%d%s" % (self.balancer, port or self.port, path)

    def ping(self):
        """Find the API port like bootstrap.py (443, then 8443); return it."""
        import requests
        errors = []
        for port in API_PORTS:
            try:
                # stream: only the status is wanted, the body is never read.
                with self._https.get(self.url(PING_PATH, port), timeout=timeouts(self.timeout),
                                     stream=True) as response:
                    status = response.status_code
            except requests.exceptions.RequestException as exc:
                errors.append("%d: %s" % (port, describe(exc)))
                continue
            # 401: a Foreman that wants credentials even for ping still answers on this port.
            if status in (200, 401):
                self.port = port
                return port
            errors.append("%d: HTTP %d" % (port, status))
        raise UnavailableError(
            "the Foreman API does not answer on %s (%s)" % (self.balancer, "; ".join(errors)),
            fix="check that the balancer forwards port 443 (or 8443) to the proxies and that "
                "they pass /api to Foreman")

    def request(self, method, path, params=None, body=None):
        """The decoded JSON answer of one authenticated request; raises LbenrollErrors."""
        import requests
        try:
            with self._https.request(method, self.url(path), params=params, json=body,
                                     auth=(self.login, self.password or ""),
                                     timeout=timeouts(self.timeout), stream=True) as response:
                status = response.status_code
                location = response.headers.get("Location")
                content = read_body(response, MAX_ANSWER)
        except TooLarge as exc:
            raise DataError("%s %s: the answer is %s" % (method, path, exc),
                            fix="check that the balancer sends /api to Foreman") from None
        except requests.exceptions.SSLError:
            raise ConfigError("%s %s: TLS verification failed" % (method, path),
                              fix="every proxy behind the balancer needs a certificate for "
                                  "%s from the Katello CA" % self.balancer) from None
        except requests.exceptions.RequestException as exc:
            raise UnavailableError("%s %s: %s" % (method, path, describe(exc)),
                                   fix="check that the balancer and the proxies are up") from None
        if 300 <= status < 400:
            # Never followed: the request (and its password) stays on the verified connection
            # to the balancer; requests would follow one to plain http.
            raise ProtocolError("%s %s: the Foreman API answered HTTP %d, a redirect to %s, "
                                "which lbenroll does not follow" % (
                                    method, path, status, _printable(str(location)[:200])),
                                fix="check that the balancer sends /api to Foreman over https "
                                    "on %s itself" % self.balancer)
        if status == 401:
            raise ProtocolError("the Foreman API refused the login %r (HTTP 401)" % self.login,
                                fix="check -l/--login and the password")
        if status >= 400:
            raise ProtocolError("%s %s: HTTP %d: %s" % (method, path, status,
                                                        _error_text(content)),
                                fix="check the Foreman production log for the request")
        if not content:
            return {}
        try:
            return _json(content)
        except ValueError:
            raise DataError("%s %s: the answer is not JSON" % (method, path),
                            fix="check that the balancer sends /api to Foreman") from None

    def all_results(self, path, search=None):
        """Every result of a paginated index (smartproxies.records)."""
        def get_page(page):
            params = {"page": page, "per_page": PER_PAGE}
            if search:
                params["search"] = search
            return self.request("GET", path, params=params)
        try:
            return records(get_page, MAX_PAGES)
        except UnreadableIndex as exc:
            raise DataError("GET %s: %s" % (path, exc)) from None

    def lookup(self, resource, field, value, path=None):
        """The one record of resource whose field equals value; DataError otherwise."""
        search = search_text(field, value)
        found = self.all_results(path or "/api/v2/%s" % resource, search)
        if len(found) == 1:
            return found[0]
        if not found:
            raise DataError("Foreman has no %s with %s (searched as %s)" % (
                _singular(resource), search, self.login),
                fix="check the spelling (searches are case-sensitive) and that %s may see it, "
                    "or create it in Foreman first" % self.login)
        raise DataError("Foreman has %d %s with %s" % (len(found), resource, search),
                        fix="give a value that names exactly one of them (a title, not a name)")

    def find(self, resource, field, value):
        """Like lookup, but None when nothing matches."""
        found = self.all_results("/api/v2/%s" % resource, search_text(field, value))
        if len(found) > 1:
            raise DataError("Foreman has %d %s with %s" % (
                len(found), resource, search_text(field, value)),
                fix="remove the duplicates in Foreman")
        return found[0] if found else None


class ProxyChoice(object):
    """The Smart Proxies that stand for a --server name, and how they were searched for."""

    def __init__(self, balancer, proxies, searched):
        self.balancer = balancer
        self.proxies = proxies  # lowest id first
        self.searched = searched

    def first(self, feature=None):
        """The lowest-id proxy with feature (any when the API does not list features), or None."""
        for proxy in self.proxies:
            if feature is None or has_feature(proxy, feature):
                return proxy
        return None


def smart_proxies_for(api, balancer):
    """A ProxyChoice for balancer: the Smart Proxy named balancer (bootstrap.py's rule), else, as
    behind a balancer the proxies keep their own names, every proxy whose URL, registration URL
    or template URL names the balancer."""
    named = api.find("smart_proxies", "name", balancer)
    if named is not None:
        return ProxyChoice(balancer, [named], search_text("name", balancer))
    found = [proxy for proxy in api.all_results(SMART_PROXIES)
             if same_host(host_of(str(proxy.get("url") or "")), balancer)
             or behind(proxy, balancer)]
    return ProxyChoice(balancer, sorted(found, key=lambda proxy: proxy.get("id") or 0),
                       '%s, then every Smart Proxy for a URL or registration URL on %s' % (
                           search_text("name", balancer), balancer))


def has_feature(proxy, feature):
    """Whether the record lists feature (e.g. "Puppet CA"); True when the record has no
    features list at all (the API did not say)."""
    features = proxy.get("features")
    if not isinstance(features, list):
        return True
    return any(isinstance(item, dict) and item.get("name") == feature for item in features)


def _singular(resource):
    return resource[:-1] if resource.endswith("s") else resource


def _json(content):
    """The JSON document of an answer's bytes; ValueError (UnicodeDecodeError is one) when
    they are not one. Foreman answers UTF-8."""
    try:
        return json.loads(content.decode("utf-8"))
    except RecursionError:  # nested deeper than the parser goes: no answer Foreman gives
        raise ValueError("JSON nested too deep") from None


def _error_text(content):
    """What an error answer says, as text safe to print: a server's control characters (a
    terminal's escape sequences) come out escaped."""
    try:
        answer = _json(content)
    except ValueError:
        return _printable(content[:200].decode("utf-8", "replace"))
    error = answer.get("error", {}) if isinstance(answer, dict) else answer
    if isinstance(error, dict):
        text = error.get("message") or "; ".join(
            str(m) for m in error.get("full_messages") or []) or str(error)
    else:
        text = str(error)
    return _printable(str(text)[:400])


def _printable(text):
    return text if text.isprintable() else ascii(text)
