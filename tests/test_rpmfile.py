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


def test_header_digests_say_which_file_content_is_the_packages():
    script = b"#!/bin/bash\necho configure\n"
    package = RpmPackage(rpm("katello-ca-consumer-p", files={
        "/usr/bin/katello-rhsm-consumer": script, "/etc/rhsm/ca/x.pem": b"pem"}))
    assert package.digest_algorithm == "sha256"
    assert package.carries("/usr/bin/katello-rhsm-consumer", script)
    assert package.carries("/etc/rhsm/ca/x.pem", b"pem")
    assert not package.carries("/usr/bin/katello-rhsm-consumer", script + b"# edited\n")
    assert not package.carries("/usr/bin/katello-rhsm-consumer", None)
    assert not package.carries("/usr/bin/other", script)


def test_a_package_without_file_digests_carries_nothing():
    assert not RpmPackage(rpm("katello-ca-consumer-p")).carries("/usr/bin/x", b"")


def test_an_algorithm_the_host_refuses_carries_nothing(monkeypatch):
    package = RpmPackage(rpm("katello-ca-consumer-p", files={"/usr/bin/x": b"x"}))

    def refused(name, data=b""):  # hashlib under FIPS refuses MD5 this way
        raise ValueError("unsupported hash type %s" % name)
    monkeypatch.setattr("lbenroll.rpmfile.hashlib.new", refused)
    assert not package.carries("/usr/bin/x", b"x")
