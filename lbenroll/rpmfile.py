"""Read a downloaded RPM without installing it: lead, headers, and the files of its cpio payload.

Every byte here came from the network. Whatever they are, reading them ends in a package or in
NotAnRpm: counts and sizes are checked against limits before anything is allocated, and the
payload is read piece by piece with a bound (CpioReader), never held whole.
"""
import collections
import hashlib
import re
import stat
import struct

LEAD_MAGIC = b"\xed\xab\xee\xdb"
HEADER_MAGIC = b"\x8e\xad\xe8\x01"
LEAD_SIZE = 96

# Header tags (rpm: lib/rpmtag.h).
TAG_NAME, TAG_VERSION, TAG_RELEASE = 1000, 1001, 1002
TAG_FILEDIGESTS, TAG_DIRINDEXES, TAG_BASENAMES, TAG_DIRNAMES = 1035, 1116, 1117, 1118
TAG_FILEDIGESTALGO = 5011
SIGTAG_SIZE = 1000  # header + payload size, in the signature header
# The region tags (HEADERIMAGE, HEADERSIGNATURES, HEADERIMMUTABLE): their data is the region's
# trailer at the end of the store, outside the order the other entries keep.
REGION_TAGS = (61, 62, 63)
# Data types (rpm: include/rpm/rpmtag.h rpmTagType_e).
(TYPE_NULL, TYPE_CHAR, TYPE_INT8, TYPE_INT16, TYPE_INT32, TYPE_INT64, TYPE_STRING, TYPE_BIN,
 TYPE_STRING_ARRAY, TYPE_I18NSTRING) = range(10)
_INTEGER_FORMATS = {TYPE_CHAR: "B", TYPE_INT8: "B", TYPE_INT16: "H", TYPE_INT32: "I",
                    TYPE_INT64: "Q"}
# FILEDIGESTALGO values (OpenPGP hash algorithm numbers, rpm: rpmio/rpmpgp.h pgpHashAlgo);
# without the tag, MD5 (rpm: lib/rpmfi.c).
DIGEST_ALGORITHMS = {1: "md5", 2: "sha1", 8: "sha256", 9: "sha384", 10: "sha512", 11: "sha224"}

# Limits checked before anything is allocated. rpm itself refuses more than 65535 index
# entries (lib/header_internal.h hdrchkTags). Its data limit is 16 MB for any package
# (hdrchkData); a consumer package's header holds a few kB (names, a short %post), so 1 MiB is
# hundreds of times that and keeps the decoded values of a hostile header to tens of MB.
MAX_INDEX_ENTRIES = 0xffff
MAX_HEADER_STORE = 1 << 20
# The decompressed payload (rpm2cpio's cpio archive). A consumer package carries one shell
# script: the default and server CAs (a custom server CA may be a chain), optionally a repomd
# GPG key, and a few hundred lines of shell (puppet-certs: manifests/rhsm_reconfigure_script.pp
# and templates/rhsm-katello-reconfigure.erb; today puppet-foreman_proxy_content's
# rhsm_reconfigure_script provider). That is 5 to a few tens of kB (the lab's: 4.7 kB); 4 MiB is
# a hundred times the largest, and a decompression bomb stops within a few MB of memory.
PAYLOAD_LIMIT = 4 << 20
CPIO_HEADER_SIZE = 110
CPIO_MAGICS = (b"070701", b"070702")  # newc, and newc with checksums (rpm writes newc)
CPIO_TRAILER = "TRAILER!!!"
MAX_CPIO_NAME = 4096  # PATH_MAX: rpm refuses longer file names
_CPIO_FIELDS = re.compile(rb"[0-9A-Fa-f]{104}\Z")
S_IFMT, S_IFREG = 0o170000, 0o100000

# One entry of a payload: its absolute path, mode (type and permission bits) and size.
CpioEntry = collections.namedtuple("CpioEntry", "path mode size")

