"""Read a downloaded RPM without installing it: lead, headers, and the files of its cpio payload."""
import collections
import hashlib
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
TYPE_INT32, TYPE_STRING, TYPE_STRING_ARRAY, TYPE_I18NSTRING = 4, 6, 8, 9
# FILEDIGESTALGO values (OpenPGP hash algorithm numbers, rpm: rpmio/rpmpgp.h pgpHashAlgo);
# without the tag, MD5 (rpm: lib/rpmfi.c).
DIGEST_ALGORITHMS = {1: "md5", 2: "sha1", 8: "sha256", 9: "sha384", 10: "sha512", 11: "sha224"}


# What rpm installs of each file (rpm: lib/rpmtag.h), for the consumer RPM's payload rule
# (consumer.check_payload).
TAG_OLDFILENAMES, TAG_FILEMODES, TAG_FILELINKTOS, TAG_FILEFLAGS = 1027, 1030, 1036, 1037
TAG_FILEUSERNAME, TAG_FILEGROUPNAME, TAG_FILECAPS = 1039, 1040, 5010
TAG_FILESIZES, TAG_LONGFILESIZES = 1028, 5008
TYPE_INT16 = 3
# Scriptlets that other packages' events run (rpm: lib/rpmtag.h): %trigger*, %filetrigger*,
# %transfiletrigger*. A consumer package has none (puppet-foreman_proxy_content:
# lib/puppet/provider/bootstrap_rpm/bootstrap_rpm.rb writes %post and %postun only).
TRIGGER_TAGS = {1065: "%trigger scripts", 1066: "%trigger conditions",
                5066: "%filetrigger scripts", 5069: "%filetrigger conditions",
                5076: "%transfiletrigger scripts", 5079: "%transfiletrigger conditions"}

# One file of the header's list: its path, st_mode, owner, group, link target, digest, caps.
FileEntry = collections.namedtuple("FileEntry", "path mode user group linkto digest caps size")
# The size of a file listed only in LONGFILESIZES (64-bit: 4 GiB or more).
HUGE = 1 << 32


class NotAnRpm(ValueError):
    """The bytes are not a (complete) RPM package; the message says what was found."""


def _describe(data):
    head = data[:40].decode("latin-1")
    printable = "".join(c if 32 <= ord(c) < 127 else "." for c in head)
    return "starts with %r" % printable


def _read_header(data, offset):
    """Parse one header structure at offset; return ({tag: value}, offset just past it)."""
    if data[offset:offset + 4] != HEADER_MAGIC:
        raise NotAnRpm("no RPM header at byte %d" % offset)
    if len(data) < offset + 16:
        raise NotAnRpm("truncated RPM header")
    count, store_size = struct.unpack(">II", data[offset + 8:offset + 16])
    index_start = offset + 16
    store_start = index_start + 16 * count
    end = store_start + store_size
    if end > len(data):
        raise NotAnRpm("truncated RPM header (%d bytes, header needs %d)" % (len(data), end))
    store = data[store_start:end]
    tags = {}
    for i in range(count):
        entry = index_start + 16 * i
        tag, typ, off, cnt = struct.unpack(">IIII", data[entry:entry + 16])
        if typ in (TYPE_STRING, TYPE_I18NSTRING):
            tags[tag] = store[off:store.index(b"\0", off)].decode("utf-8", "replace")
        elif typ == TYPE_STRING_ARRAY:
            strings = []
            for _ in range(cnt):
                nul = store.index(b"\0", off)
                strings.append(store[off:nul].decode("utf-8", "replace"))
                off = nul + 1
            tags[tag] = strings
        elif typ == TYPE_INT32:
            tags[tag] = struct.unpack(">%dI" % cnt, store[off:off + 4 * cnt])
    return tags, end


class RpmPackage(object):
    """name/version/release of an RPM held in memory, after checking it is whole."""

    def __init__(self, data):
        if len(data) < LEAD_SIZE or data[:4] != LEAD_MAGIC:
            raise NotAnRpm("not an RPM package: %s" % _describe(data))
        signature, sig_end = _read_header(data, LEAD_SIZE)
        header_start = sig_end + (-sig_end % 8)  # the signature header is padded to 8 bytes
        header, _ = _read_header(data, header_start)
        self.name = header.get(TAG_NAME)
        self.version = header.get(TAG_VERSION)
        self.release = header.get(TAG_RELEASE)
        if not self.name:
            raise NotAnRpm("RPM header has no package name")
        # {path: digest} of the files in the payload, as the header lists them.
        dirnames, dirindexes = header.get(TAG_DIRNAMES, []), header.get(TAG_DIRINDEXES, ())
        self.digests = {dirnames[index] + basename: digest for basename, index, digest in zip(
            header.get(TAG_BASENAMES, []), dirindexes, header.get(TAG_FILEDIGESTS, []))
            if index < len(dirnames)}
        self.digest_algorithm = DIGEST_ALGORITHMS.get(header.get(TAG_FILEDIGESTALGO, (1,))[0])
        size = signature.get(SIGTAG_SIZE)
        if size:
            expected = header_start + size[0]
            if len(data) < expected:
                raise NotAnRpm("truncated RPM: %d of %d bytes" % (len(data), expected))
        self.size = len(data)
        # The payload rule's facts (consumer.check_payload): what rpm would install, and which
        # trigger tags the header carries, whatever their type.
        self.files, self.trigger_tags = _files_and_triggers(data, header_start, header)

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


