"""The katello-ca-consumer RPM: download it through the balancer, validate it, read its CA."""
import hashlib
import re
import ssl

from lbenroll import fileio, host, webget
from lbenroll.errors import ConfigError, DataError, LbenrollError, UnavailableError
from lbenroll.rpmfile import (SENSE_EQUAL, SENSE_GREATER, SENSE_LESS, SENSE_RPMLIB, CpioReader,
                              NotAnRpm, PayloadTooLarge, RpmPackage, dependency_text,
                              is_plain_file, size)

STEP = "FETCH_CONSUMER_RPM"
SCRIPT_PATH = "/usr/bin/katello-rhsm-consumer"
MAX_SIZE = 16 * 1024 * 1024  # the real package is a few kB; anything huge is not it
# The script with both CAs is ~10 kB; the header's size for it above this is not Katello's.
MAX_SCRIPT_SIZE = 1024 * 1024
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
# Where a Katello server and every proxy publish the server CA next to the consumer RPM
# (docs/katello-client-facts.md §2.1): the anchor of a verified download when only a
# --ca-fingerprint is known.
SERVER_CA_PUB_PATH = "/pub/katello-server-ca.crt"


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


def trusted_cas(ctx):
    """Every Katello CA this host already trusts, each once: the server and default CA files in
    /etc/rhsm/ca and every certificate in the installed consumer package's script."""
    pems = []
    for path in (host.KATELLO_SERVER_CA, host.KATELLO_DEFAULT_CA):
        data = fileio.read_bytes(ctx, path)
        if data is not None:
            pems += PEM_RX.findall(data.decode("utf-8", "replace"))
    script = _installed_script(ctx)
    if script is not None:
        pems += PEM_RX.findall(script.decode("utf-8", "replace"))
    return _unique(pem + "\n" for pem in pems)


def _unique(pems):
    """The PEMs that OpenSSL loads, each certificate once, in their order: a damaged CA file is
    no anchor (and no reason to refuse every run)."""
    seen, unique = set(), []
    for pem in pems:
        try:
            digest = fingerprint(pem)
            ssl.create_default_context(cadata=pem)
        except (ssl.SSLError, ValueError):  # not a certificate anything could trust
            continue
        if digest not in seen:
            seen.add(digest)
            unique.append(pem)
    return unique


def script_cas(script):
    """[(role, PEM)] of every certificate the script would make the host trust, each once: the
    server CA, the default CA, then any other certificate anywhere in its text."""
    found = [("server CA", _ca_block(script, "KATELLO_SERVER_CA_DATA")),
             ("default CA", _ca_block(script, "KATELLO_DEFAULT_CA_DATA"))]
    found += [("certificate", pem + "\n") for pem in PEM_RX.findall(script)]
    roles, seen = [], set()
    for role, pem in found:
        if pem is None:
            continue
        try:
            digest = fingerprint(pem)
        except ValueError:
            raise DataError("%s holds a certificate that is not valid PEM" % SCRIPT_PATH,
                            step=STEP, fix="check the consumer RPM the proxies publish in /pub")
        if digest not in seen:
            seen.add(digest)
            roles.append((role, pem))
    return roles


class Trust(object):
    """Where the consumer RPM's CAs may come from: --ca-fingerprint pins, the certificates of
    --ca-file, the Katello CAs the host already trusts, and whether --rotate-ca allows another.
    repair: a repair run, which never installs from an unverified download."""

    def __init__(self, pins=(), given=(), trusted=(), rotate=False, repair=False):
        self.pins = list(pins)
        self.given = list(given)
        self.trusted = list(trusted)
        self.rotate = rotate
        self.repair = repair

    @classmethod
    def of(cls, ctx, options):
        return cls(pins=options.ca_fingerprint or (), given=options.ca_file_pems or (),
                   trusted=trusted_cas(ctx), rotate=options.rotate_ca,
                   repair=bool(options.recorded_in))

    @property
    def anchors(self):
        """The CAs a download can be verified against without asking the network. With
        --rotate-ca only the new ones given: the balancer already presents the new CA's
        certificate."""
        return _unique(self.given + ([] if self.rotate else self.trusted))


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
        self.cas = script_cas(script)
        self.layout = Layout.of_script(script)
        self.path = None  # where FETCH_CONSUMER_RPM saved the package for rpm
        self.verified = False  # fetched over HTTPS verified against a known Katello CA
        self.rotated = []  # [(role, fingerprint)] of CAs --rotate-ca let replace trusted ones
        # The payload's entries (rpmfile.CpioEntry: path, mode, size) when it was unpacked;
        # None when the script was taken from the host (the header's digest named it).
        self.payload = None

    @property
    def rhsm_port(self):
        return self.layout.port


