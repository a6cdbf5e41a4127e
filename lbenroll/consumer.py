"""The katello-ca-consumer RPM: download it through the balancer, validate it, read its CA."""
import hashlib
import re
import socket
import ssl

from lbenroll import fileio, host
from lbenroll.errors import ConfigError, DataError, LbenrollError, UnavailableError
from lbenroll.rpmfile import CpioReader, NotAnRpm, PayloadTooLarge, RpmPackage, size

STEP = "FETCH_CONSUMER_RPM"
SCRIPT_PATH = "/usr/bin/katello-rhsm-consumer"
MAX_SIZE = 16 * 1024 * 1024  # the real package is a few kB; anything huge is not it
# Only base64 and spacing between the markers: a match attempt stops at the first other
# character, so text with thousands of BEGIN lines and no END is read in linear time.
PEM_RX = re.compile(r"-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----")
# The %post script embeds both CAs as here-documents (puppet-foreman_proxy_content:
# lib/puppet/provider/rhsm_reconfigure_script/rhsm_reconfigure_script.rb).
CA_BLOCK_RX = r"%s\s*<<\s*'?EOM'?[^\n]*\n(.*?)\nEOM"
PORT_RX = re.compile(r"^\s*PORT=['\"]?(\d+)|--server\.port[= ]['\"]?(\d+)", re.M)
PREFIX_RX = re.compile(r"^\s*PREFIX=['\"]?(/[^'\"\s]*)", re.M)
# The real script sets BASEURL=https://$KATELLO_SERVER/pulp/content/ in its RHEL branch and
# .../pulp/deb in its Debian branch (puppet-foreman_proxy_content:
# lib/puppet/provider/rhsm_reconfigure_script/rhsm_reconfigure_script.rb); the Pulp 2 era's
# (puppet-certs: templates/rhsm-katello-reconfigure.erb) .../pulp/repos. Only the path is used:
# the host is always the balancer.
BASEURL_RX = re.compile(r"^\s*BASEURL=['\"]?https?://[^/'\"\s]+(/[^'\"\s]*)", re.M)
DEBIAN_CONTENT_PATH = "/pulp/deb"
# What the script sets when it does not say (the current template's constants).
DEFAULT_PORT = 443
DEFAULT_PREFIX = "/rhsm"
DEFAULT_CONTENT_PATH = "/pulp/content/"


def fingerprint(pem):
    """SHA-256 of the certificate's DER bytes, lower-case hex (as `openssl x509 -fingerprint`)."""
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()


def pretty_fingerprint(hexdigest):
    return ":".join(hexdigest[i:i + 2] for i in range(0, len(hexdigest), 2)).upper()


def first_pem(text):
    """The first PEM certificate block in text whose base64 decodes, or None."""
    for match in PEM_RX.finditer(text or ""):
        pem = match.group(0) + "\n"
        try:
            ssl.PEM_cert_to_DER_cert(pem)
        except ValueError:  # binascii.Error: a damaged block is not a certificate
            continue
        return pem
    return None


def installed_ca(ctx):
    """The Katello server CA installed on the host (/etc/rhsm/ca), or None."""
    data = fileio.read_bytes(ctx, host.KATELLO_SERVER_CA)
    return first_pem(data.decode("utf-8", "replace")) if data is not None else None


def installed_script_ca(ctx):
    """The server CA in the installed consumer package's script (its payload), or None."""
    data = fileio.read_bytes(ctx, SCRIPT_PATH)
    if data is None:
        return None
    script = data.decode("utf-8", "replace")
    return _ca_block(script, "KATELLO_SERVER_CA_DATA") or first_pem(script)


def trusted_ca(ctx):
    """The Katello server CA this host already trusts, or None: the CA file subscription-manager
    uses, else the one the installed consumer package carries (its %post may never have run)."""
    return installed_ca(ctx) or installed_script_ca(ctx)