# What rpm installs of each file (rpm: lib/rpmtag.h), for the consumer RPM's payload rule
# (consumer.check_payload).
TAG_OLDFILENAMES, TAG_FILEMODES, TAG_FILELINKTOS, TAG_FILEFLAGS = 1027, 1030, 1036, 1037
TAG_FILEUSERNAME, TAG_FILEGROUPNAME, TAG_FILECAPS = 1039, 1040, 5010
TAG_FILESIZES, TAG_LONGFILESIZES = 1028, 5008
# Scriptlets that other packages' events run (rpm: lib/rpmtag.h): %trigger*, %filetrigger*,
# %transfiletrigger*. A consumer package has none (puppet-foreman_proxy_content:
# lib/puppet/provider/bootstrap_rpm/bootstrap_rpm.rb writes %post and %postun only).
TRIGGER_TAGS = {1065: "%trigger scripts", 1066: "%trigger conditions",
                5066: "%filetrigger scripts", 5069: "%filetrigger conditions",
                5076: "%transfiletrigger scripts", 5079: "%transfiletrigger conditions"}

# The dependency sets of a header (rpm: include/rpm/rpmtag.h, checked at a8f0192): what rpm -qp
# calls each, and its NAME, FLAGS and VERSION tags. OrderWithRequires and the pre-4.12 weak
# dependency tags are listed too: rpm still reads them, and a consumer package carries none.
DEPENDENCY_TAGS = collections.OrderedDict([
    ("Provides", (1047, 1112, 1113)), ("Requires", (1049, 1048, 1050)),
    ("Conflicts", (1054, 1053, 1055)), ("Obsoletes", (1090, 1114, 1115)),
    ("Recommends", (5046, 5048, 5047)), ("Suggests", (5049, 5051, 5050)),
    ("Supplements", (5052, 5054, 5053)), ("Enhances", (5055, 5057, 5056)),
    ("OrderWithRequires", (5035, 5037, 5036)),
    ("Suggests (pre-4.12 tags)", (1156, 1158, 1157)),
    ("Enhances (pre-4.12 tags)", (1159, 1161, 1160))])
# A dependency's sense flags (rpm: include/rpm/rpmds.h rpmsenseFlags_e): the comparison bits,
# and the one marking an rpmlib(feature) requirement.
SENSE_LESS, SENSE_GREATER, SENSE_EQUAL, SENSE_RPMLIB = 1 << 1, 1 << 2, 1 << 3, 1 << 24
# One dependency: its name, sense flags (0 when the header gives none) and version ("" if none).
Dependency = collections.namedtuple("Dependency", "name flags version")

# One file of the header's list: its path, st_mode, owner, group, link target, digest, caps.
FileEntry = collections.namedtuple("FileEntry", "path mode user group linkto digest caps size")
# The size of a file listed only in LONGFILESIZES (64-bit: 4 GiB or more).
HUGE = 1 << 32


class NotAnRpm(ValueError):
    """The bytes are not a (complete) RPM package; the message says what was found."""


class PayloadTooLarge(NotAnRpm):
    """The payload is larger than the reader's limit (a decompression bomb, or not ours)."""

    def __init__(self, limit):
        super(PayloadTooLarge, self).__init__(
            "payload larger than %s unpacked; a consumer package's is a few kB" % size(limit))
        self.limit = limit


def size(count):
    """A byte count for a message: "4 MiB", "64 KiB", "100 bytes"."""
    for unit, shift in (("MiB", 20), ("KiB", 10)):
        if count >= 1 << shift and not count % (1 << shift):
            return "%d %s" % (count >> shift, unit)
    return "%d bytes" % count


def _first_bytes(data):
    head = data[:40].decode("latin-1")
    printable = "".join(c if 32 <= ord(c) < 127 else "." for c in head)
    return "starts with %r" % printable


def _strings(store, offset, count, where):
    """count NUL-terminated strings from store[offset:], decoded; NotAnRpm if they do not fit.
    Returns (strings, offset just past the last)."""
    strings = []
    for _ in range(count):
        nul = store.find(b"\0", offset)
        if nul < 0:
            raise NotAnRpm("RPM header %s: a string runs past the header's data" % where)
        strings.append(store[offset:nul].decode("utf-8", "replace"))
        offset = nul + 1
    return strings, offset