def _ca_block(script, variable):
    match = re.search(CA_BLOCK_RX % variable, script, re.S)
    return first_pem(match.group(1)) if match else None


def download(url, timeout, cadata=None):
    """GET the consumer RPM (or the published server CA), with the standard library (webget.py).

    cadata (PEM text): the Katello CAs the answer must be verified against, the host name in
    the URL included; None only at first contact, where nothing could verify it (the CA is
    inside the package): then nothing is verified, and trust comes from --ca-fingerprint,
    --ca-file or the printed fingerprint, and the balancer's certificate chaining to the CA.
    """
    try:
        tls = webget.context(cadata)
    except webget.BadCa as exc:
        raise ConfigError(
            "the Katello CA to verify %s with does not load: %s" % (url, exc.reason), step=STEP,
            fix="check /etc/rhsm/ca/katello-*.pem and --ca-file; a damaged CA file is "
                "put right by giving the CA with --ca-file")
    try:
        return webget.get(url, timeout, tls, MAX_SIZE)
    except webget.TooLarge:
        raise DataError("%s is larger than %d bytes; not a consumer RPM" % (url, MAX_SIZE),
                        step=STEP)
    except webget.GetError as exc:
        if exc.status is not None:
            raise UnavailableError(
                "%s answered HTTP %s" % (url, exc.status), step=STEP,
                fix="check that every proxy publishes /pub/katello-ca-consumer-latest.noarch.rpm")
        if exc.unverified:
            raise ConfigError(
                "%s did not prove to be this Katello: %s; this host trusts another Katello CA "
                "(or --ca-file gives another), and nothing was changed" % (url, exc.reason),
                step=STEP,
                fix="check that --server names this host's balancer and that its certificate "
                    "carries that name; if the Katello CA was really replaced, run again with "
                    "--rotate-ca --ca-fingerprint SHA256 (each new CA) or --rotate-ca --ca-file "
                    "PATH")
        raise UnavailableError(
            "cannot download %s: %s" % (url, exc.reason), step=STEP,
            fix="check that the balancer is up, resolves, and forwards this port to the proxies")


# The characters rpmbuild accepts in a package's name and in its version and release (rpm:
# build/rpmbuild_internal.h ALLOWED_CHARS_NAME, ALLOWED_CHARS_VERREL, checked by
# build/parsePreamble.c rpmCharCheck; letters and digits besides). A header is bytes from the
# network: one with anything else (a control character, a terminal escape, a space) is not
# shown as it is, nor used as the answering proxy's name.
_NAME = re.compile(r"[A-Za-z0-9_%][A-Za-z0-9._+%{}-]*\Z")
_VERREL = re.compile(r"[A-Za-z0-9._+%{}~^]+\Z")


