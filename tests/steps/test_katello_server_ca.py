"""KATELLO_SERVER_CA: the server CA of the balancer's consumer package in /etc/rhsm/ca, as the
package's script would write it."""
import os

from lbenroll.results import Status
from lbenroll.steps.katello_server_ca import KatelloServerCa
from tests.steps.conftest import (CA, CA_SCRIPT, OTHER_CA, creates_then_keeps, real, seed_host,
                                  served)

SERVER_CA = "/etc/rhsm/ca/katello-server-ca.pem"
PEM = CA.strip() + "\n"


def test_the_server_and_default_cas_come_from_their_own_blocks(make_run, tmp_path):
    run = served(make_run(), tmp_path, CA_SCRIPT)
    assert run.consumer.server_ca_pem == PEM
    assert run.consumer.default_ca_pem == OTHER_CA.strip() + "\n"


def test_the_server_ca_is_written_then_changes_nothing(make_run, root, tmp_path):
    run = served(make_run(), tmp_path, CA_SCRIPT)
    creates_then_keeps(KatelloServerCa, run, root, SERVER_CA, PEM.encode())


def test_the_server_ca_needs_the_consumer_package_installed():
    assert KatelloServerCa.requires == ("INSTALL_CONSUMER_RPM",)


def test_a_server_ca_of_another_proxy_is_replaced(make_run, root, tmp_path):
    seed_host(root, {SERVER_CA: OTHER_CA})
    result = KatelloServerCa().run(served(make_run(), tmp_path, CA_SCRIPT))
    assert result.status == Status.CHANGED
    assert result.detail == [SERVER_CA + ": replaced: it held another certificate"]
    assert (root / SERVER_CA.lstrip("/")).read_text() == PEM


def test_a_dry_run_says_what_it_would_write_and_writes_nothing(make_run, root, fake_runner,
                                                               tmp_path):
    fake_runner.dry_run = True
    result = KatelloServerCa().run(served(make_run(), tmp_path, CA_SCRIPT))
    assert result.status == Status.CHANGED and SERVER_CA in result.summary
    assert not os.path.exists(real(root, SERVER_CA))
