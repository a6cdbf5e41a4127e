"""The lab's Candlepin subset: activation-key registration, consumer and entitlement certs."""
import base64
import contextlib
import datetime
import fcntl
import json
import os
import re
import secrets
import ssl
import subprocess
import tempfile
import uuid

VERSION = "4.4.0"

# What a Katello 4.x Candlepin advertises in GET /status; clients only test membership.
MANAGER_CAPABILITIES = [
    "instance_multiplier", "derived_product", "vcpu", "cert_v3", "hypervisors_heartbeat",
    "remove_by_pool_id", "syspurpose", "storage_band", "cores", "multi_environment",
    "hypervisors_async", "org_level_content_access", "guest_limit", "ram", "batch_bind",
]

IDENTITY_DAYS = "5840"      # candlepin issues identity certificates for 16 years
ENTITLEMENT_DAYS = "365"
CONSUMER_TYPES = ("system", "rhui")


class ApiError(Exception):
    """An HTTP error answered with Candlepin's JSON error body."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class Candlepin(object):
    """Candlepin for one proxy process; all consumer state lives in state_dir, never in memory.

    Several proxy processes share one state_dir: every mutation happens under an exclusive
    flock and is written with temp file + rename, so readers never see a half-written file.
    """

    ROUTES = [
        (re.compile(r"^/status/?$"), {"GET": "_status"}),
        (re.compile(r"^/consumers/?$"), {"POST": "_register"}),
        (re.compile(r"^/consumers/([^/]+)/?$"), {"GET": "_get_consumer",
                                                 "DELETE": "_delete_consumer"}),
        (re.compile(r"^/consumers/([^/]+)/certificates/?$"), {"GET": "_certificates"}),
        (re.compile(r"^/consumers/([^/]+)/content_overrides/?$"), {"GET": "_overrides"}),
    ]

    def __init__(self, state_dir, ca_cert, ca_key, proxy_name):
        self.state_dir = state_dir
        self.ca_cert = ca_cert
        self.ca_key = ca_key
        self.proxy_name = proxy_name
        self.consumers_dir = os.path.join(state_dir, "consumers")
        os.makedirs(self.consumers_dir, exist_ok=True)

    def handle(self, method, path, query, headers, body, client_cert_pem):
        """Answer one /rhsm request (path without the /rhsm prefix) as (status, headers, body)."""
        try:
            status, payload = self._dispatch(
                method, path, query or {}, headers or {}, body or b"", client_cert_pem)
        except ApiError as error:
            status, payload = error.status, {"displayMessage": error.message,
                                             "requestUuid": str(uuid.uuid4())}
        if payload is None:
            return status, {}, b""
        data = json.dumps(payload, sort_keys=True).encode()
        return status, {"Content-Type": "application/json"}, data

    def _dispatch(self, method, path, query, headers, body, client_cert_pem):
        for pattern, methods in self.ROUTES:
            match = pattern.match(path)
            if not match:
                continue
            if method not in methods:
                raise ApiError(405, "Method %s is not allowed on %s" % (method, path))
            handler = getattr(self, methods[method])
            return handler(*match.groups(), query=query, headers=headers, body=body,
                           client_cert_pem=client_cert_pem)
        raise ApiError(404, "Resource not found: %s" % path)

    # --- resources -------------------------------------------------------------------------

    def _status(self, **_request):
        return 200, {"result": True, "version": VERSION, "release": "1", "standalone": True,
                     "rulesSource": "default", "rulesVersion": "5.44",
                     "managerCapabilities": MANAGER_CAPABILITIES, "timeUTC": _now()}

    def _register(self, query, headers, body, **_request):
        request = _json_body(body)
        org_key = _first(query, "owner")
        keys = _activation_keys(query)
        if not keys:
            raise ApiError(400, "Registration requires at least one activation key in the lab.")
        if not org_key:
            raise ApiError(400, "Org required to register with activation keys.")
        org = self._world()["orgs"].get(org_key)
        if org is None:
            raise ApiError(404, "Organization with id %s could not be found." % org_key)
        # Candlepin skips unknown keys as long as at least one of the given keys exists.
        if not set(keys) & set(org.get("activation_keys", [])):
            raise ApiError(400, "None of the activation keys specified exist for this org.")
        name = request.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ApiError(400, "System name cannot be null.")
        if any(ord(c) < 32 for c in name):
            raise ApiError(400, "System name contains control characters.")
        label = (request.get("type") or {}).get("label", "system")
        if label.lower() not in CONSUMER_TYPES:
            raise ApiError(400, "Invalid unit type '%s'" % label)
        record = self._new_consumer(org_key, org, name, label, request)
        # Like Candlepin's consumer.activationKeys: the keys of the org that were applied, in
        # the order given (unknown ones are skipped).
        record["activationKeys"] = [{"activationKeyName": key} for key in keys
                                    if key in org.get("activation_keys", [])]
        with self._locked():
            self._save(record)
            self._append_registration(record, headers)
        return 200, _public(record)

    def _get_consumer(self, consumer_uuid, client_cert_pem, **_request):
        record = self._authorized(consumer_uuid, client_cert_pem)
        return 200, _public(record)

    def _delete_consumer(self, consumer_uuid, client_cert_pem, **_request):
        with self._locked():
            record = self._authorized(consumer_uuid, client_cert_pem)
            record["deleted"] = _now()
            self._save(record)
        return 204, None

    def _certificates(self, consumer_uuid, client_cert_pem, **_request):
        with self._locked():
            record = self._authorized(consumer_uuid, client_cert_pem)
            content = self._org_content(record["owner"]["key"])
            # Like candlepin after a content change in the org: the entitlement is re-issued
            # with a new serial, so clients drop the old certificate on their next refresh.
            if record["entitlement"]["content"] != content:
                record["entitlement"] = self._issue_entitlement(record, content)
                self._save(record)
        return 200, [record["entitlement"]]

    def _overrides(self, consumer_uuid, client_cert_pem, **_request):
        self._authorized(consumer_uuid, client_cert_pem)
        return 200, []

    # --- consumers -------------------------------------------------------------------------

    def _new_consumer(self, org_key, org, name, label, request):
        record = {
            "uuid": str(uuid.uuid4()),
            "name": name,
            "type": {"label": label, "manifest": False},
            "owner": {"key": org_key, "displayName": org.get("name", org_key)},
            "facts": request.get("facts") or {},
            "releaseVer": {"releaseVer": request.get("releaseVer") or None},
            "created": _now(),
            "proxy": self.proxy_name,
            "deleted": None,
        }
        record["idCert"] = self._issue_identity(record)
        record["entitlement"] = self._issue_entitlement(record, self._org_content(org_key))
        return record

    def _authorized(self, consumer_uuid, client_cert_pem):
        """The consumer's record if the request carries that consumer's identity certificate.

        Order as in candlepin: no or foreign certificate -> 401, then deleted -> 410.
        """
        if not client_cert_pem:
            raise ApiError(401, "Invalid Credentials")
        record = self._load(consumer_uuid)
        if record is None:
            raise ApiError(404, "Unit with ID '%s' could not be found." % consumer_uuid)
        if _der(client_cert_pem) != _der(record["idCert"]["cert"]):
            raise ApiError(401, "Invalid Credentials")
        if record["deleted"]:
            raise ApiError(410, "Unit %s has been deleted" % consumer_uuid)
        return record

    def _path(self, consumer_uuid):
        if not re.match(r"^[0-9a-fA-F-]{1,64}$", consumer_uuid):
            raise ApiError(404, "Unit with ID '%s' could not be found." % consumer_uuid)
        return os.path.join(self.consumers_dir, consumer_uuid + ".json")

    def _load(self, consumer_uuid):
        try:
            with open(self._path(consumer_uuid)) as f:
                return json.load(f)
        except FileNotFoundError:
            return None

    def _save(self, record):
        _atomic_write(self._path(record["uuid"]), json.dumps(record, indent=1, sort_keys=True))

    def _append_registration(self, record, headers):
        entry = {"ts": _now(), "uuid": record["uuid"], "name": record["name"],
                 "org": record["owner"]["key"], "proxy": self.proxy_name,
                 "host": _header(headers, "Host"),
                 "activation_keys": [k["activationKeyName"]
                                     for k in record.get("activationKeys", [])]}
        # One write() of a short line on an O_APPEND descriptor: lines from several
        # processes never interleave.
        fd = os.open(os.path.join(self.state_dir, "registrations.jsonl"),
                     os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, (json.dumps(entry, sort_keys=True) + "\n").encode())
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def _locked(self):
        with open(os.path.join(self.state_dir, ".candlepin.lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _world(self):
        # Read on every request: the lab may change orgs or content while proxies run.
        with open(os.path.join(self.state_dir, "world.json")) as f:
            return json.load(f)

    def _org_content(self, org_key):
        org = self._world()["orgs"].get(org_key) or {}
        return org.get("content", [])

    # --- certificates ----------------------------------------------------------------------

    def _issue_identity(self, record):
        serial = _serial()
        cert, key = self._sign(
            serial, IDENTITY_DAYS,
            subject=[("O", record["owner"]["key"]), ("CN", record["uuid"])],
            # subscription-manager reads the consumer name from this DirName SAN.
            extensions="subjectAltName = dirName:consumer_name\n"
                       "extendedKeyUsage = clientAuth\n",
            sections="[consumer_name]\nCN = %s\n" % _config_value(record["name"]))
        return {"cert": cert, "key": key, "serial": {"serial": serial}}

    def _issue_entitlement(self, record, content):
        serial = _serial()
        cert, key = self._sign(
            serial, ENTITLEMENT_DAYS,
            subject=[("O", record["owner"]["key"]), ("CN", uuid.uuid4().hex)],
            extensions="extendedKeyUsage = clientAuth\n", sections="")
        payload = {"consumer": record["uuid"], "quantity": 1,
                   "products": [{"id": "lab", "name": "Lab custom content",
                                 "content": [_v3_content(item) for item in content]}]}
        # Real v3 entitlement certificates carry their content sets in such a block.
        data = base64.encodebytes(json.dumps(payload, sort_keys=True).encode()).decode()
        cert += "-----BEGIN ENTITLEMENT DATA-----\n%s-----END ENTITLEMENT DATA-----\n" % data
        return {"cert": cert, "key": key, "serial": {"serial": serial},
                "content": content}

    def _sign(self, serial, days, subject, extensions, sections):
        """Generate an RSA key and a certificate signed by the lab CA; return both PEMs."""
        config = ("[req]\ndistinguished_name = dn\nprompt = no\n[dn]\n%s\n"
                  "[ext]\nbasicConstraints = critical, CA:FALSE\n"
                  "keyUsage = critical, digitalSignature, keyEncipherment, dataEncipherment\n"
                  "%s%s") % ("".join("%s = %s\n" % (k, _config_value(v)) for k, v in subject),
                             extensions, sections)
        with tempfile.TemporaryDirectory(prefix="candlepin-") as tmp:
            paths = {name: os.path.join(tmp, name) for name in ("cnf", "key", "csr", "pem")}
            with open(paths["cnf"], "w") as f:
                f.write(config)
            _openssl(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-config", paths["cnf"],
                      "-keyout", paths["key"], "-out", paths["csr"]])
            _openssl(["x509", "-req", "-in", paths["csr"], "-CA", self.ca_cert,
                      "-CAkey", self.ca_key, "-set_serial", str(serial), "-days", days,
                      "-extfile", paths["cnf"], "-extensions", "ext", "-out", paths["pem"]])
            with open(paths["pem"]) as cert, open(paths["key"]) as key:
                return cert.read(), key.read()


# --- helpers -------------------------------------------------------------------------------

def _openssl(argv):
    proc = subprocess.run(["openssl"] + argv, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ApiError(500, "certificate generation failed: openssl %s: %s"
                       % (argv[0], proc.stderr.strip()))


def _serial():
    # Candlepin serials are large positive longs; random ones never collide across processes.
    return secrets.randbits(62) | (1 << 61)


def _config_value(value):
    # openssl config values expand $VAR and treat # as a comment start; escape both.
    return re.sub(r'([\\$#"\'])', r"\\\1", value)


def _v3_content(item):
    content = {"id": item["label"], "type": "yum", "label": item["label"], "name": item["name"],
               "vendor": "Custom", "path": item["path"], "enabled": bool(item.get("enabled"))}
    if item.get("gpg_url"):
        content["gpg_url"] = item["gpg_url"]
    for optional in ("metadata_expire", "arches", "required_tags"):
        if optional in item:
            content[optional] = item[optional]
    return content


def _der(pem):
    if isinstance(pem, bytes):
        pem = pem.decode("ascii", "replace")
    try:
        return ssl.PEM_cert_to_DER_cert(pem.strip() + "\n")
    except ValueError:
        return None


def _public(record):
    return {key: record[key] for key in
            ("uuid", "name", "type", "owner", "facts", "releaseVer", "created", "idCert")}


def _json_body(body):
    try:
        data = json.loads(body.decode() if isinstance(body, bytes) else body)
    except ValueError:
        raise ApiError(400, "The request body is not valid JSON.")
    if not isinstance(data, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return data


def _first(query, name):
    values = query.get(name) or []
    return values[0] if values else None


def _activation_keys(query):
    keys = []
    for value in query.get("activation_keys") or []:
        keys.extend(k.strip() for k in value.split(",") if k.strip())
    return keys


def _header(headers, name):
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


def _atomic_write(path, text):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
