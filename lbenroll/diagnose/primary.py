"""The packages one proxy's primary.xml lists: fetched, decompressed and parsed within bounds.

PROXY_METADATA asks for it only when two proxies' repomd.xml list primary files with different
checksums. Nothing is held whole: the answer is read in chunks, each chunk decompressed a
bounded piece at a time and fed to expat, and only the newest build of each name and arch is
kept. A decompression bomb stops at MAX_XML_BYTES, a slow proxy at the deadline, a document
type declaration (the only way to declare entities, so to expand a "billion laughs") at once, a
name, arch, version or release longer than any package's at MAX_FIELD and a tag or comment that
expat would have to hold whole at MAX_TOKEN.
"""
import bz2
import hashlib
import http.client
import lzma
import re
import time
import xml.parsers.expat
import zlib

from lbenroll.diagnose.fetch import failure
from lbenroll.probe import tls_probe
from lbenroll.rpmversion import evrcmp

COMMON_NS = "http://linux.duke.edu/metadata/common"
# The bounds of one primary.xml. A RHEL AppStream primary.xml is tens of megabytes unpacked;
# what is larger is not read to the end (the packages are then not compared, and that is said).
MAX_COMPRESSED_BYTES = 256 * 1024 * 1024
MAX_XML_BYTES = 1024 * 1024 * 1024
MAX_PACKAGES = 500000           # distinct name.arch pairs kept
# The longest name, arch, version or release kept. rpmbuild writes a package to
# %{ARCH}/%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}.rpm (rpm: macros.in, %_build_name_fmt, at
# a8f0192), one file name, which Linux limits to NAME_MAX, 255 bytes (include/uapi/linux/limits.h):
# no field of a package built so is longer, and real ones are under 100. What is longer is not a
# package name, and its text is not collected (a 16 KiB gzip unpacks to a 16 MiB <name>).
MAX_FIELD = 256                 # characters, which are never fewer than bytes
# The longest tag or comment: expat holds one whole until its end arrives. createrepo_c's
# longest are an <rpm:entry> or a <location> naming a path (PATH_MAX, 4096 bytes, the same
# limits.h); what is longer is no primary.xml, and a 1 GiB attribute would be held whole.
MAX_TOKEN = 64 * 1024           # bytes
# xz's decoder allocates the dictionary its header asks for, up to 1.5 GiB; xz -9 needs 65 MiB.
XZ_MEMLIMIT = 96 * 1024 * 1024
CHUNK = 64 * 1024               # bytes asked of the connection at a time
PIECE = 256 * 1024              # the most one decompression call may return
# The whole download and parse of one primary.xml may take this many times --timeout (which
# bounds each wait on the connection): 30 s at the default 5 s.
TIMEOUTS_PER_PRIMARY = 6

# Magic numbers (gzip RFC 1952, xz, bzip2, zstd RFC 8878).
GZIP, XZ, BZIP2, ZSTD = b"\x1f\x8b", b"\xfd7zXZ\x00", b"BZh", b"\x28\xb5\x2f\xfd"
# A location href as createrepo_c and Pulp write it ("repodata/<checksum>-primary.xml.gz"):
# relative, no "..", nothing that could change the request line.
SAFE_HREF = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._+-]*(/[A-Za-z0-9_][A-Za-z0-9._+-]*)*$")
HASHES = {"sha": "sha1", "sha1": "sha1", "sha224": "sha224", "sha256": "sha256",
          "sha384": "sha384", "sha512": "sha512", "md5": "md5"}


class Packages(object):
    """What one primary.xml lists: {(name, arch): newest (epoch, version, release)}."""

    def __init__(self, newest, count):
        self.newest = newest
        self.count = count

    def __repr__(self):
        return "Packages(%d packages, %d names)" % (self.count, len(self.newest))


class Unread(object):
    """Why the packages could not be read; broken: the proxy's own publication is inconsistent
    (its repomd.xml lists a primary.xml that it does not serve, or serves with other bytes),
    which breaks dnf there, unlike a limit or a compression this module cannot read."""

    def __init__(self, reason, broken=False):
        self.reason = reason
        self.broken = broken

    def __repr__(self):
        return "Unread(%r%s)" % (self.reason, ", broken" if self.broken else "")


class NotPrimary(ValueError):
    pass


def primary_path(repomd_path, href):
    """The path of the primary file whose repomd.xml is at repomd_path; None for an href that is
    not a plain relative path."""
    if not href or not SAFE_HREF.match(href) or ".." in href.split("/"):
        return None
    return repomd_path[:-len("repodata/repomd.xml")] + href


