import pytest

from lbenroll.rpmfile import NotAnRpm, RpmPackage, cpio_files
from tests.rpmbytes import cpio, rpm


def test_reads_name_version_release():
    package = RpmPackage(rpm("katello-ca-consumer-proxy02.example.test", "1.0", "3", b"x" * 50))
    assert package.name == "katello-ca-consumer-proxy02.example.test"
    assert package.nvr == "katello-ca-consumer-proxy02.example.test-1.0-3"


def test_html_error_page_is_named_in_the_error():
    with pytest.raises(NotAnRpm) as exc:
        RpmPackage(b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>" + b" " * 80)
    assert "<!DOCTYPE html>" in str(exc.value)


def test_truncated_package_is_refused():
    data = rpm("katello-ca-consumer-p", payload=b"y" * 400)
    with pytest.raises(NotAnRpm) as exc:
        RpmPackage(data[:-100])
    assert "truncated" in str(exc.value)


def test_truncated_inside_header_is_refused():
    data = rpm("katello-ca-consumer-p")
    with pytest.raises(NotAnRpm):
        RpmPackage(data[:130])


def test_cpio_files_returns_regular_files():
    archive = cpio({"./usr/bin/katello-rhsm-consumer": b"#!/bin/bash\n", "./etc/x": b"abc"})
    assert cpio_files(archive) == {"/usr/bin/katello-rhsm-consumer": b"#!/bin/bash\n",
                                   "/etc/x": b"abc"}


def test_cpio_garbage_is_refused():
    with pytest.raises(NotAnRpm):
        cpio_files(b"not a cpio archive at all" * 10)
