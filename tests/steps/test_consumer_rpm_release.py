"""INSTALL_CONSUMER_RPM and a rebuilt proxy: a newer build of the same package is installed;
another proxy's package (any release) with the same CA is not churned."""
import pytest

from tests.conftest import rpm_answer, rpm_qa
from lbenroll import consumer
from lbenroll.results import Status
from tests.rpmbytes import cpio, rpm
from tests.steps.conftest import CA, rhsm_conf, seed_host
from lbenroll.steps.install_consumer_rpm import InstallConsumerRpm

NAME = "katello-ca-consumer-proxy02.example.test"
SCRIPT = "read -r -d '' KATELLO_SERVER_CA_DATA << EOM || true\n%s\nEOM\nPORT=443\n" % CA.strip()


def served(run, tmp_path, release):
    payload = cpio({"./usr/bin/katello-rhsm-consumer": SCRIPT.encode()})
    data = rpm(NAME, release=release, payload=payload)
    run.consumer = consumer.parse("http://x/pub/c.rpm", data, lambda consume: consume(payload))
    run.consumer.path = str(tmp_path / "consumer.rpm")
    (tmp_path / "consumer.rpm").write_bytes(data)
    return run


def installed(fake_runner, root, *nvrs):
    seed_host(root, {"/etc/rhsm/ca/katello-server-ca.pem": CA, "/etc/rhsm/rhsm.conf": rhsm_conf(),
                     "/usr/bin/katello-rhsm-consumer": SCRIPT})
    fake_runner.expect(rpm_qa(root), 0, rpm_answer(*nvrs))
    fake_runner.expect(["rpm", "--root", str(root), "-e"], 0)
    fake_runner.expect(["rpm", "--root", str(root), "-U"], 0)


def test_newer_release_of_the_installed_package_is_installed(make_run, fake_runner, root,
                                                             tmp_path):
    installed(fake_runner, root, NAME + "-1.0-1")
    run = served(make_run(), tmp_path, "2")
    result = InstallConsumerRpm().run(run)
    assert result.status == Status.CHANGED and result.summary == "installed %s-1.0-2" % NAME
    assert "%s-1.0-2 is served, newer than the installed %s-1.0-1 (a rebuilt proxy)" % (
        NAME, NAME) in result.detail
    # rpm -U replaces the older build in one transaction: nothing is erased on its own.
    assert [call[3:5] for call in fake_runner.calls[1:]] == [["-U", "--replacepkgs"]]
    # Its undo puts the older build back from the copy kept when it was installed, or says
    # what to run.
    done, failed = run.ctx.undo.rollback()
    assert failed and "no copy of %s-1.0-1 is kept" % NAME in failed[0]


def test_release_order_is_rpms_not_the_strings(make_run, fake_runner, root, tmp_path):
    installed(fake_runner, root, NAME + "-1.0-9")
    assert InstallConsumerRpm().run(served(make_run(), tmp_path, "10")).status == Status.CHANGED


@pytest.mark.parametrize("installed_nvr,release", [
    (NAME + "-1.0-2", "2"),  # the same build
    (NAME + "-1.0-2", "1"),  # an older build than installed: never downgrade
    ("katello-ca-consumer-proxy01.example.test-1.0-1", "2"),  # another proxy's package
])
def test_same_ca_without_an_older_build_of_the_served_package_is_unchanged(
        make_run, fake_runner, root, tmp_path, installed_nvr, release):
    installed(fake_runner, root, installed_nvr)
    result = InstallConsumerRpm().run(served(make_run(), tmp_path, release))
    assert result.status == Status.UNCHANGED
    assert len(fake_runner.calls) == 1  # only the query
