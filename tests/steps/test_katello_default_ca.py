"""KATELLO_DEFAULT_CA: Katello's default CA of the balancer's consumer package in /etc/rhsm/ca,
as the package's script would write it; a script without one gives the server CA."""
from lbenroll import fileio
from lbenroll.results import Status
from lbenroll.steps.katello_default_ca import KatelloDefaultCa
from tests.steps.conftest import CA, CA_SCRIPT, OTHER_CA, creates_then_keeps, seed_host, served

DEFAULT_CA = "/etc/rhsm/ca/katello-default-ca.pem"
PEM = CA.strip() + "\n"
DEFAULT_PEM = OTHER_CA.strip() + "\n"


def test_the_default_ca_is_written_then_changes_nothing(make_run, root, tmp_path):
    run = served(make_run(), tmp_path, CA_SCRIPT)
    creates_then_keeps(KatelloDefaultCa, run, root, DEFAULT_CA, DEFAULT_PEM.encode())


def test_the_default_ca_needs_the_consumer_package_installed():
    assert KatelloDefaultCa.requires == ("INSTALL_CONSUMER_RPM",)


def test_a_script_without_a_default_ca_block_uses_the_server_ca(make_run, root, tmp_path):
    script = "read -r -d '' KATELLO_SERVER_CA_DATA << EOM || true\n%s\nEOM\nPORT=443\n" % (
        CA.strip())
    run = served(make_run(), tmp_path, script)
    assert KatelloDefaultCa().run(run).status == Status.CHANGED
    assert (root / DEFAULT_CA.lstrip("/")).read_text() == PEM


def test_a_default_ca_of_another_katello_is_replaced_and_undone(make_run, root, tmp_path):
    seed_host(root, {DEFAULT_CA: CA})
    run = served(make_run(), tmp_path, CA_SCRIPT)
    result = KatelloDefaultCa().run(run)
    assert result.status == Status.CHANGED
    assert result.detail == [DEFAULT_CA + ": replaced: it held another certificate"]
    assert fileio.read_bytes(run.ctx, DEFAULT_CA) == DEFAULT_PEM.encode()
    run.ctx.undo.rollback()
    assert fileio.read_bytes(run.ctx, DEFAULT_CA) == CA.encode()
