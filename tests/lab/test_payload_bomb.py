"""A decompression bomb through the real rpmbuild and rpm2cpio: a consumer package whose payload
unpacks to 256 MiB (a few hundred kB to download) is refused as bad data, exit 65, after reading
at most rpmfile.PAYLOAD_LIMIT of it, with rpm2cpio killed and memory bounded.

A bomb whose header lists its big file is refused by the header's rule before anything is
unpacked (tests/e2e/test_attacker.py); the one here lies: the header of the genuine package (the
script alone) in front of the bomb's payload, which rpm2cpio unpacks without checking digests.
So the payload's own limit is what stops it."""
import os
import subprocess
import tracemalloc

import pytest

from lbenroll import consumer, rpmfile
from lbenroll.context import Context
from lbenroll.errors import DataError, ExitCode
from tests.lab import build

BOMB_SIZE = 256 << 20
URL = "http://balancer.example.test/pub/katello-ca-consumer-latest.noarch.rpm"
PEAK_BOUND = 16 << 20  # the 4 MiB limit plus read buffers; the old code held all 256 MiB twice

BOMB_SPEC = """\
Name:           katello-ca-consumer-proxy01.lab.test
Version:        1.0
Release:        2
Summary:        The lab consumer package with a payload that unpacks to %(size)d bytes
License:        GPLv3
BuildArch:      noarch
Source0:        katello-rhsm-consumer

%%description
A decompression bomb: zeros compress about a thousand to one.

%%install
install -D -m 0755 %%{SOURCE0} %%{buildroot}%%{_bindir}/katello-rhsm-consumer
mkdir -p %%{buildroot}%%{_datadir}/lab
truncate -s %(size)d %%{buildroot}%%{_datadir}/lab/zeros

%%files
%%{_bindir}/katello-rhsm-consumer
%%{_datadir}/lab/zeros
"""
ZSTD = {"_binary_payload": "w3.zstdio"}


def _payload_offset(data):
    """Where the payload starts: after the lead, the signature header (padded to 8 bytes) and
    the main header, as rpmfile.RpmPackage reads them."""
    _, end = rpmfile._read_header(data, rpmfile.LEAD_SIZE)
    _, end = rpmfile._read_header(data, end + (-end % 8))
    return end


@pytest.fixture(scope="module")
def bomb(tmp_path_factory):
    topdir = str(tmp_path_factory.mktemp("bomb"))
    pki = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "pki")
    with open(os.path.join(pki, "ca.pem")) as f:
        ca = f.read()
    script = build.consumer_script("proxy01.lab.test", "current", ca, ca)
    # zstd where this rpmbuild has it: gzip at its default level is slower on 256 MiB.
    sources = {"katello-rhsm-consumer": (script, 0o755)}
    bomb_path = build.rpmbuild(os.path.join(topdir, "bomb"), BOMB_SPEC % {"size": BOMB_SIZE},
                               sources=sources, defines=ZSTD)
    genuine_spec = (BOMB_SPEC % {"size": 0}).replace(
        "mkdir -p %{buildroot}%{_datadir}/lab\ntruncate -s 0 %{buildroot}%{_datadir}/lab/zeros\n",
        "").replace("%{_datadir}/lab/zeros\n", "")
    genuine_path = build.rpmbuild(os.path.join(topdir, "genuine"), genuine_spec,
                                  sources=sources, defines=ZSTD)
    with open(bomb_path, "rb") as f:
        bomb_data = f.read()
    with open(genuine_path, "rb") as f:
        genuine = f.read()
    data = genuine[:_payload_offset(genuine)] + bomb_data[_payload_offset(bomb_data):]
    path = os.path.join(topdir, "lying.rpm")
    with open(path, "wb") as f:
        f.write(data)
    return path, data


class RecordingPopen(subprocess.Popen):
    """The real Popen, remembering each child so the test can read how it ended."""

    started = []

    def __init__(self, *args, **kwargs):
        super(RecordingPopen, self).__init__(*args, **kwargs)
        RecordingPopen.started.append(self)


def test_a_decompression_bomb_is_a_data_error_with_the_child_killed(
        bomb, tmp_path, monkeypatch):
    path, data = bomb
    assert len(data) < rpmfile.PAYLOAD_LIMIT  # small to download, huge unpacked
    monkeypatch.setattr(consumer, "download", lambda url, timeout, **kwargs: data)
    monkeypatch.setattr(subprocess, "Popen", RecordingPopen)
    RecordingPopen.started[:] = []
    root = tmp_path / "root"
    root.mkdir()
    ctx = Context(root=str(root))
    tracemalloc.start()
    try:
        with pytest.raises(DataError) as exc:
            consumer.fetch(ctx, "balancer.example.test", "http", str(tmp_path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert exc.value.exit_code == ExitCode.DATAERR
    assert "katello-ca-consumer-proxy01.lab.test-1.0-2" in exc.value.message
    assert URL in exc.value.message and "4 MiB" in exc.value.message
    assert peak < PEAK_BOUND, "peak %d bytes" % peak
    [child] = RecordingPopen.started
    assert child.args[0] == "rpm2cpio"
    assert child.returncode == -9  # killed at the limit, not left to unpack 256 MiB


def test_the_same_package_without_the_bomb_is_read(tmp_path, monkeypatch):
    """The control: the lab's consumer package goes through the same real rpm2cpio path."""
    pki = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "pki")
    with open(os.path.join(pki, "ca.pem")) as f:
        ca = f.read()
    path = build.build_consumer_rpm(str(tmp_path), "proxy01.lab.test", "current", ca, ca)
    with open(path, "rb") as f:
        data = f.read()
    monkeypatch.setattr(consumer, "download", lambda url, timeout, **kwargs: data)
    root = tmp_path / "root"
    root.mkdir()
    rpm = consumer.fetch(Context(root=str(root)), "balancer.example.test", "http", str(tmp_path))
    assert rpm.fingerprint == consumer.fingerprint(ca)
    assert [entry.path for entry in rpm.payload] == [consumer.SCRIPT_PATH]