def _value(store, typ, offset, count, where):
    """(the decoded value of one index entry, offset just past its data).

    STRING and I18NSTRING give a str (I18NSTRING: its first, untranslated string), STRING_ARRAY
    a list of str, the integer types a tuple of int, BIN bytes, NULL None.
    """
    if typ in _INTEGER_FORMATS:
        size = struct.calcsize(">" + _INTEGER_FORMATS[typ])
        end = offset + size * count  # count < 2**32: checked against the store before unpacking
        if end > len(store):
            raise NotAnRpm("RPM header %s: %d values run past the header's data" % (where, count))
        return struct.unpack(">%d%s" % (count, _INTEGER_FORMATS[typ]), store[offset:end]), end
    if typ == TYPE_BIN:
        end = offset + count
        if end > len(store):
            raise NotAnRpm("RPM header %s: %d bytes run past the header's data" % (where, count))
        return store[offset:end], end
    if typ == TYPE_STRING:
        if count != 1:
            raise NotAnRpm("RPM header %s: a string entry with count %d" % (where, count))
        strings, end = _strings(store, offset, 1, where)
        return strings[0], end
    if typ in (TYPE_STRING_ARRAY, TYPE_I18NSTRING):
        # Each string takes at least its NUL: more strings than bytes left cannot fit, and are
        # refused before any list is built.
        if count > len(store) - offset:
            raise NotAnRpm("RPM header %s: %d strings cannot fit" % (where, count))
        strings, end = _strings(store, offset, count, where)
        return (strings[0] if strings else "") if typ == TYPE_I18NSTRING else strings, end
    if typ == TYPE_NULL:
        return None, offset
    raise NotAnRpm("RPM header %s: unknown data type %d" % (where, typ))


def _read_header(data, offset):
    """Parse one header structure at offset; return ({tag: value}, offset just past it).

    Checked as rpm checks a header (lib/header.c hdrblobVerifyInfo): the counts within limits,
    every entry's data inside the store, and the entries' data in order without overlapping, so
    that decoding all of them reads each stored byte at most once.
    """
    if data[offset:offset + 4] != HEADER_MAGIC:
        raise NotAnRpm("no RPM header at byte %d" % offset)
    if len(data) < offset + 16:
        raise NotAnRpm("truncated RPM header")
    count, store_size = struct.unpack(">II", data[offset + 8:offset + 16])
    if count > MAX_INDEX_ENTRIES:
        raise NotAnRpm("RPM header at byte %d claims %d entries (at most %d)" % (
            offset, count, MAX_INDEX_ENTRIES))
    if store_size > MAX_HEADER_STORE:
        raise NotAnRpm("RPM header at byte %d claims %d bytes of data (at most %d)" % (
            offset, store_size, MAX_HEADER_STORE))
    index_start = offset + 16
    store_start = index_start + 16 * count
    end = store_start + store_size
    if end > len(data):
        raise NotAnRpm("truncated RPM header (%d bytes, header needs %d)" % (len(data), end))
    store = data[store_start:end]
    index = struct.unpack(">%dI" % (4 * count), data[index_start:store_start])
    tags = {}
    data_end = 0  # where the previous entry's data ended
    for i in range(count):
        tag, typ, off, cnt = index[4 * i:4 * i + 4]
        where = "entry %d (tag %d)" % (i, tag)
        if off > store_size:
            raise NotAnRpm("RPM header %s: data offset %d outside its %d bytes" % (
                where, off, store_size))
        region = i == 0 and tag in REGION_TAGS
        if not region and off < data_end:
            raise NotAnRpm("RPM header %s: its data overlaps the entry before it" % where)
        value, value_end = _value(store, typ, off, cnt, where)
        if not region:
            data_end = value_end
        tags[tag] = value
    return tags, end


def _string(header, tag):
    value = header.get(tag)
    if value is not None and not isinstance(value, str):
        raise NotAnRpm("RPM header tag %d is not a string" % tag)
    return value


def _list(header, tag, kind):
    """The list (or tuple) value of tag, [] when absent; NotAnRpm when it is of another kind."""
    value = header.get(tag, [])
    if not isinstance(value, (list, tuple)) or any(not isinstance(v, kind) for v in value):
        raise NotAnRpm("RPM header tag %d is not a list of %s" % (tag, kind.__name__))
    return value