def _check_names(url, package):
    bad = [(what, value) for what, value, rule in (
        ("name", package.name, _NAME), ("version", package.version, _VERREL),
        ("release", package.release, _VERREL)) if value is None or not rule.match(value)]
    if bad:
        raise DataError("%s is not a usable RPM: its header's package name, version or "
                        "release is missing or has characters rpm does not allow (%s)" % (
                            url, ", ".join("%s %s" % (what, "missing" if value is None
                                                      else ascii(value))
                                           for what, value in bad)),
                        step=STEP, fix="no package rpmbuild makes has such a header: check what "
                                       "the balancer and each proxy serve at /pub")


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
    _check_names(url, package)
    if not package.name.startswith(host.CONSUMER_PACKAGE_PREFIX):
        raise DataError("%s is %s, not a katello-ca-consumer package" % (url, package.nvr),
                        step=STEP, fix="check what the proxies publish at /pub")
    check_header(url, package)
    if package.carries(SCRIPT_PATH, installed_script):
        return ConsumerRpm(url, data, package, installed_script.decode("utf-8", "replace"))
    payload = read_payload(url, package, extract)
    script = payload.files.get(SCRIPT_PATH)
    if script is None:
        raise DataError("%s does not contain %s" % (package.nvr, SCRIPT_PATH), step=STEP)
    if not package.carries(SCRIPT_PATH, script):
        # rpm writes only bytes whose digest is the header's (rpm: lib/fsm.c expandRegular ->
        # lib/rpmfi.c rpmfiArchiveReadToFilePsm, RPMERR_DIGEST_MISMATCH): with this check the
        # script rpm installs is the one read here.
        _refuse(url, package, ["the header's digest of %s is not that of the script in its "
                               "payload" % SCRIPT_PATH])
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


def check_header(url, package):
    """The payload rule: rpm may install the package only when its header lists exactly what
    Katello's consumer package ships, one plain file /usr/bin/katello-rhsm-consumer, and no
    trigger of any kind (puppet-foreman_proxy_content:
    lib/puppet/provider/bootstrap_rpm/bootstrap_rpm.rb, its spec's %files and scriptlets).
    Anything else is a DataError naming what is extra; nothing is installed."""
    problems = []
    extra = sorted(_shown(entry.path) for entry in package.files if entry.path != SCRIPT_PATH)
    if extra:
        problems.append("files besides %s: %s" % (SCRIPT_PATH, ", ".join(extra)))
    scripts = [entry for entry in package.files if entry.path == SCRIPT_PATH]
    if not scripts:
        problems.append("its header does not list %s" % SCRIPT_PATH)
    for entry in scripts[:1]:
        if not is_plain_file(entry):
            problems.append("%s is not a plain executable file (mode %s)" % (
                SCRIPT_PATH, "unknown" if entry.mode is None else "%o" % entry.mode))
        if (entry.user, entry.group) != ("root", "root"):
            problems.append("%s is owned by %s:%s, not root:root" % (
                SCRIPT_PATH, _shown(entry.user), _shown(entry.group)))
        if entry.size is None or entry.size > MAX_SCRIPT_SIZE:
            problems.append("%s is %s bytes, not a script of at most %d" % (
                SCRIPT_PATH, "an unknown number of" if entry.size is None else entry.size,
                MAX_SCRIPT_SIZE))
        if entry.linkto or entry.caps:
            problems.append("%s carries a link target or file capabilities" % SCRIPT_PATH)
    if len(scripts) > 1:
        problems.append("%s is listed %d times" % (SCRIPT_PATH, len(scripts)))
    if package.trigger_tags:
        problems.append("trigger scriptlets (%s)" % ", ".join(package.trigger_tags))
    if problems:
        _refuse(url, package, problems)
    check_dependencies(url, package)


# The dependencies Katello's consumer package has (docs/katello-client-facts.md, "The consumer
# RPM's dependencies"): its spec's one `Requires: subscription-manager`, the shell its %post and
# %postun run in and the one its script's #!/bin/bash names (rpmbuild adds those), and rpmlib()
# features. rpm checks a requirement flagged RPMSENSE_RPMLIB against its own features only
# (rpm: lib/depends.cc unsatisfiedDepend), so it names no package; rpmbuild flags every
# "rpmlib(" requirement so (build/reqprov.cc addReqProv), and one without the flag (a header
# with no REQUIREFLAGS) is not taken. Each other one is unversioned: a versioned requirement on
# an installed package would hold that package back from its updates.
REQUIRED_PACKAGES = ("subscription-manager",)
REQUIRED_SHELLS = ("/bin/sh", "/usr/bin/sh", "/bin/bash", "/usr/bin/bash")
# What each refused dependency kind would do, for the message.
_DEPENDENCY_HARM = {
    "Obsoletes": "rpm would erase the installed packages it names, --noscripts or not",
    "Conflicts": "rpm and dnf would refuse to install or update the packages it names",
    "Provides": "it would stand in for packages that are not there",
    "Requires": "it would hold packages at a version or need packages Katello's does not",
}


