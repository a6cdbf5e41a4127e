"""Read a downloaded RPM without installing it: lead, headers, and the files of its cpio payload."""
import struct

LEAD_MAGIC = b"\xed\xab\xee\xdb"
HEADER_MAGIC = b"\x8e\xad\xe8\x01"
LEAD_SIZE = 96

# Header tags (rpmtag.h).
TAG_NAME, TAG_VERSION, TAG_RELEASE = 1000, 1001, 1002
SIGTAG_SIZE = 1000  # header + payload size, in the signature header
TYPE_INT32, TYPE_STRING, TYPE_I18NSTRING = 4, 6, 9


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
        size = signature.get(SIGTAG_SIZE)
        if size:
            expected = header_start + size[0]
            if len(data) < expected:
                raise NotAnRpm("truncated RPM: %d of %d bytes" % (len(data), expected))
        self.size = len(data)

    @property
    def nvr(self):
        return "%s-%s-%s" % (self.name, self.version, self.release)


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
