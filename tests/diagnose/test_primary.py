"""primary.py: the packages of a primary.xml, read within bounds whatever a proxy sends."""
import bz2
import gzip
import io
import lzma
import os
import tracemalloc
import zlib

import pytest

from lbenroll.diagnose import primary
from lbenroll.diagnose.metadata import parse_repomd
from lbenroll.diagnose.primary import Packages, Unread, primary_path, read_packages
from tests.conftest import DATA

HERE = os.path.join(DATA, "diagnose")
# What createrepo_c 0.17 wrote for the lab's repository (lab-hello and puppet-agent), compressed
# three ways, each with the repomd.xml that lists it.
REAL = {"gzip": "gz", "xz": "xz", "bzip2": "bz2"}
NEWEST = {("lab-hello", "noarch"): ("0", "1.0", "1"),
          ("puppet-agent", "noarch"): ("0", "7.23.0", "1.lab")}

HEAD = (b'<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="http://linux.duke.edu/metadata/'
        b'common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="%d">\n')
PACKAGE = (b'<package type="rpm"><name>%s</name><arch>%s</arch><version epoch="%s" ver="%s" '
           b'rel="%s"/><format><rpm:provides><rpm:entry name="%s"/></rpm:provides></format>'
           b'</package>\n')


def document(*packages):
    body = HEAD % len(packages)
    for name, arch, epoch, version, release in packages:
        body += PACKAGE % (name.encode(), arch.encode(), epoch.encode(), version.encode(),
                           release.encode(), name.encode())
    return body + b"</metadata>\n"


def reader(data):
    return io.BytesIO(data).read


def golden(suffix):
    with open(os.path.join(HERE, "primary.xml." + suffix), "rb") as f:
        data = f.read()
    with open(os.path.join(HERE, "repomd-%s.xml" % suffix), "rb") as f:
        repomd = parse_repomd(f.read())
    return data, repomd


@pytest.mark.parametrize("suffix", sorted(REAL.values()))
def test_createrepo_c_primary_files_are_read_and_verified_against_their_repomd(suffix):
    data, repomd = golden(suffix)
    assert repomd.files["primary"][1].endswith("-primary.xml." + suffix)
    assert repomd.primary_open[0] == "sha256" and len(repomd.primary_open[1]) == 64
    found = read_packages(reader(data), repomd.primary_checksum)
    assert isinstance(found, Packages), found
    assert found.newest == NEWEST and found.count == 2


def test_uncompressed_primary_xml_is_read_too():
    data = gzip.decompress(golden("gz")[0])
    assert read_packages(reader(data)).newest == NEWEST


def test_only_the_newest_build_of_each_name_and_arch_is_kept():
    found = read_packages(reader(document(
        ("foo", "noarch", "0", "1.10", "1.el9"), ("foo", "noarch", "0", "1.9", "5.el9"),
        ("foo", "x86_64", "0", "1.0", "1"), ("bar", "noarch", "1", "0.1", "1"),
        ("bar", "noarch", "0", "9.9", "9"))))
    assert found.count == 5
    assert found.newest == {("foo", "noarch"): ("0", "1.10", "1.el9"),
                            ("foo", "x86_64"): ("0", "1.0", "1"),
                            ("bar", "noarch"): ("1", "0.1", "1")}


def test_bytes_that_do_not_match_the_repomd_checksum_are_a_broken_publication():
    data, repomd = golden("gz")
    other = ("sha256", "0" * 64)
    found = read_packages(reader(data), other)
    assert isinstance(found, Unread) and found.broken
    assert "does not match the sha256 checksum its repomd.xml lists" in found.reason


def test_zstd_is_said_to_be_unreadable_not_guessed():
    found = read_packages(reader(b"\x28\xb5\x2f\xfd" + b"\0" * 100), None, name="x.xml.zst")
    assert isinstance(found, Unread) and not found.broken
    assert found.reason == ("x.xml.zst is zstd-compressed, which Python's standard library "
                            "cannot read: its packages are not compared")