def fetch_packages(proxy, balancer, ca_pem, repo, publication, timeout):
    """Packages or Unread: the primary.xml that publication (proxy's repomd.xml of repo) lists."""
    checksum, href = publication.files.get("primary", (None, None))
    path = primary_path(repo.repomd_path, href)
    if path is None:
        return Unread("its repomd.xml lists no primary file with a plain relative location (%r)"
                      % href)
    deadline = time.monotonic() + TIMEOUTS_PER_PRIMARY * timeout
    expected = publication.primary_checksum
    probe = tls_probe(balancer, repo.port, ca_pem, timeout,
                      _exchange(balancer, path, expected, deadline), proxy.address,
                      repo.client_cert)
    if not probe.protocol_ok:
        return Unread(failure(probe, proxy.where(repo.port)))
    return probe.protocol_detail


def _exchange(host, path, expected, deadline):
    request = ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: lbenroll\r\nAccept: */*\r\n"
               "Connection: close\r\n\r\n" % (path, host)).encode("latin-1")

    def exchange(sock):
        sock.sendall(request)
        response = http.client.HTTPResponse(sock)
        try:
            response.begin()
            if response.status == 404:
                return True, Unread("its repomd.xml lists %s, which it answers with HTTP 404"
                                    % path, broken=True)
            if response.status != 200:
                return True, Unread("%s answered HTTP %d %s" % (path, response.status,
                                                                response.reason))
            return True, read_packages(response.read, expected, deadline, path)
        except (http.client.HTTPException, ValueError) as exc:
            return False, "no HTTP answer (%s)" % exc.__class__.__name__
        finally:
            response.close()
    return exchange


def read_packages(read, expected=None, deadline=None, name="primary.xml"):
    """Packages or Unread from read(n) (a response's read, or a file's): the compressed or plain
    primary.xml, verified against expected = (checksum type, checksum) when given."""
    digest = _hash(expected)
    chunks = _chunks(read, digest, deadline)
    kind = "compressed"
    try:
        first = next(chunks, b"")
        kind, pieces = _decompressed(first, chunks)
        if pieces is None:
            return Unread("%s is %s-compressed, which Python's standard library cannot read: "
                          "its packages are not compared" % (name, kind))
        newest, count = _parse(_bounded(pieces), name)
    except _Stop as exc:
        return Unread("%s: %s; its packages are not compared" % (name, exc))
    except (OSError, EOFError, zlib.error, lzma.LZMAError, NotPrimary) as exc:
        # bz2 raises OSError for data that is not bzip2. Not called broken: what dnf makes of
        # it is not known here.
        return Unread("%s is not a readable %s primary.xml (%s); its packages are not "
                      "compared" % (name, kind, exc))
    if digest is not None and digest.hexdigest() != expected[1].lower():
        return Unread("%s does not match the %s checksum its repomd.xml lists (%s)" % (
            name, expected[0], expected[1]), broken=True)
    return Packages(newest, count)


class _Stop(Exception):
    """A bound was reached."""


def _hash(expected):
    if not expected or not expected[1] or expected[0] not in HASHES:
        return None
    return hashlib.new(HASHES[expected[0]])


def _chunks(read, digest, deadline):
    total = 0
    while True:
        if deadline is not None and time.monotonic() > deadline:
            raise _Stop("not read within %d times --timeout" % TIMEOUTS_PER_PRIMARY)
        try:
            chunk = read(CHUNK)
        except (OSError, http.client.HTTPException) as exc:
            raise _Stop("the download broke off (%s)" % (
                getattr(exc, "strerror", None) or exc.__class__.__name__))
        if not chunk:
            return
        total += len(chunk)
        if total > MAX_COMPRESSED_BYTES:
            raise _Stop("larger than %d MiB" % (MAX_COMPRESSED_BYTES // (1024 * 1024)))
        if digest is not None:
            digest.update(chunk)
        yield chunk


def _decompressed(first, chunks):
    """(compression, generator of decompressed pieces), None for the pieces when the standard
    library cannot decompress it."""
    def all_chunks():
        yield first
        for chunk in chunks:
            yield chunk
    if first.startswith(ZSTD):
        return "zstd", None
    if first.startswith(GZIP):
        return "gzip", _gunzip(all_chunks())
    if first.startswith(XZ):
        return "xz", _unpack(all_chunks(), lambda: lzma.LZMADecompressor(
            memlimit=XZ_MEMLIMIT))
    if first.startswith(BZIP2):
        return "bzip2", _unpack(all_chunks(), bz2.BZ2Decompressor)
    return "uncompressed", all_chunks()


def _gunzip(chunks):
    """gzip members one after another, never more than PIECE bytes out of one call."""
    unpacker = zlib.decompressobj(16 + zlib.MAX_WBITS)
    for data in chunks:
        while True:
            if unpacker.eof:
                data = unpacker.unused_data + data
                if not data:
                    break
                unpacker = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out = unpacker.decompress(data, PIECE)
            data = unpacker.unconsumed_tail
            if out:
                yield out
            # A full piece may leave output inside zlib: ask again even without input.
            if not data and len(out) < PIECE and not unpacker.eof:
                break
    if not unpacker.eof:
        raise EOFError("the compressed stream ends early")


def _unpack(chunks, make):
    """xz or bzip2 streams one after another, never more than PIECE bytes out of one call."""
    unpacker = make()
    for data in chunks:
        while True:
            if unpacker.eof:
                data = unpacker.unused_data + data
                if not data:
                    break
                unpacker = make()
            out = unpacker.decompress(data, PIECE)
            data = b""
            if out:
                yield out
            if not unpacker.eof and unpacker.needs_input:
                break
    if not unpacker.eof:
        raise EOFError("the compressed stream ends early")


def _bounded(pieces):
    total = 0
    for piece in pieces:
        total += len(piece)
        if total > MAX_XML_BYTES:
            raise _Stop("unpacks to more than %d MiB" % (MAX_XML_BYTES // (1024 * 1024)))
        yield piece


def _refuse_doctype(*args):
    # primary.xml has no document type; one could declare entities that expand a few bytes
    # into gigabytes (expat before 2.4 has no limit on that) or name external files.
    raise NotPrimary("it has a document type declaration")


def _parse(pieces, name):
    """({(name, arch): newest (epoch, version, release)}, number of packages) from the pieces."""
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    state = _PrimaryReader()
    parser.StartElementHandler = state.start
    parser.EndElementHandler = state.end
    parser.CharacterDataHandler = state.text
    fed = 0
    try:
        for piece in pieces:
            parser.Parse(piece, False)
            fed += len(piece)
            # Between calls expat's position is just past its last event: what it holds beyond
            # is one unfinished tag or comment (text is handed over as it comes).
            if fed - max(parser.CurrentByteIndex, 0) > MAX_TOKEN:
                raise NotPrimary("a tag or comment longer than %d KiB" % (MAX_TOKEN // 1024))
        parser.Parse(b"", True)
    except xml.parsers.expat.ExpatError as exc:
        raise NotPrimary("not XML: %s" % exc)
    if not state.root_seen:
        raise NotPrimary("empty")
    return state.newest, state.count


class _PrimaryReader(object):
    """expat's handlers: the name, arch and version of each <package>."""

    def __init__(self):
        self.root_seen = False
        self.depth = 0
        self.newest = {}
        self.count = 0
        self.package = None     # {"name", "arch", "evr"} of the package being read
        self.field = None       # "name" or "arch" while their text is read
        self.text_parts = []
        self.text_length = 0    # of text_parts, which never exceeds MAX_FIELD

    def start(self, tag, attributes):
        self.depth += 1
        if self.depth == 1:
            if tag != COMMON_NS + " metadata":
                raise NotPrimary("its root element is %s, not <metadata>" % tag.split(" ")[-1])
            self.root_seen = True
        elif self.depth == 2 and tag == COMMON_NS + " package":
            self.package = {}
        elif self.depth == 3 and self.package is not None:
            if tag in (COMMON_NS + " name", COMMON_NS + " arch"):
                self.field, self.text_parts, self.text_length = tag.split(" ")[1], [], 0
            elif tag == COMMON_NS + " version":
                epoch = attributes.get("epoch") or "0"
                if not epoch.isdigit() or len(epoch) > 10:
                    raise NotPrimary("a package has the epoch %r" % epoch[:20])
                for key in ("ver", "rel"):
                    if len(attributes.get(key) or "") > MAX_FIELD:
                        raise NotPrimary("a <version> whose %s is longer than %d characters"
                                         % (key, MAX_FIELD))
                self.package["evr"] = (epoch, attributes.get("ver") or "",
                                       attributes.get("rel") or "")

    def text(self, data):
        if self.field is not None:
            self.text_length += len(data)
            if self.text_length > MAX_FIELD:
                raise NotPrimary("a <%s> longer than %d characters" % (self.field, MAX_FIELD))
            self.text_parts.append(data)

    def end(self, tag):
        if self.depth == 3 and self.field is not None:
            self.package[self.field] = "".join(self.text_parts).strip()
            self.field = None
        elif self.depth == 2 and self.package is not None:
            self._keep(self.package)
            self.package = None
        self.depth -= 1

    def _keep(self, package):
        if not package.get("name") or "evr" not in package:
            raise NotPrimary("a <package> without a name or a version")
        key = (package["name"], package.get("arch") or "")
        self.count += 1
        known = self.newest.get(key)
        if known is None:
            if len(self.newest) >= MAX_PACKAGES:
                raise _Stop("more than %d package names" % MAX_PACKAGES)
            self.newest[key] = package["evr"]
        elif evrcmp(package["evr"], known) > 0:
            self.newest[key] = package["evr"]
