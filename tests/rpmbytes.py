"""Builds minimal RPM and cpio byte strings in memory for unit tests (no rpmbuild needed)."""
import hashlib
import os
import struct


def _header(entries):
    """entries: list of (tag, type, value) with type 6 (string), 8 (string list), 4 (int32
    list) or 3 (int16 list)."""
    index, store = b"", b""
    for tag, typ, value in entries:
        if typ == 3:
            store += b"\0" * (-len(store) % 2)
            offset = len(store)
            store += struct.pack(">%dH" % len(value), *value)
            count = len(value)
        elif typ == 4:
            store += b"\0" * (-len(store) % 4)
            offset = len(store)
            store += struct.pack(">%dI" % len(value), *value)
            count = len(value)
        elif typ == 8:
            offset = len(store)
            store += b"".join(item.encode() + b"\0" for item in value)
            count = len(value)
        else:
            offset = len(store)
            store += value.encode() + b"\0"
            count = 1
        index += struct.pack(">IIII", tag, typ, offset, count)
    return (b"\x8e\xad\xe8\x01" + b"\0" * 4 + struct.pack(">II", len(entries), len(store))
            + index + store)


def cpio(files):
    """newc archive of {path: bytes}."""
    out = b""
    for ino, (name, data) in enumerate(list(files.items()) + [("TRAILER!!!", b"")], 1):
        mode = 0o100755 if name != "TRAILER!!!" else 0
        fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0]
        head = b"070701" + b"".join(b"%08X" % f for f in fields)
        out += head + name.encode() + b"\0"
        out += b"\0" * (-len(out) % 4)
        out += data
        out += b"\0" * (-len(out) % 4)
    return out


def rpm(name, version="1.0", release="1", payload=b"", files=None, modes=None, extra=()):
    """files: {path: bytes} the header lists with their SHA-256 digests, mode (modes: {path:
    st_mode}, 0o100755 when not given), owner and group root, as rpmbuild does; extra: more
    (tag, type, value) header entries (a trigger, say)."""
    lead = b"\xed\xab\xee\xdb" + b"\0" * 92
    if files is None and payload[:6] == b"070701":
        # The header lists what the payload holds, as rpmbuild's does.
        from lbenroll.rpmfile import cpio_files
        files = cpio_files(payload, limit=len(payload))
    entries = [(1000, 6, name), (1001, 6, version), (1002, 6, release)]
    if files:
        paths = sorted(files)
        dirnames = sorted({os.path.dirname(path) + "/" for path in paths})
        entries += [
            (1035, 8, [hashlib.sha256(files[path]).hexdigest() for path in paths]),
            (1116, 4, [dirnames.index(os.path.dirname(path) + "/") for path in paths]),
            (1117, 8, [os.path.basename(path) for path in paths]),
            (1118, 8, dirnames),
            (1030, 3, [(modes or {}).get(path, 0o100755) for path in paths]),
            (1028, 4, [len(files[path]) for path in paths]),
            (1039, 8, ["root"] * len(paths)),
            (1040, 8, ["root"] * len(paths)),
            (5011, 4, [8])]
    entries += list(extra)
    header = _header(entries)
    size = len(header) + len(payload)
    signature = _header([(1000, 4, [size])])
    signature += b"\0" * (-(96 + len(signature)) % 8)
    return lead + signature + header + payload