class RpmPackage(object):
    """name/version/release of an RPM held in memory, after checking it is whole."""

    def __init__(self, data):
        if len(data) < LEAD_SIZE or data[:4] != LEAD_MAGIC:
            raise NotAnRpm("not an RPM package: %s" % _first_bytes(data))
        signature, sig_end = _read_header(data, LEAD_SIZE)
        header_start = sig_end + (-sig_end % 8)  # the signature header is padded to 8 bytes
        header, _ = _read_header(data, header_start)
        self.name = _string(header, TAG_NAME)
        self.version = _string(header, TAG_VERSION)
        self.release = _string(header, TAG_RELEASE)
        if not self.name:
            raise NotAnRpm("RPM header has no package name")
        # {path: digest} of the files in the payload, as the header lists them.
        dirnames = _list(header, TAG_DIRNAMES, str)
        dirindexes = _list(header, TAG_DIRINDEXES, int)
        self.digests = {dirnames[index] + basename: digest for basename, index, digest in zip(
            _list(header, TAG_BASENAMES, str), dirindexes, _list(header, TAG_FILEDIGESTS, str))
            if index < len(dirnames)}
        algorithm = _list(header, TAG_FILEDIGESTALGO, int) or (1,)
        self.digest_algorithm = DIGEST_ALGORITHMS.get(algorithm[0])
        size = _list(signature, SIGTAG_SIZE, int)
        if size:
            expected = header_start + size[0]
            if len(data) < expected:
                raise NotAnRpm("truncated RPM: %d of %d bytes" % (len(data), expected))
        self.size = len(data)
        # The payload rule's facts (consumer.check_payload): what rpm would install, and which
        # trigger tags the header carries, whatever their type.
        self.files = _files(header)
        self.trigger_tags = [TRIGGER_TAGS[tag] for tag in sorted(header) if tag in TRIGGER_TAGS]
        # {kind: [Dependency]} of every dependency set whose tags the header has (a set with
        # flags or versions but no names is there, empty).
        self.dependencies = _dependencies(header)

    @property
    def nvr(self):
        return "%s-%s-%s" % (self.name, self.version, self.release)

    def carries(self, path, content):
        """True when the header's digest for the file at path is the digest of content: then
        content is that file, byte for byte, without unpacking the payload."""
        digest = self.digests.get(path)
        if not digest or self.digest_algorithm is None or content is None:
            return False
        try:
            return hashlib.new(self.digest_algorithm, content).hexdigest() == digest
        except ValueError:  # an algorithm this host refuses (MD5 under FIPS)
            return False


def _column(header, tag, kind, length):
    """The list value of tag padded with None to length (a column of the header's file list)."""
    values = list(_list(header, tag, kind))
    return values + [None] * (length - len(values))


def _files(header):
    """[FileEntry] of every file the header lists (the paths a dirindex cannot place start
    with "?": such a list is never a consumer package's)."""
    dirnames = _list(header, TAG_DIRNAMES, str)
    basenames = _list(header, TAG_BASENAMES, str)
    dirindexes = _list(header, TAG_DIRINDEXES, int)
    paths = [dirnames[i] + name if i < len(dirnames) else "?" + name
             for name, i in zip(basenames, dirindexes)]
    paths += ["?" + name for name in basenames[len(paths):]]  # a dirindex missing
    paths += list(_list(header, TAG_OLDFILENAMES, str))  # the pre-4.0 layout: never a consumer's
    count = len(paths)
    modes = _column(header, TAG_FILEMODES, int, count)
    users = _column(header, TAG_FILEUSERNAME, str, count)
    groups = _column(header, TAG_FILEGROUPNAME, str, count)
    links = _column(header, TAG_FILELINKTOS, str, count)
    digests = _column(header, TAG_FILEDIGESTS, str, count)
    caps = _column(header, TAG_FILECAPS, str, count)
    sizes = ([HUGE] * count if TAG_LONGFILESIZES in header
             else _column(header, TAG_FILESIZES, int, count))
    return [FileEntry(*row) for row in zip(paths, modes, users, groups, links, digests, caps,
                                           sizes)]


def _dependencies(header):
    found = collections.OrderedDict()
    for kind, (name_tag, flags_tag, version_tag) in DEPENDENCY_TAGS.items():
        if not any(tag in header for tag in (name_tag, flags_tag, version_tag)):
            continue
        names = list(_list(header, name_tag, str))
        flags = _column(header, flags_tag, int, len(names))
        versions = _column(header, version_tag, str, len(names))
        found[kind] = [Dependency(name, flag or 0, version or "")
                       for name, flag, version in zip(names, flags, versions)]
    return found


def dependency_text(dependency):
    """A dependency as `rpm -qp --requires` prints it: "name", "name >= version"."""
    flags = dependency.flags
    operator = "".join(sign for bit, sign in ((SENSE_LESS, "<"), (SENSE_GREATER, ">"),
                                              (SENSE_EQUAL, "=")) if flags & bit)
    if not dependency.version and not operator:
        return dependency.name
    return "%s %s %s" % (dependency.name, operator or "?", dependency.version)