def check_dependencies(url, package):
    """The dependency rule: a consumer package may provide only its own name and require only
    what Katello's does (REQUIRED_PACKAGES, REQUIRED_SHELLS, rpmlib() features, unversioned),
    and it has no Obsoletes, Conflicts, weak dependencies or OrderWithRequires. A package served
    by a compromised proxy, or by anyone at first contact, that obsoletes openssh-server would
    have rpm erase it (--noscripts stops scriptlets, not erasures). Anything else is a
    DataError naming each tag and value; nothing is installed."""
    problems, options = [], []
    for kind, dependencies in package.dependencies.items():
        bad = [dependency for dependency in dependencies if not _allowed(kind, package, dependency)]
        if bad:
            listed = ", ".join(_shown(dependency_text(dependency)) for dependency in bad)
        elif kind not in ("Provides", "Requires"):  # its tags are there, with no names
            listed = "flags or versions without names"
        else:
            continue
        harm = _DEPENDENCY_HARM.get(kind, "Katello's consumer package has none")
        problems.append("%s: %s (%s)" % (kind, listed, harm))
        option = "--%s" % kind.split()[0].lower()
        if kind != "OrderWithRequires" and option not in options:
            options.append(option)
    if problems:
        raise DataError(
            "%s from %s declares dependencies Katello's consumer package does not have: %s; "
            "nothing was installed" % (package.nvr, url, "; ".join(problems)), step=STEP,
            fix="check the consumer RPM on the Smart Proxies: `rpm -qp %s %s` (Katello's "
                "provides only its own name and requires only subscription-manager, a shell "
                "and rpmlib features); find out which proxy, or what answering as the "
                "balancer, serves this one" % (" ".join(options or ["--requires"]), url))


def _allowed(kind, package, dependency):
    if kind == "Provides":
        # rpmbuild adds config(<name>) for a package with %config files (build/files.cc): a
        # consumer package built that way (Katello's has none) stands in for nothing else.
        return dependency.name in (package.name, "config(%s)" % package.name)
    if kind != "Requires":
        return False
    if dependency.name.startswith("rpmlib("):
        return bool(dependency.flags & SENSE_RPMLIB)
    return (dependency.name in REQUIRED_PACKAGES + REQUIRED_SHELLS and not dependency.version
            and not dependency.flags & (SENSE_LESS | SENSE_GREATER | SENSE_EQUAL))


def _shown(text):
    """A string from the header as a message may show it: as it is when it holds only printable
    characters, else escaped (ascii), so that no control character reaches a terminal or log."""
    return text if text is not None and text.isprintable() else ascii(text)


def _refuse(url, package, problems):
    raise DataError(
        "%s from %s is not what Katello's consumer package ships (the one file %s): %s; nothing "
        "was installed" % (package.nvr, url, SCRIPT_PATH, "; ".join(problems)), step=STEP,
        fix="find out what answers as the balancer or which proxy serves this package; a "
            "genuine Katello consumer RPM holds only its configuration script")


def fetch(ctx, balancer, method, directory, trust=None):
    """The consumer RPM the balancer serves, saved in directory (for rpm) and parsed; refused
    unless every CA in it is one trust allows (check_trust). The one download of the
    enrollment, repair and --remove.

    With a Katello CA known (the host trusts one, --ca-file gives one, or a --ca-fingerprint
    pins the server CA the balancer publishes) the package comes over HTTPS from the balancer
    name, verified against it; method (--download-method) is used only at first contact, and
    a repair never installs from an unverified download."""
    import os
    trust = trust or Trust()
    anchors = trust.anchors
    if not anchors and trust.pins:
        anchors = [published_server_ca(ctx, balancer, method, trust.pins)]
    if anchors:
        url = "https://%s%s" % (balancer, host.CONSUMER_RPM_PATH)
    elif trust.repair:
        raise ConfigError(
            "this host trusts no Katello CA and the record pins none: a repair installs nothing "
            "downloaded without verification", step=STEP,
            fix="enroll again with --ca-file PATH or --ca-fingerprint SHA256 (see the README, "
                "\"First contact\")")
    else:
        url = "%s://%s%s" % (method, balancer, host.CONSUMER_RPM_PATH)
    data = download(url, ctx.timeout, cadata="".join(anchors) if anchors else None)
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
    rpm.verified = bool(anchors)
    rpm.rotated = check_trust(rpm, trust)
    return rpm


