"""Property tests of lbenroll.rpmfile: whatever bytes arrive, reading them ends in a package or
NotAnRpm, and the payload reader gives the same answer however its input is cut."""
import struct

import pytest

from lbenroll.rpmfile import (HEADER_MAGIC, LEAD_MAGIC, LEAD_SIZE, CpioReader, NotAnRpm,
                              PayloadTooLarge, RpmPackage, cpio_files)
from tests.rpmbytes import cpio, rpm

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, strategies as st  # noqa: E402

LEAD = LEAD_MAGIC + b"\0" * (LEAD_SIZE - 4)


def read(data):
    """RpmPackage(data), or None when refused; any other exception fails the test."""
    try:
        return RpmPackage(data)
    except NotAnRpm:
        return None


@given(st.binary(max_size=2048))
def test_any_bytes_are_a_package_or_not_an_rpm(data):
    read(data)
    read(LEAD + data)
    read(LEAD + HEADER_MAGIC + data)


# A header's index entries, each (tag, type, offset, count), drawn where the interesting values
# are: real tags, every type and some unknown ones, offsets and counts around the store's size.
_u32 = st.one_of(st.integers(0, 64), st.sampled_from([0x7fffffff, 0x80000000, 0xffffffff]),
                 st.integers(0, 0xffffffff))
_entry = st.tuples(st.sampled_from([62, 63, 1000, 1001, 1002, 1030, 1035, 1116, 1117, 1118,
                                    5011]) | _u32,
                   st.integers(0, 12), _u32, _u32)


def _header(entries, store, claimed=None):
    count = len(entries) if claimed is None else claimed
    return (HEADER_MAGIC + b"\0" * 4 + struct.pack(">II", count, len(store))
            + b"".join(struct.pack(">IIII", *entry) for entry in entries) + store)


@given(st.lists(_entry, max_size=12), st.binary(max_size=256), st.none() | _u32)
def test_any_header_index_is_a_package_or_not_an_rpm(entries, store, claimed):
    signature = _header([(1000, 4, 0, 1)], struct.pack(">I", 0))
    signature += b"\0" * (-(LEAD_SIZE + len(signature)) % 8)
    package = read(LEAD + signature + _header(entries, store, claimed))
    if package is not None:
        assert isinstance(package.name, str) and package.name
        assert isinstance(package.digests, dict)


@given(st.text(min_size=1, max_size=40).filter(lambda name: "\0" not in name),
       st.dictionaries(st.sampled_from(["/usr/bin/katello-rhsm-consumer", "/etc/a", "/etc/b/c"]),
                       st.binary(max_size=64), max_size=3))
def test_a_well_formed_package_reads_back(name, files):
    package = read(rpm(name, files=files or None))
    assert package is not None and package.name == name
    for path, content in files.items():
        assert package.carries(path, content)


_names = st.lists(st.text("abc._-", min_size=1, max_size=6), min_size=1, max_size=4).map(
    lambda parts: "./" + "/".join(parts))
_files = st.dictionaries(_names, st.binary(max_size=300), max_size=6)


@given(_files, st.lists(st.integers(1, 700), max_size=20))
def test_the_payload_reader_gives_the_same_answer_however_the_stream_is_cut(files, cuts):
    archive = cpio(files)
    whole = cpio_files(archive)
    reader = CpioReader(keep=None)
    pos = 0
    for size in cuts:
        reader.feed(archive[pos:pos + size])
        pos += size
    reader.feed(archive[pos:])
    reader.close()
    assert reader.files == whole
    assert [entry.path for entry in reader.entries] == ["/" + name[2:] for name in files]
    assert {path: len(data) for path, data in whole.items()} == {
        entry.path: entry.size for entry in reader.entries}


@given(st.binary(max_size=1024), st.lists(st.integers(1, 200), max_size=8))
def test_any_payload_bytes_are_read_or_not_an_rpm(data, cuts):
    reader = CpioReader(keep=None, limit=4096)
    try:
        pos = 0
        for size in cuts + [len(data)]:
            reader.feed(data[pos:pos + size])
            pos += size
        reader.close()
    except NotAnRpm:
        return
    assert reader.finished


@given(_files, st.integers(0, 2000))
def test_the_limit_stops_the_stream_at_the_piece_that_crosses_it(files, limit):
    archive = cpio(files)
    reader = CpioReader(keep=None, limit=limit)
    fed = 0
    try:
        for pos in range(0, len(archive), 64):
            reader.feed(archive[pos:pos + 64])
            fed = min(pos + 64, len(archive))
        reader.close()
    except PayloadTooLarge:
        assert len(archive) > limit and fed <= limit
        return
    assert len(archive) <= limit