class Layout(object):
    """What a consumer RPM's configuration script sets in rhsm.conf besides the host name: the
    RHSM port and prefix and the content path. Read from the script's text, never run."""

    __slots__ = ("port", "prefix", "content_path")

    def __init__(self, port, prefix, content_path):
        self.port = port
        self.prefix = prefix
        self.content_path = content_path

    @classmethod
    def of_script(cls, script):
        ports = [a or b for a, b in PORT_RX.findall(script)]
        prefixes = PREFIX_RX.findall(script)
        # The RHEL branch comes last in every template (after the Debian one and, in the Pulp 2
        # era's, an Atomic one with /pulp/ostree/web/).
        paths = [path for path in BASEURL_RX.findall(script)
                 if path.rstrip("/") != DEBIAN_CONTENT_PATH and "/ostree" not in path]
        return cls(int(ports[0]) if ports else DEFAULT_PORT,
                   prefixes[0] if prefixes else DEFAULT_PREFIX,
                   paths[-1] if paths else DEFAULT_CONTENT_PATH)

    def __eq__(self, other):
        return isinstance(other, Layout) and (self.port, self.prefix, self.content_path) == (
            other.port, other.prefix, other.content_path)

    def __repr__(self):
        return "Layout(%r, %r, %r)" % (self.port, self.prefix, self.content_path)


class ConsumerRpm(object):
    """A downloaded consumer RPM: which proxy built it, its CAs, and the rhsm layout it sets."""

    def __init__(self, url, data, package, script):
        self.url = url
        self.data = data
        self.package = package
        self.answering_proxy = package.name[len(host.CONSUMER_PACKAGE_PREFIX):]
        self.server_ca_pem = _ca_block(script, "KATELLO_SERVER_CA_DATA") or first_pem(script)
        if not self.server_ca_pem:
            raise DataError("%s carries no CA certificate in %s" % (package.nvr, SCRIPT_PATH),
                            step=STEP, fix="check the consumer RPM the proxies publish in /pub")
        # The default CA is the first block; a script without one (never seen) reuses the
        # server CA, as Katello does when no custom server certificate is given.
        self.default_ca_pem = _ca_block(script, "KATELLO_DEFAULT_CA_DATA") or self.server_ca_pem
        self.fingerprint = fingerprint(self.server_ca_pem)
        self.layout = Layout.of_script(script)
        self.path = None  # where FETCH_CONSUMER_RPM saved the package for rpm
        # The payload's entries (rpmfile.CpioEntry: path, mode, size) when it was unpacked;
        # None when the script was taken from the host (the header's digest named it).
        self.payload = None

    @property
    def rhsm_port(self):
        return self.layout.port

    @property
    def filename(self):
        return "%s.noarch.rpm" % self.package.nvr


def _ca_block(script, variable):
    match = re.search(CA_BLOCK_RX % variable, script, re.S)
    return first_pem(match.group(1)) if match else None


def download(url, timeout):
    """GET the consumer RPM. TLS is not verified here: the CA that could verify it is inside the
    package. Trust comes from --ca-fingerprint and from the balancer's certificate chaining to
    it.

    The standard library, not requests: a content-only enrollment and every repair run need no
    other HTTP client, and importing requests costs a run more CPU than the rest of its Python.
    """
    import http.client
    import urllib.error
    import urllib.request
    # No CA store is loaded (it would not be used): a bare client context, nothing verified.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(url, timeout=timeout) as response:
            data = response.read(MAX_SIZE + 1)
    except urllib.error.HTTPError as exc:
        raise UnavailableError(
            "%s answered HTTP %s" % (url, exc.code), step=STEP,
            fix="check that every proxy publishes /pub/katello-ca-consumer-latest.noarch.rpm")
    except (OSError, http.client.HTTPException) as exc:  # URLError is an OSError
        raise UnavailableError(
            "cannot download %s: %s" % (url, _reason(exc)), step=STEP,
            fix="check that the balancer is up, resolves, and forwards this port to the proxies")
    if len(data) > MAX_SIZE:
        raise DataError("%s is larger than %d bytes; not a consumer RPM" % (url, MAX_SIZE),
                        step=STEP)
    return data


def _reason(exc):
    """A short cause: "connection refused", "name or service not known", "timed out", ..."""
    reason = getattr(exc, "reason", exc)  # URLError wraps the socket error
    if isinstance(reason, socket.timeout):
        return "timed out"
    if isinstance(reason, ssl.SSLError):
        return "TLS handshake failed: %s" % (reason.reason or reason)
    if getattr(reason, "strerror", None):
        return reason.strerror.lower()
    return str(reason)