def _raw_index(data, offset):
    """{tag: (type, offset in the store, count)} and the store of the header at offset, read
    again for the types _read_header leaves out (INT16); bounded by the data's length."""
    if len(data) < offset + 16:
        raise NotAnRpm("truncated RPM header")
    count, store_size = struct.unpack(">II", data[offset + 8:offset + 16])
    store_start = offset + 16 + 16 * count
    if store_start + store_size > len(data):
        raise NotAnRpm("truncated RPM header")
    index = {}
    for i in range(count):
        entry = offset + 16 + 16 * i
        tag, typ, off, cnt = struct.unpack(">IIII", data[entry:entry + 16])
        index[tag] = (typ, off, cnt)
    return index, data[store_start:store_start + store_size]


def _int16s(index, store, tag):
    typ, off, cnt = index.get(tag, (None, 0, 0))
    if typ != TYPE_INT16 or off + 2 * cnt > len(store):
        return None
    return struct.unpack(">%dH" % cnt, store[off:off + 2 * cnt])


def _files_and_triggers(data, header_start, header):
    """([FileEntry] of every file the header lists, [names of its trigger tags])."""
    index, store = _raw_index(data, header_start)
    triggers = [TRIGGER_TAGS[tag] for tag in sorted(index) if tag in TRIGGER_TAGS]
    dirnames, dirindexes = header.get(TAG_DIRNAMES, []), header.get(TAG_DIRINDEXES, ())
    basenames = header.get(TAG_BASENAMES, [])
    paths = [dirnames[i] + name if i < len(dirnames) else "?" + name
             for name, i in zip(basenames, dirindexes)]
    if len(paths) != len(basenames):  # a dirindex missing: the list cannot be trusted
        paths += ["?" + name for name in basenames[len(paths):]]
    paths += list(header.get(TAG_OLDFILENAMES, []))  # the pre-4.0 layout: never a consumer's
    modes = _int16s(index, store, TAG_FILEMODES) or ()

    def column(tag):
        values = header.get(tag, [])
        return list(values) + [None] * (len(paths) - len(values))

    users, groups = column(TAG_FILEUSERNAME), column(TAG_FILEGROUPNAME)
    links, digests, caps = column(TAG_FILELINKTOS), column(TAG_FILEDIGESTS), column(TAG_FILECAPS)
    sizes = list(header.get(TAG_FILESIZES, ()))
    if TAG_LONGFILESIZES in index:
        sizes = [HUGE] * len(paths)
    sizes += [None] * (len(paths) - len(sizes))
    files = [FileEntry(path, modes[i] if i < len(modes) else None, users[i], groups[i],
                       links[i], digests[i], caps[i], sizes[i]) for i, path in enumerate(paths)]
    return files, triggers


def is_plain_file(entry):
    """A regular file without setuid, setgid or sticky bits, written by root only."""
    return (entry.mode is not None and stat.S_ISREG(entry.mode)
            and not entry.mode & (stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX | 0o022))


def cpio_files(stream):
    """{path: bytes} of the regular files in a "newc" cpio archive (what rpm2cpio prints)."""
    files = {}
    pos = 0
    while True:
        header = stream[pos:pos + 110]
        if len(header) < 110 or header[:6] not in (b"070701", b"070702"):
            raise NotAnRpm("payload is not a newc cpio archive")
        fields = [int(header[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
        mode, filesize, namesize = fields[1], fields[6], fields[11]
        name_start = pos + 110
        name = stream[name_start:name_start + namesize - 1].decode("utf-8", "replace")
        data_start = name_start + namesize
        data_start += -data_start % 4
        if name == "TRAILER!!!":
            return files
        content = stream[data_start:data_start + filesize]
        if mode & 0o170000 == 0o100000:
            files["/" + name.lstrip("./")] = content
        pos = data_start + filesize
        pos += -pos % 4
