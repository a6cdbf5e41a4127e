"""FETCH_CONSUMER_RPM: the consumer package the balancer serves, downloaded (the download is the
edge faked here), unpacked with rpm2cpio through the fake runner, and checked against the CAs the
host trusts before anything changes."""
import os

import pytest

from lbenroll import consumer
from lbenroll.errors import ConfigError, ExitCode
from lbenroll.results import Status
from lbenroll.steps.fetch_consumer_rpm import FetchConsumerRpm
from tests.conftest import DATA, seed
from tests.rpmbytes import cpio, rpm
from tests.steps.conftest import BALANCER, CA, CA_SCRIPT, OTHER_CA

PACKAGE = "katello-ca-consumer-proxy02.example.test"
PAYLOAD = cpio({"./usr/bin/katello-rhsm-consumer": CA_SCRIPT.encode()})
SERVED = rpm(PACKAGE, "1.0", "3", PAYLOAD)
CA_SHA256 = open(os.path.join(DATA, "pki", "ca.sha256")).read().strip()
OTHER_SHA256 = consumer.fingerprint(OTHER_CA)
RPM_URL = "%s://" + BALANCER + "/pub/katello-ca-consumer-latest.noarch.rpm"


@pytest.fixture
def balancer(monkeypatch, fake_runner):
    """The balancer serves proxy02's package; records each download as (url, cadata)."""
    downloads = []

    def download(url, timeout, cadata=None):
        downloads.append((url, cadata))
        return SERVED
    monkeypatch.setattr(consumer, "download", download)
    fake_runner.expect(["rpm2cpio"], 0, PAYLOAD)
    return downloads


def fetch(make_run, tmp_path, **given):
    run = make_run(**given)
    run.tmpdir = str(tmp_path)
    return run, FetchConsumerRpm().run(run)


def test_first_contact_downloads_unverified_and_says_so(make_run, tmp_path, balancer,
                                                        fake_runner):
    run, result = fetch(make_run, tmp_path, download_method="http")
    assert (result.id, result.status) == ("FETCH_CONSUMER_RPM", Status.UNCHANGED)
    assert result.summary == "proxy02.example.test served %s-1.0-3" % PACKAGE
    assert balancer == [(RPM_URL % "http", None)]  # --download-method, with no CA to verify
    assert [call[:2] for call in fake_runner.calls] == [
        ["rpm2cpio", os.path.join(str(tmp_path), "consumer.rpm")]]
    assert result.detail[:2] == [
        "answering proxy: proxy02.example.test",
        "package: %s-1.0-3 (%d bytes, first contact: not verified, nothing to verify it with)"
        % (PACKAGE, len(SERVED))]
    assert result.detail[2] == "Katello CA SHA-256: %s" % consumer.pretty_fingerprint(CA_SHA256)
    # The default CA differs from the server CA: its fingerprint is shown too.
    assert result.detail[3] == "default CA SHA-256: %s" % consumer.pretty_fingerprint(OTHER_SHA256)
    assert result.data == {"answering_proxy": "proxy02.example.test",
                           "package": "%s-1.0-3" % PACKAGE, "ca_sha256": CA_SHA256,
                           "verified": False, "cas_sha256": [CA_SHA256, OTHER_SHA256]}
    assert run.consumer.path == os.path.join(str(tmp_path), "consumer.rpm")
    assert run.answering_proxy == "proxy02.example.test"


def test_a_host_that_trusts_the_katello_cas_downloads_over_https_verified(make_run, root,
                                                                          tmp_path, balancer):
    seed(root, {"/etc/rhsm/ca/katello-server-ca.pem": CA,
                "/etc/rhsm/ca/katello-default-ca.pem": OTHER_CA})
    _, result = fetch(make_run, tmp_path)
    assert result.status == Status.UNCHANGED and result.data["verified"] is True
    assert [url for url, _ in balancer] == [RPM_URL % "https"]
    assert CA.strip() in balancer[0][1] and OTHER_CA.strip() in balancer[0][1]
    assert "HTTPS verified against the Katello CA" in result.detail[1]


def test_a_package_of_another_katello_is_refused_before_anything_changes(make_run, root,
                                                                        tmp_path, balancer):
    seed(root, {"/etc/rhsm/ca/katello-server-ca.pem": OTHER_CA})
    run = make_run(ca_fingerprint=[CA_SHA256, OTHER_SHA256])
    run.tmpdir = str(tmp_path)
    with pytest.raises(ConfigError) as error:
        FetchConsumerRpm().run(run)
    assert error.value.exit_code == ExitCode.CONFIG and "--rotate-ca" in error.value.message
    assert run.consumer is None and len(run.ctx.undo) == 0


def test_a_rotation_asked_for_is_a_warning_to_confirm(make_run, root, tmp_path, balancer):
    seed(root, {"/etc/rhsm/ca/katello-server-ca.pem": OTHER_CA})
    _, result = fetch(make_run, tmp_path, rotate_ca=True,
                      ca_fingerprint=[CA_SHA256, OTHER_SHA256])
    assert result.status == Status.WARNING
    assert result.remediation == "confirm the Katello CA was really rotated"
    assert ("the server CA SHA-256 %s replaces the one this host trusted, as --rotate-ca asked"
            % consumer.pretty_fingerprint(CA_SHA256)) in result.detail


def test_it_runs_after_the_preflight():
    assert FetchConsumerRpm.requires == ("PREFLIGHT",)