def parse(url, data, extract, installed_script=None):
    """Validate bytes as a consumer RPM. extract(consume) runs through the payload as a cpio
    archive (rpm2cpio's output), giving it to consume piece by piece.

    installed_script: the bytes at SCRIPT_PATH on the host; when the package's header gives
    them as its script's digest they are its script, and the payload is not unpacked.
    """
    try:
        package = RpmPackage(data)
    except NotAnRpm as exc:
        raise DataError("%s is not a usable RPM (%s)" % (url, exc), step=STEP,
                        fix="the balancer or a proxy serves an error page or a broken file at "
                            "/pub; fetch the URL by hand and check each proxy")
    if not package.name.startswith(host.CONSUMER_PACKAGE_PREFIX):
        raise DataError("%s is %s, not a katello-ca-consumer package" % (url, package.nvr),
                        step=STEP, fix="check what the proxies publish at /pub")
    if package.carries(SCRIPT_PATH, installed_script):
        return ConsumerRpm(url, data, package, installed_script.decode("utf-8", "replace"))
    payload = read_payload(url, package, extract)
    script = payload.files.get(SCRIPT_PATH)
    if script is None:
        raise DataError("%s does not contain %s" % (package.nvr, SCRIPT_PATH), step=STEP)
    rpm = ConsumerRpm(url, data, package, script.decode("utf-8", "replace"))
    rpm.payload = payload.entries
    return rpm


def read_payload(url, package, extract):
    """The CpioReader that read the package's payload through extract: every entry (path,
    mode, size) and the script's bytes. At most rpmfile.PAYLOAD_LIMIT bytes are read: a larger
    payload (a decompression bomb) stops extract's command there."""
    reader = CpioReader(keep=(SCRIPT_PATH,))
    try:
        extract(reader.feed)
        reader.close()
    except PayloadTooLarge as exc:
        raise DataError("%s (%s) has a payload larger than %s unpacked; reading it was "
                        "stopped there" % (package.nvr, url, size(exc.limit)), step=STEP,
                        fix="a consumer package carries one small script: check what the "
                            "proxies publish at /pub (a tampered or foreign package)")
    except NotAnRpm as exc:
        raise DataError("cannot read the payload of %s: %s" % (package.nvr, exc), step=STEP,
                        fix="check what the proxies publish at /pub")
    return reader


def fetch(ctx, balancer, method, directory, pinned=None):
    """The consumer RPM the balancer serves, saved in directory (for rpm) and parsed; refused
    when pinned (a --ca-fingerprint) names another CA. The one download of the enrollment,
    repair and --remove."""
    import os
    url = "%s://%s%s" % (method, balancer, host.CONSUMER_RPM_PATH)
    data = download(url, ctx.timeout)
    path = os.path.join(directory, "consumer.rpm")
    with open(path, "wb") as f:
        f.write(data)

    def extract(consume):
        result = ctx.stream(["rpm2cpio", path], consume)
        if not result.ok:
            raise LbenrollError("rpm2cpio failed on %s: %s" % (url, ctx.runner.output(result)),
                                step=STEP, fix="install the rpm package (provides rpm2cpio)")

    # A repair finds this package installed: its script is read from the host, and rpm2cpio
    # runs only when the served package is another one.
    rpm = parse(url, data, extract, installed_script=_installed_script(ctx))
    rpm.path = path
    check_pin(rpm, pinned)
    return rpm


def _installed_script(ctx):
    try:
        return fileio.read_bytes(ctx, SCRIPT_PATH)
    except LbenrollError:  # unreadable here: the payload is unpacked instead
        return None


def check_pin(consumer, pinned):
    if pinned and consumer.fingerprint != pinned:
        raise ConfigError(
            "the CA in %s (answered by %s) has SHA-256 fingerprint %s, not the pinned %s" % (
                consumer.package.nvr, consumer.answering_proxy,
                pretty_fingerprint(consumer.fingerprint), pretty_fingerprint(pinned)),
            step=STEP, fix="if the Katello CA was really replaced, pin the new fingerprint; "
                           "otherwise find out what is answering as the balancer")
