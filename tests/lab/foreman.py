"""The lab's Foreman API subset: lookups, host create/update/delete, a log of what it received.

All proxy processes share one state directory (state_dir/foreman/), like Foreman behind every
Smart Proxy is one server: each mutation runs under an exclusive flock and is written with temp
file + rename. Searches understand only `field="value"` (exact match), which is all lbenroll and
bootstrap.py send. The stdlib only: proxy_server.py runs it under /usr/bin/python3.
"""
import base64
import contextlib
import fcntl
import json
import os
import re
import tempfile

LOGIN = "admin"
PASSWORD = "changeme"
DEFAULT_PER_PAGE = 20  # Foreman's default

# Enough architectures that an unfiltered index needs two default pages.
EXTRA_ARCHITECTURES = 29
# Content-only Smart Proxies at remote sites (no remote execution, so no key), listed before the
# balanced ones: with them the smart_proxies index needs two pages of the 100 lbenroll asks for,
# and proxy03 is only on the second.
REMOTE_CAPSULES = 98
BALANCED_PROXY_NAMES = ("proxy01.example.test", "proxy02.example.test", "proxy03.example.test")
# Foreman's names of the balanced proxies' features; only proxy01 runs the Puppet CA (the
# balancer's 8141 goes to its puppetserver).
FEATURES = ("Dynflow", "Logs", "Pulpcore", "Puppet", "Puppet CA", "Registration", "Script",
            "Templates", "Openscap")
PUPPET_CA_PROXY_NAME = "proxy01.example.test"


def _proxy_dir(state_dir, name):
    """<workdir>/proxies/<fqdn>: where the lab keeps a proxy's files, next to state_dir."""
    return os.path.join(os.path.dirname(os.path.abspath(state_dir)), "proxies", name)


def proxy_pubkey(state_dir, name):
    """The foreman-proxy key the lab made for that proxy (served at :9090/ssh/pubkey), or None.

    Foreman stores it when it refreshes a proxy's features; the lab keeps each proxy's key under
    <workdir>/proxies/<fqdn>/ssh/, next to state_dir. Unit tests have no keys.
    """
    path = os.path.join(_proxy_dir(state_dir, name), "ssh", "id_foreman_proxy.pub")
    try:
        with open(path) as f:
            return f.read().strip() or None
    except FileNotFoundError:
        return None


def proxy_ca_pubkey(state_dir, name):
    """The SSH CA that proxy publishes at :9090/ssh/ca_pubkey (Lab.set_ssh_ca: "ssh_ca" in its
    control file, which proxy_server.py serves), as Foreman keeps it: stripped, None when blank
    or absent (foreman_remote_execution's ProxyAPI::RemoteExecutionSSH#ca_pubkey and
    SmartProxyExtensions#update_ca_pubkey). Read whenever the index is served, as if Foreman had
    refreshed the proxy a moment ago."""
    try:
        with open(os.path.join(_proxy_dir(state_dir, name), "control.json")) as f:
            published = json.load(f).get("ssh_ca")
    except (FileNotFoundError, ValueError):
        return None
    if not isinstance(published, str):
        return None
    return published.strip() or None


def proxy_features(name):
    """A balanced proxy's features as Foreman's smart_proxies index lists them (name and id)."""
    names = [n for n in FEATURES if n != "Puppet CA" or name == PUPPET_CA_PROXY_NAME]
    return [{"id": FEATURES.index(n) + 1, "name": n} for n in names]


def seed_world(state_dir):
    """The lab's Foreman: one of everything lbenroll looks up, plus a second host group."""
    def records(*names, **extra):
        return [dict({"id": index + 1, "name": name}, **extra) for index, name in enumerate(names)]

    architectures = records("x86_64", *["arch%02d" % n for n in range(1, EXTRA_ARCHITECTURES + 1)])
    return {
        "organizations": [{"id": 1, "name": "ACME Corp", "title": "ACME Corp", "label": "ACME"}],
        "locations": [{"id": 2, "name": "Lab", "title": "Lab"}],
        "hostgroups": [{"id": 3, "name": "web", "title": "lab/web"},
                       {"id": 4, "name": "db", "title": "lab/db"}],
        "domains": [{"id": 5, "name": "example.test"}],
        "architectures": architectures,
        "operatingsystems": [{"id": 6, "name": "RedHat", "title": "RedHat 9.4"}],
        "ptables": [{"id": 7, "name": "Kickstart default"}],
        # Each proxy has its own URL; registration goes through the balancer, which is how
        # Katello tells that a proxy is load-balanced (SmartProxy#load_balanced?).
        "smart_proxies": [
            {"id": 101 + n, "name": "capsule%02d.remote.example.test" % n,
             "url": "https://capsule%02d.remote.example.test:9090" % n,
             "remote_execution_pubkey": None, "remote_execution_ca_pubkey": None}
            for n in range(REMOTE_CAPSULES)] + [
            dict(proxy, url="https://%s:9090" % proxy["name"],
                 registration_url="https://smartproxy.example.test:9090",
                 features=proxy_features(proxy["name"]),
                 remote_execution_pubkey=proxy_pubkey(state_dir, proxy["name"]))
            for proxy in records(*BALANCED_PROXY_NAMES)],
        "hosts": [],
        "next_id": 100,
    }