def is_plain_file(entry):
    """A regular file without setuid, setgid or sticky bits, written by root only."""
    return (entry.mode is not None and stat.S_ISREG(entry.mode)
            and not entry.mode & (stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX | 0o022))


def _cpio_path(name):
    """The absolute path of a cpio entry name as rpm writes it ("./usr/bin/x")."""
    if name.startswith("./"):
        name = name[1:]
    return "/" + name.lstrip("/")


class CpioReader(object):
    """A "newc" cpio archive (what rpm2cpio prints), read from pieces given to feed() as they
    arrive: every entry's path, mode and size (entries), and the bytes of the regular files
    named in keep (files; keep=None keeps every regular file).

    Only the current entry's header and the kept files are held. More than limit bytes in all
    raise PayloadTooLarge in feed(), so a decompression bomb stops there; close() says whether
    the archive ended properly.
    """

    def __init__(self, keep=(), limit=None):
        self.keep = None if keep is None else frozenset(keep)
        self.limit = PAYLOAD_LIMIT if limit is None else limit
        self.entries = []
        self.files = {}
        self.total = 0  # bytes fed
        self.finished = False  # the trailer was read
        self._pending = bytearray()  # the bytes of the part being read
        self._need = CPIO_HEADER_SIZE  # how many bytes that part has
        self._part = self._header
        self._skip = 0  # bytes of an unkept file's data (and padding) still to pass over
        self._entry = None  # (mode, size, name size) of the entry being read

    def feed(self, chunk):
        self.total += len(chunk)
        if self.total > self.limit:
            raise PayloadTooLarge(self.limit)
        view, pos = memoryview(chunk), 0
        while pos < len(view) and not self.finished:
            if self._skip:
                passed = min(self._skip, len(view) - pos)
                self._skip -= passed
                pos += passed
                continue
            taken = min(self._need - len(self._pending), len(view) - pos)
            self._pending += view[pos:pos + taken]
            pos += taken
            if len(self._pending) == self._need:
                part, self._pending = bytes(self._pending), bytearray()
                self._part(part)

    def close(self):
        """After the last piece: NotAnRpm unless the archive ended with its trailer."""
        if not self.finished:
            raise NotAnRpm("payload ends after %d bytes, before the cpio archive's end"
                           % self.total)

    def _expect(self, size, part):
        self._need, self._part = size, part
        if size == 0:
            part(b"")

    def _header(self, header):
        if header[:6] not in CPIO_MAGICS or not _CPIO_FIELDS.match(header[6:]):
            raise NotAnRpm("payload is not a newc cpio archive (entry %d)" % len(self.entries))
        fields = [int(header[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
        mode, size, name_size = fields[1], fields[6], fields[11]
        if not 1 <= name_size <= MAX_CPIO_NAME:
            raise NotAnRpm("payload entry %d has a name of %d bytes" % (
                len(self.entries), name_size))
        if size > self.limit:
            raise PayloadTooLarge(self.limit)
        self._entry = (mode, size, name_size)
        padding = -(CPIO_HEADER_SIZE + name_size) % 4
        self._expect(name_size + padding, self._name)

    def _name(self, part):
        mode, size, name_size = self._entry
        raw = part[:name_size]
        if raw[-1:] != b"\0" or b"\0" in raw[:-1]:
            raise NotAnRpm("payload entry %d has a malformed name" % len(self.entries))
        name = raw[:-1].decode("utf-8", "replace")
        if name == CPIO_TRAILER:
            self.finished = True
            return
        path = _cpio_path(name)
        self.entries.append(CpioEntry(path, mode, size))
        padded = size + (-size % 4)
        if mode & S_IFMT == S_IFREG and (self.keep is None or path in self.keep):
            self._entry = (path, size)
            self._expect(padded, self._data)
        else:
            self._skip = padded
            self._expect(CPIO_HEADER_SIZE, self._header)

    def _data(self, part):
        path, size = self._entry
        self.files[path] = part[:size]
        self._expect(CPIO_HEADER_SIZE, self._header)


def cpio_files(stream, limit=None):
    """{path: bytes} of the regular files in a "newc" cpio archive held in memory."""
    reader = CpioReader(keep=None, limit=limit)
    reader.feed(stream)
    reader.close()
    return reader.files