@pytest.mark.parametrize("body", [
    b"", b"<html><body>hello</body></html>", b"\x1f\x8b\x08garbage",
    gzip.compress(document(("foo", "noarch", "0", "1", "1")))[:-30],  # cut short
    document(("foo", "noarch", "x", "1", "1")),  # an epoch that is not a number
    b"<metadata xmlns='http://linux.duke.edu/metadata/common'><package><arch>a</arch>"
    b"</package></metadata>",
])
def test_what_is_not_a_primary_xml_is_unread_with_the_reason(body):
    found = read_packages(reader(body))
    assert isinstance(found, Unread) and not found.broken
    assert "its packages are not compared" in found.reason


LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE metadata [\n<!ENTITY a "aaaaaaaaaa">\n'
          + b"".join(b'<!ENTITY %s "%s">\n' % (chr(98 + i).encode(),
                                                 b"&%s;" % chr(97 + i).encode() * 10)
                     for i in range(9))
          + b']>\n<metadata xmlns="http://linux.duke.edu/metadata/common"><package><name>&j;'
          b'</name></package></metadata>\n')
EXTERNAL = (b'<?xml version="1.0"?>\n<!DOCTYPE metadata [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'\n<metadata xmlns="http://linux.duke.edu/metadata/common"><package><name>&x;</name>'
            b'</package></metadata>\n')


