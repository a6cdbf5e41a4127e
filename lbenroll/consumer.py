"""The katello-ca-consumer RPM: download it through the balancer, validate it, read its CA."""
import hashlib
import re
import ssl
import warnings

from lbenroll import fileio, host
from lbenroll.errors import ConfigError, DataError, UnavailableError
from lbenroll.rpmfile import NotAnRpm, RpmPackage, cpio_files

STEP = "FETCH_CONSUMER_RPM"
SCRIPT_PATH = "/usr/bin/katello-rhsm-consumer"
MAX_SIZE = 16 * 1024 * 1024  # the real package is a few kB; anything huge is not it
PEM_RX = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)
# The %post script embeds both CAs as here-documents (puppet-certs rhsm_reconfigure_script).
CA_BLOCK_RX = r"%s\s*<<\s*'?EOM'?[^\n]*\n(.*?)\nEOM"
PORT_RX = re.compile(r"^\s*PORT=['\"]?(\d+)|--server\.port[= ]['\"]?(\d+)", re.M)


def fingerprint(pem):
    """SHA-256 of the certificate's DER bytes, lower-case hex (as `openssl x509 -fingerprint`)."""
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()


def pretty_fingerprint(hexdigest):
    return ":".join(hexdigest[i:i + 2] for i in range(0, len(hexdigest), 2)).upper()


def first_pem(text):
    match = PEM_RX.search(text or "")
    return match.group(0) + "\n" if match else None


def installed_ca(ctx):
    """The Katello server CA installed on the host (/etc/rhsm/ca), or None."""
    data = fileio.read_bytes(ctx, host.KATELLO_SERVER_CA)
    return first_pem(data.decode("utf-8", "replace")) if data is not None else None


class ConsumerRpm(object):
    """A downloaded consumer RPM: which proxy built it, its server CA, and its RHSM port."""

    def __init__(self, url, data, package, script):
        self.url = url
        self.data = data
        self.package = package
        self.answering_proxy = package.name[len(host.CONSUMER_PACKAGE_PREFIX):]
        self.server_ca_pem = _ca_block(script, "KATELLO_SERVER_CA_DATA") or first_pem(script)
        if not self.server_ca_pem:
            raise DataError("%s carries no CA certificate in %s" % (package.nvr, SCRIPT_PATH),
                            step=STEP, fix="check the consumer RPM the proxies publish in /pub")
        self.fingerprint = fingerprint(self.server_ca_pem)
        ports = [a or b for a, b in PORT_RX.findall(script)]
        self.rhsm_port = int(ports[0]) if ports else 443

    @property
    def filename(self):
        return "%s.noarch.rpm" % self.package.nvr


def _ca_block(script, variable):
    match = re.search(CA_BLOCK_RX % variable, script, re.S)
    return first_pem(match.group(1)) if match else None


def download(url, timeout):
    """GET the consumer RPM. TLS is not verified here: the CA that could verify it is inside the
    package. Trust comes from --ca-fingerprint and from the balancer's certificate chaining to
    it."""
    import requests  # imported here: it is slow to import and only this path needs it
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with requests.Session() as session:  # what requests.get does, with our adapter
                session.mount("https://", _unverified_adapter(requests))
                response = session.get(url, timeout=(10, timeout), verify=False, stream=True)
                data = response.raw.read(MAX_SIZE + 1, decode_content=True)
    except requests.exceptions.RequestException as exc:
        raise UnavailableError(
            "cannot download %s: %s" % (url, _reason(exc)), step=STEP,
            fix="check that the balancer is up, resolves, and forwards this port to the proxies")
    if response.status_code != 200:
        raise UnavailableError(
            "%s answered HTTP %s" % (url, response.status_code), step=STEP,
            fix="check that every proxy publishes /pub/katello-ca-consumer-latest.noarch.rpm")
    if len(data) > MAX_SIZE:
        raise DataError("%s is larger than %d bytes; not a consumer RPM" % (url, MAX_SIZE),
                        step=STEP)
    return data


def _unverified_adapter(requests):
    """An HTTPS adapter whose TLS context never loads the system CA store.

    With verify=False urllib3 still loads every system CA (about 30 ms of CPU, a tenth of a
    run's own time) unless it is given a context; this one is urllib3's own default context, so
    TLS versions and ciphers stay as they were.
    """
    from urllib3.util.ssl_ import create_urllib3_context
    context = create_urllib3_context(cert_reqs=ssl.CERT_NONE)

    class UnverifiedAdapter(requests.adapters.HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs):
            kwargs["ssl_context"] = context
            return super(UnverifiedAdapter, self).init_poolmanager(*args, **kwargs)

    return UnverifiedAdapter()


def _reason(exc):
    # requests nests the socket error a few levels down; its text names refused/unknown host.
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "timed out",
                   "No route to host", "Temporary failure in name resolution"):
        if marker in text:
            return marker.lower()
    return text


def parse(url, data, extract):
    """Validate bytes as a consumer RPM; extract(data) returns the payload as a cpio archive."""
    try:
        package = RpmPackage(data)
    except NotAnRpm as exc:
        raise DataError("%s is not a usable RPM (%s)" % (url, exc), step=STEP,
                        fix="the balancer or a proxy serves an error page or a broken file at "
                            "/pub; fetch the URL by hand and check each proxy")
    if not package.name.startswith(host.CONSUMER_PACKAGE_PREFIX):
        raise DataError("%s is %s, not a katello-ca-consumer package" % (url, package.nvr),
                        step=STEP, fix="check what the proxies publish at /pub")
    try:
        files = cpio_files(extract(data))
    except NotAnRpm as exc:
        raise DataError("cannot read the payload of %s: %s" % (package.nvr, exc), step=STEP)
    script = files.get(SCRIPT_PATH)
    if script is None:
        raise DataError("%s does not contain %s" % (package.nvr, SCRIPT_PATH), step=STEP)
    return ConsumerRpm(url, data, package, script.decode("utf-8", "replace"))


def check_pin(consumer, pinned):
    if pinned and consumer.fingerprint != pinned:
        raise ConfigError(
            "the CA in %s (answered by %s) has SHA-256 fingerprint %s, not the pinned %s" % (
                consumer.package.nvr, consumer.answering_proxy,
                pretty_fingerprint(consumer.fingerprint), pretty_fingerprint(pinned)),
            step=STEP, fix="if the Katello CA was really replaced, pin the new fingerprint; "
                           "otherwise find out what is answering as the balancer")
