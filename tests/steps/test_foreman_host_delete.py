"""FOREMAN_HOST_DELETE: the host record is deleted through the lab's Foreman without sockets."""
from lbenroll.results import Status
from tests.conftest import seed
from tests.lab.foreman import PASSWORD
from tests.steps.conftest import CA
from lbenroll.steps.foreman_host_delete import ForemanHostDelete


def foreman_run(remove_run, root, **given):
    seed(root, {"/etc/rhsm/ca/katello-server-ca.pem": CA})
    values = dict(skip=[], password=PASSWORD)
    values.update(given)
    return remove_run(**values)


def test_foreman_host_is_deleted(remove_run, session, root):
    old = session.foreman.add_host(name="client01", domain_id=5, hostgroup_id=3,
                                   organization_id=1, location_id=2, architecture_id=1)
    result = ForemanHostDelete().run(foreman_run(remove_run, root))
    assert result.status == Status.CHANGED and result.data == {"host_id": old["id"]}
    assert session.foreman.hosts() == []
    assert [c[0] for c in session.calls if c[0] != "GET"] == ["DELETE"]


def test_absent_foreman_host_is_unchanged(remove_run, session, root):
    result = ForemanHostDelete().run(foreman_run(remove_run, root))
    assert result.status == Status.UNCHANGED
    assert all(c[0] == "GET" for c in session.calls)


def test_foreman_dry_run_deletes_nothing(remove_run, session, root, fake_runner):
    session.foreman.add_host(name="client01", domain_id=5, hostgroup_id=3, organization_id=1,
                             location_id=2, architecture_id=1)
    fake_runner.dry_run = True
    result = ForemanHostDelete().run(foreman_run(remove_run, root))
    assert result.status == Status.CHANGED and result.summary.startswith("would delete")
    assert len(session.foreman.hosts()) == 1


def test_foreman_skipped(remove_run, session):
    result = ForemanHostDelete().run(remove_run())
    assert result.status == Status.SKIPPED and session.calls == []