@pytest.mark.parametrize("body", [LAUGHS, EXTERNAL], ids=["billion-laughs", "external-entity"])
def test_entities_are_refused_before_any_is_expanded(body):
    tracemalloc.start()
    try:
        found = read_packages(reader(gzip.compress(body)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(found, Unread)
    assert "it has a document type declaration" in found.reason
    assert peak < 4 * 1024 * 1024  # nothing was expanded (a billion laughs takes gigabytes)


def _bomb(compress, size):
    """size bytes of spaces inside a valid primary.xml, compressed."""
    block = b" " * (1024 * 1024)
    out = [compress.compress(HEAD % 0)]
    out += [compress.compress(block) for _ in range(size // len(block))]
    return b"".join(out + [compress.compress(b"</metadata>"), compress.flush()])


@pytest.mark.parametrize("kind", ["gzip", "xz", "bzip2"])
def test_a_decompression_bomb_stops_at_the_bound_in_bounded_memory(monkeypatch, kind):
    compressors = {"gzip": lambda: zlib.compressobj(9, zlib.DEFLATED, 31),
                   "xz": lzma.LZMACompressor, "bzip2": bz2.BZ2Compressor}
    bomb = _bomb(compressors[kind](), 16 * 1024 * 1024)
    assert len(bomb) < 256 * 1024  # 16 MiB from less than 256 KiB
    monkeypatch.setattr(primary, "MAX_XML_BYTES", 4 * 1024 * 1024)
    tracemalloc.start()
    try:
        found = read_packages(reader(bomb))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(found, Unread) and "unpacks to more than 4 MiB" in found.reason
    # bomb itself (under 1 MiB) is allocated before tracing: what reading it took is a few
    # pieces of 256 KiB (and xz's dictionary, 8 MiB at xz's default level), not the 16 MiB it
    # unpacks to.
    assert peak < (12 if kind == "xz" else 4) * 1024 * 1024, peak


def test_an_xz_header_asking_for_a_huge_dictionary_is_refused():
    # The block header's LZMA2 dictionary size set to 1 GiB (byte 36: 2 * 2**(36 / 2 + 11)),
    # which the decoder would allocate before any output; its CRC32 made right again.
    packed = bytearray(lzma.compress(document(("foo", "noarch", "0", "1", "1"))))
    start, size = 12, (packed[12] + 1) * 4
    assert packed[start + 2:start + 4] == b"\x21\x01"  # one filter, LZMA2, one property byte
    packed[start + 4] = 36
    packed[start + size - 4:start + size] = zlib.crc32(
        bytes(packed[start:start + size - 4])).to_bytes(4, "little")
    found = read_packages(reader(packed))
    assert isinstance(found, Unread) and "Memory usage limit" in found.reason, found


def test_a_bomb_within_the_bound_is_read_in_bounded_memory():
    bomb = _bomb(zlib.compressobj(9, zlib.DEFLATED, 31), 8 * 1024 * 1024)
    tracemalloc.start()
    try:
        found = read_packages(reader(bomb))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(found, Packages) and found.count == 0
    assert peak < 4 * 1024 * 1024, peak


def test_more_compressed_bytes_than_the_bound_are_not_read(monkeypatch):
    monkeypatch.setattr(primary, "MAX_COMPRESSED_BYTES", 1000)
    found = read_packages(reader(b"<" + b" " * 5000))
    assert isinstance(found, Unread) and "larger than 0 MiB" in found.reason


def test_a_download_past_its_deadline_is_given_up(monkeypatch):
    clock = iter(range(100))
    monkeypatch.setattr(primary.time, "monotonic", lambda: next(clock))
    chunks = iter([HEAD % 0] + [b"<!-- slow -->"] * 100)
    found = read_packages(lambda n: next(chunks), deadline=3)
    assert isinstance(found, Unread)
    assert "not read within 6 times --timeout" in found.reason


def test_a_connection_that_breaks_off_is_unread_not_an_error():
    def read(n):
        raise ConnectionResetError(104, "Connection reset by peer")
    found = read_packages(read)
    assert isinstance(found, Unread) and not found.broken
    assert "the download broke off (Connection reset by peer)" in found.reason


def test_more_names_than_the_bound_are_not_kept(monkeypatch):
    monkeypatch.setattr(primary, "MAX_PACKAGES", 2)
    found = read_packages(reader(document(*[("p%d" % i, "noarch", "0", "1", "1")
                                            for i in range(3)])))
    assert isinstance(found, Unread) and "more than 2 package names" in found.reason


@pytest.mark.parametrize("href", [
    "../../etc/primary.xml.gz", "repodata/../../x", "/repodata/x.xml.gz",
    "https://elsewhere.test/x.xml.gz", "repodata/x.xml.gz HTTP/1.1\r\nHost: other",
    "repodata/x y.xml.gz", "", None])
def test_a_location_that_is_not_a_plain_relative_path_is_not_asked_for(href):
    assert primary_path("/pulp/content/hello/repodata/repomd.xml", href) is None


def test_the_primary_path_is_beside_repodata():
    assert primary_path("/pulp/content/hello/repodata/repomd.xml",
                        "repodata/ab12-primary.xml.gz") == (
        "/pulp/content/hello/repodata/ab12-primary.xml.gz")


class FakeSocket(object):
    """A connection whose answer is given: what tls_probe hands the exchange."""

    def __init__(self, answer):
        self.answer = answer
        self.sent = b""

    def sendall(self, data):
        self.sent += data

    def makefile(self, mode):
        return io.BytesIO(self.answer)


def fetch(monkeypatch, answer, publication):
    from lbenroll.probe import ProbeResult
    from tests.diagnose.conftest import HELLO, states
    sock = FakeSocket(answer)

    def tls_probe(host, port, ca_pem, timeout, exchange, address, client_cert):
        assert (host, port, address) == ("lb.example.test", 443, "127.0.2.1")
        probe = ProbeResult(host, port)
        probe.reachable = probe.chain_ok = True
        probe.protocol_ok, probe.protocol_detail = exchange(sock)
        return probe
    monkeypatch.setattr(primary, "tls_probe", tls_probe)
    found = primary.fetch_packages(states()[0], "lb.example.test", "PEM", HELLO, publication, 5)
    return found, sock.sent


def test_fetch_asks_the_proxy_for_the_listed_file_and_reads_a_chunked_answer(monkeypatch):
    data, repomd = golden("gz")
    body = b"".join(b"%x\r\n%s\r\n" % (len(data[i:i + 100]), data[i:i + 100])
                    for i in range(0, len(data), 100)) + b"0\r\n\r\n"
    found, sent = fetch(monkeypatch, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + body, repomd)
    assert isinstance(found, Packages) and found.newest == NEWEST
    assert sent.startswith(b"GET /pulp/content/hello/%s HTTP/1.1\r\nHost: lb.example.test\r\n"
                           % repomd.files["primary"][1].encode())


def test_a_listed_file_the_proxy_answers_404_for_is_a_broken_publication(monkeypatch):
    _, repomd = golden("gz")
    found, _ = fetch(monkeypatch, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
                     repomd)
    assert isinstance(found, Unread) and found.broken
    assert found.reason.startswith("its repomd.xml lists /pulp/content/hello/repodata/")
    assert found.reason.endswith("-primary.xml.gz, which it answers with HTTP 404")


def _peak(found_from):
    """(what found_from() returned, the peak of memory it allocated)."""
    tracemalloc.start()
    try:
        found = found_from()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return found, peak


def _long_field(opening, line, closing, size=16 * 1024 * 1024):
    """A gzip of a primary.xml whose one package has size bytes of line between opening and
    closing, compressed as it is made (the document is never held whole)."""
    compress = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = line * (1024 * 1024 // len(line))
    out = [compress.compress(HEAD % 1 + b'<package type="rpm">' + opening)]
    out += [compress.compress(block) for _ in range(size // len(block))]
    out.append(compress.compress(closing + b'<arch>noarch</arch><version epoch="0" ver="1" '
                                 b'rel="1"/></package></metadata>\n'))
    return b"".join(out + [compress.flush()])


@pytest.mark.parametrize("element", [b"name", b"arch"])
def test_a_name_longer_than_any_package_s_is_unread_and_its_text_not_collected(element):
    # The review's case: 16 MiB of "x\n" in a <name> (16 KiB of gzip) made expat hand over
    # millions of fragments, all collected: 147 MiB more at the peak, per worker.
    other = b"arch" if element == b"name" else b"name"
    bomb = _long_field(b"<%s>" % element, b"x\n", b"</%s><%s>p</%s>" % (element, other, other))
    assert len(bomb) < 64 * 1024
    found, peak = _peak(lambda: read_packages(reader(bomb), name="primary.xml.gz"))
    assert isinstance(found, Unread) and not found.broken, found
    assert found.reason == ("primary.xml.gz is not a readable gzip primary.xml (a <%s> longer "
                            "than %d characters); its packages are not compared"
                            % (element.decode(), primary.MAX_FIELD))
    assert peak < 2 * 1024 * 1024, peak


@pytest.mark.parametrize("opening, closing", [
    (b'<version epoch="0" rel="1" ver="', b'"/>'),
    (b"<!-- ", b" -->"),
], ids=["attribute", "comment"])
def test_a_tag_expat_would_hold_whole_is_unread_at_the_token_bound(opening, closing):
    # expat keeps an unfinished tag or comment whole (67 MiB for a 16 MiB attribute): the
    # reading stops once one is longer than MAX_TOKEN.
    bomb = _long_field(b"<name>p</name>" + opening, b"x", closing)
    found, peak = _peak(lambda: read_packages(reader(bomb)))
    assert isinstance(found, Unread), found
    assert "(a tag or comment longer than 64 KiB)" in found.reason, found
    assert peak < 2 * 1024 * 1024, peak


def test_a_version_or_release_longer_than_any_package_s_is_unread():
    found = read_packages(reader(document(("foo", "noarch", "0", "1", "r" * 257))))
    assert isinstance(found, Unread)
    assert "(a <version> whose rel is longer than 256 characters)" in found.reason, found
    kept = read_packages(reader(document(("f" * 256, "noarch", "0", "v" * 256, "r" * 256))))
    assert kept.newest == {("f" * 256, "noarch"): ("0", "v" * 256, "r" * 256)}