def published_server_ca(ctx, balancer, method, pins):
    """The server CA the balancer publishes in /pub, when a --ca-fingerprint pins it: the anchor
    of the verified download. Its own download cannot be verified; the pin is its check."""
    url = "%s://%s%s" % (method, balancer, SERVER_CA_PUB_PATH)
    pem = first_pem(download(url, ctx.timeout).decode("ascii", "replace"))
    served = _fingerprint_or_none(pem)
    if served not in pins:
        raise ConfigError(
            "%s is %s, not a CA pinned by --ca-fingerprint (%s); nothing was changed" % (
                url, "SHA-256 %s" % pretty_fingerprint(served) if served else "no certificate",
                ", ".join(pretty_fingerprint(pin) for pin in pins)), step=STEP,
            fix="check the pinned fingerprint against the Katello server's "
                "/etc/pki/katello/certs/katello-server-ca.crt, or give the CA with --ca-file")
    return pem


def _fingerprint_or_none(pem):
    try:
        return fingerprint(pem) if pem else None
    except ValueError:
        return None


def _installed_script(ctx):
    try:
        return fileio.read_bytes(ctx, SCRIPT_PATH)
    except LbenrollError:  # unreadable here: the payload is unpacked instead
        return None


def check_trust(consumer, trust):
    """A pin covers every CA: each certificate the package would make the host trust must be
    pinned (--ca-fingerprint), in --ca-file, or one the host already trusts; and one the host
    does not trust yet, on a host that trusts a Katello CA, needs --rotate-ca as well. At first
    contact with nothing pinned or given, every CA is taken (and its fingerprint printed).
    Raises ConfigError naming each fingerprint and how to pin it; returns [(role, fingerprint)]
    of the CAs --rotate-ca lets replace trusted ones."""
    trusted = {fingerprint(pem) for pem in trust.trusted}
    allowed = set(trust.pins) | {fingerprint(pem) for pem in trust.given} | trusted
    if not allowed:
        return []
    cas = [(role, fingerprint(pem)) for role, pem in consumer.cas]
    uncovered = [(role, digest) for role, digest in cas if digest not in allowed]
    new = [(role, digest) for role, digest in cas if digest not in trusted]
    where = "%s (answered by %s)" % (consumer.package.nvr, consumer.answering_proxy)
    pins = " ".join("--ca-fingerprint %s" % digest for _, digest in new)
    if uncovered:
        listed = "; ".join("%s SHA-256 %s" % (role, pretty_fingerprint(digest))
                           for role, digest in uncovered)
        if trust.pins or trust.given:
            raise ConfigError(
                "%s carries CAs that are neither pinned nor in --ca-file: %s; nothing was "
                "changed" % (where, listed), step=STEP,
                fix="if they are really this Katello's, pin each (%s) or put them in "
                    "--ca-file; otherwise find out what is answering as the balancer" % " ".join(
                        "--ca-fingerprint %s" % digest for _, digest in uncovered))
        raise ConfigError(
            "this host trusts another Katello CA than %s carries: %s; the balancer leads to "
            "another Katello, and nothing was changed" % (where, listed), step=STEP,
            fix="check that --server names this host's balancer; if the Katello CA was really "
                "replaced, run again with --rotate-ca %s" % pins)
    if trusted and new and not trust.rotate:
        raise ConfigError(
            "this host trusts another Katello CA than %s carries (%s, pinned or given); another "
            "CA is taken only with --rotate-ca, and nothing was changed" % (
                where, "; ".join("%s SHA-256 %s" % (role, pretty_fingerprint(digest))
                                 for role, digest in new)), step=STEP,
            fix="if the Katello CA was really replaced, run again with --rotate-ca %s" % pins)
    return new if trusted else []