HOST_FIELDS = ("hostgroup_id", "organization_id", "location_id", "domain_id", "architecture_id",
               "operatingsystem_id", "ptable_id", "ip", "mac", "comment", "build",
               "compute_resource_id", "puppet_proxy_id", "puppet_ca_proxy_id", "openscap_proxy_id")
# The *_id fields that do not name their resource.
ID_RESOURCES = {"puppet_proxy_id": "smart_proxies", "puppet_ca_proxy_id": "smart_proxies",
                "openscap_proxy_id": "smart_proxies"}
INDEXES = ("organizations", "locations", "hostgroups", "domains", "architectures",
           "operatingsystems", "ptables", "smart_proxies", "hosts")


class ApiError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class Foreman(object):
    """Foreman for one proxy process; the state lives in state_dir/foreman, never in memory."""

    def __init__(self, state_dir):
        self.state_dir = state_dir
        self.dir = os.path.join(state_dir, "foreman")
        os.makedirs(self.dir, exist_ok=True)
        self.state_file = os.path.join(self.dir, "state.json")
        self.log_file = os.path.join(self.dir, "requests.jsonl")
        with self._locked():
            if not os.path.exists(self.state_file):
                _atomic_write(self.state_file, json.dumps(seed_world(self.state_dir), indent=1))

    # -- for tests ------------------------------------------------------------------------

    def hosts(self):
        return self._load()["hosts"]

    def requests(self):
        try:
            with open(self.log_file) as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def add_host(self, **fields):
        """Seed a host record (as if created earlier); returns it."""
        with self._locked():
            state = self._load()
            host = self._new_host(state, fields)
            self._save(state)
        return host

    def set_smart_proxy(self, proxy_id, **fields):
        """Change a Smart Proxy record as an admin would, e.g. registration_url after the proxy
        was re-registered through another balancer (reset() restores the seeded records)."""
        with self._locked():
            state = self._load()
            self._find(state, "smart_proxies", proxy_id).update(fields)
            self._save(state)

    def reset(self):
        with self._locked():
            _atomic_write(self.state_file, json.dumps(seed_world(self.state_dir), indent=1))
            with open(self.log_file, "w"):
                pass

    # -- HTTP -----------------------------------------------------------------------------

    def handle(self, method, path, query, headers, body, proxy=None):
        """(status, headers, payload) for one request; query is parse_qs output."""
        params = dict((key, values[-1]) for key, values in query.items())
        decoded = None
        try:
            decoded = json.loads(body.decode()) if body else None
        except ValueError:
            decoded = "<not JSON>"
        self._log({"method": method, "path": path, "query": params, "body": decoded,
                   "user": _user(headers), "proxy": proxy})
        try:
            if path.rstrip("/") == "/api/ping":
                return _json(200, {"results": {"foreman": {"database": {"active": True}}}})
            if not _authorized(headers):
                raise ApiError(401, "Unable to authenticate user %s" % _user(headers))
            return self._route(method, path.rstrip("/"), params, decoded)
        except ApiError as error:
            return _json(error.status, {"error": {"message": error.message}})

    def _route(self, method, path, params, body):
        match = re.match(r"^/(?:api/v2|api|katello/api)/([a-z_]+)(?:/(\d+))?$", path)
        if not match or match.group(1) not in INDEXES:
            raise ApiError(404, "Route %s not found" % path)
        resource, record_id = match.group(1), match.group(2)
        if method == "GET" and record_id is None:
            return _json(200, self._index(resource, params))
        if method == "GET":
            return _json(200, self._shown(resource, self._find(self._load(), resource,
                                                              int(record_id))))
        if method == "POST" and record_id is None and resource in ("hosts", "domains"):
            return _json(201, self._create(resource, body))
        if method == "PUT" and record_id is not None and resource == "hosts":
            return _json(200, self._update_host(int(record_id), body))
        if method == "DELETE" and record_id is not None and resource in ("hosts", "domains"):
            return _json(200, self._delete(resource, int(record_id)))
        raise ApiError(404, "Route %s %s not found" % (method, path))

    def _index(self, resource, params):
        records = self._load()[resource]
        matching = [r for r in records if _matches(r, params.get("search"))]
        page = int(params.get("page", 1))
        per_page = int(params.get("per_page", DEFAULT_PER_PAGE))
        start = (page - 1) * per_page
        return {"total": len(records), "subtotal": len(matching), "page": page,
                "per_page": per_page, "search": params.get("search"),
                "results": [self._shown(resource, r) for r in matching[start:start + per_page]]}

    def _shown(self, resource, record):
        """A record as the API shows it: a balanced proxy with the SSH CA it publishes."""
        if resource == "smart_proxies" and record.get("name") in BALANCED_PROXY_NAMES:
            record = dict(record, remote_execution_ca_pubkey=proxy_ca_pubkey(
                self.state_dir, record["name"]))
        return record

    def _create(self, resource, body):
        fields = (body or {}).get(resource[:-1])
        if not isinstance(fields, dict):
            raise ApiError(422, "the body needs a %r object" % resource[:-1])
        with self._locked():
            state = self._load()
            if resource == "hosts":
                record = self._new_host(state, fields)
            else:
                record = {"id": _next_id(state), "name": fields.get("name"),
                          "organization_ids": fields.get("organization_ids", []),
                          "location_ids": fields.get("location_ids", [])}
                state["domains"].append(record)
            self._save(state)
        return record

    def _new_host(self, state, fields):
        for required in ("name", "hostgroup_id", "organization_id"):
            if not fields.get(required):
                raise ApiError(422, "Validation failed: %s can't be blank" % required)
        host = {"id": _next_id(state)}
        self._apply(state, host, fields)
        name = fields["name"]
        domain = self._find(state, "domains", host["domain_id"]) if host.get("domain_id") else None
        host["name"] = "%s.%s" % (name, domain["name"]) if domain and "." not in name else name
        if any(h["name"] == host["name"] for h in state["hosts"]):
            raise ApiError(422, "Validation failed: Name has already been taken")
        state["hosts"].append(host)
        return host

    def _update_host(self, host_id, body):
        fields = (body or {}).get("host")
        if not isinstance(fields, dict):
            raise ApiError(422, "the body needs a 'host' object")
        with self._locked():
            state = self._load()
            host = self._find(state, "hosts", host_id)
            self._apply(state, host, fields)
            self._save(state)
        return host

    def _apply(self, state, host, fields):
        """Copy the known fields, checking that every *_id names an existing record."""
        for key in HOST_FIELDS:
            if key in fields:
                host[key] = fields[key]
                if key.endswith("_id") and key != "compute_resource_id" and fields[key]:
                    record = self._find(state, ID_RESOURCES.get(key, key[:-3] + "s"),
                                        fields[key])
                    if key == "openscap_proxy_id" and "Openscap" not in [
                            f.get("name") for f in record.get("features") or ()]:
                        # foreman_openscap's validation (openscap_proxy_has_feature)
                        raise ApiError(422, "openscap_proxy_id must have Openscap feature")
        if "managed" in fields:
            host["managed"] = str(fields["managed"]).lower() == "true"
        facet = fields.get("content_facet_attributes")
        if isinstance(facet, dict):
            if facet.get("content_source_id"):
                self._find(state, "smart_proxies", facet["content_source_id"])
            host["content_facet_attributes"] = {"content_source_id":
                                                facet.get("content_source_id")}

    def _delete(self, resource, record_id):
        with self._locked():
            state = self._load()
            record = self._find(state, resource, record_id)
            state[resource].remove(record)
            self._save(state)
        return record

    def _find(self, state, resource, record_id):
        for record in state.get(resource, []):
            if record["id"] == record_id:
                return record
        raise ApiError(404 if resource == "hosts" else 422,
                       "%s with id %s not found" % (resource, record_id))

    # -- state ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self):
        with open(os.path.join(self.dir, "lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _load(self):
        with open(self.state_file) as f:
            return json.load(f)

    def _save(self, state):
        _atomic_write(self.state_file, json.dumps(state, indent=1))

    def _log(self, entry):
        with self._locked():
            with open(self.log_file, "a") as f:
                f.write(json.dumps(entry, sort_keys=True) + "\n")


def _next_id(state):
    state["next_id"] += 1
    return state["next_id"]


def _matches(record, search):
    if not search:
        return True
    match = re.match(r'^\s*([a-z_]+)\s*=\s*"(.*)"\s*$', search)
    if not match:
        raise ApiError(422, "unsupported search %r (the lab knows field=\"value\")" % search)
    return str(record.get(match.group(1))) == match.group(2)


def _credentials(headers):
    value = dict((k.lower(), v) for k, v in headers.items()).get("authorization", "")
    if not value.startswith("Basic "):
        return None, None
    try:
        user, _, password = base64.b64decode(value[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None, None
    return user, password


def _user(headers):
    return _credentials(headers)[0]


def _authorized(headers):
    return _credentials(headers) == (LOGIN, PASSWORD)


def _json(status, value):
    return status, {"Content-Type": "application/json"}, json.dumps(value).encode()


def _atomic_write(path, text):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)