# -- the consumer certificate: does the registration stand without asking the server? ------------

def consumer_cert_problem(ctx, now=None):
    """Why the host's consumer certificate (/etc/pki/consumer/cert.pem, the identity
    `subscription-manager register` wrote) cannot stand for its registration, or None.

    The one rule of a run on a registered host (README "Host states and convergence"): the
    registration is checked with the server (`subscription-manager identity`) only with --force
    or when this says why. It reads the certificate locally: its notAfter, and whether its issuer
    is the subject of a Katello CA the host trusts (the CA Candlepin signs identities with is
    Katello's; docs/katello-client-facts.md). The signature is not verified: the standard
    library cannot, and a forged certificate is refused by the server at its first use.
    """
    data = fileio.read_bytes(ctx, host.CONSUMER_CERT)
    if data is None:
        return "there is no %s" % host.CONSUMER_CERT
    pem = first_pem(data.decode("utf-8", "replace"))
    try:
        issuer, not_after = _issuer_and_not_after(ssl.PEM_cert_to_DER_cert(pem or ""))
    except ValueError:
        return "%s is not a certificate" % host.CONSUMER_CERT
    if not_after <= (now if now is not None else _utc_now()):
        return "%s expired on %s UTC" % (host.CONSUMER_CERT, not_after.replace(" ", "T"))
    subjects = set()
    for ca in trusted_cas(ctx):
        try:
            subjects.add(_subject(ssl.PEM_cert_to_DER_cert(ca)))
        except ValueError:
            continue
    if issuer not in subjects:
        return "%s is not issued by a Katello CA this host trusts" % host.CONSUMER_CERT
    return None


def _utc_now():
    import time
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


def _der(data, offset):
    """(tag, start of the content, end of the content) of the DER element at offset."""
    if offset + 2 > len(data):
        raise ValueError("truncated DER")
    tag, length, start = data[offset], data[offset + 1], offset + 2
    if length & 0x80:
        count = length & 0x7F
        if not 0 < count <= 4 or start + count > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[start:start + count], "big")
        start += count
    if start + length > len(data):
        raise ValueError("truncated DER")
    return tag, start, start + length


def _tbs_fields(der):
    """The DER elements (tag, whole bytes, content bytes) of a certificate's TBSCertificate."""
    tag, start, end = _der(der, 0)
    tag, start, end = _der(der, start)  # tbsCertificate
    if tag != 0x30:
        raise ValueError("not a certificate")
    fields = []
    while start < end:
        field_tag, content, field_end = _der(der, start)
        fields.append((field_tag, der[start:field_end], der[content:field_end]))
        start = field_end
    if fields and fields[0][0] == 0xA0:  # [0] version
        fields = fields[1:]
    if len(fields) < 5:
        raise ValueError("not a certificate")
    return fields  # serial, signature, issuer, validity, subject, ...


def _subject(der):
    return _tbs_fields(der)[4][1]


def _issuer_and_not_after(der):
    """(the issuer Name's DER bytes, notAfter as 'YYYY-MM-DD HH:MM:SS' UTC) (RFC 5280 4.1)."""
    fields = _tbs_fields(der)
    validity = fields[3][2]
    _tag, _start, end = _der(validity, 0)  # notBefore
    tag, start, end = _der(validity, end)  # notAfter
    text = validity[start:end].decode("ascii")
    if tag == 0x17 and len(text) == 13:  # UTCTime YYMMDDHHMMSSZ: 50-99 is 19xx (RFC 5280)
        text = ("19" if int(text[:2]) >= 50 else "20") + text
    elif tag != 0x18 or len(text) != 15:  # GeneralizedTime YYYYMMDDHHMMSSZ
        raise ValueError("bad validity")
    if not text[:14].isdigit() or text[14] != "Z":
        raise ValueError("bad validity")
    return fields[2][1], "%s-%s-%s %s:%s:%s" % (text[:4], text[4:6], text[6:8], text[8:10],
                                                text[10:12], text[12:14])
