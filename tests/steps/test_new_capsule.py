"""--new-capsule: validation, PREFLIGHT and REGISTER keep the identity, the Smart Proxy choice and
the Foreman host record moved through a fake HTTP layer to the lab's Foreman."""
import types

import pytest

from lbenroll import foreman, options
from lbenroll.errors import DataError, ExitCode, LbenrollError, UsageError
from lbenroll.results import Status
from lbenroll.steps import foreman_host
from lbenroll.steps.preflight import Preflight
from lbenroll.writers.lbenroll_conf import parse, recorded_values
from tests.lab.foreman import PASSWORD
from tests.steps.conftest import CA, make_options, rhsm_conf, seed_host, sm
from tests.steps.test_preflight import _preflight_runner
from tests.steps.test_register import IDENTITY
from lbenroll.steps.record_options import RecordOptions, merged
from lbenroll.steps.register import Register

NEW = "lb2.example.test"
FQDN = "client01.example.test"
CONSUMER_CERT = "/etc/pki/consumer/cert.pem"
KATELLO_CA = "/etc/rhsm/ca/katello-server-ca.pem"
MOVE = dict(balancer=NEW, new_capsule=True, skip=[], password=PASSWORD,
            activationkey=None, org=None)


# -- validation ---------------------------------------------------------------------------------

def test_new_capsule_is_supported_and_needs_no_hostgroup_or_key():
    moved = make_options(**MOVE)
    assert moved.new_capsule and moved.hostgroup is None and moved.activationkey is None
    assert options.BY_DEST["new_capsule"].status == options.SUPPORTED


@pytest.mark.parametrize("other", ["force", "remove"])
def test_new_capsule_with_force_or_remove_is_refused(other):
    with pytest.raises(UsageError) as error:
        make_options(**dict(MOVE, **{other: True}))
    assert error.value.exit_code == ExitCode.USAGE
    assert "--new-capsule" in error.value.message and "--" + other in error.value.message


def test_hostgroup_is_still_required_without_new_capsule():
    with pytest.raises(UsageError) as error:
        make_options(skip=[], password=PASSWORD)
    assert "-g/--hostgroup" in error.value.message


def test_the_record_keeps_the_new_server_not_the_move():
    rows = dict(recorded_values(make_options(**MOVE)))
    assert rows["server"] == NEW and "new-capsule" not in rows


def test_a_move_keeps_what_the_enrollment_recorded_but_its_balancer_settings(make_run, root):
    seed_host(root, {"/etc/lbenroll/lbenroll.conf": (
        "server = smartproxy.example.test\npuppet-ca-server = smartproxy.example.test\n"
        "puppet-ca-port = 8141\nrex = true\nhostgroup = lab/web\nskip = foreman\n")})
    run = make_run(**dict(MOVE, skip=["foreman"], password=None, puppet_ca_port=None))
    result = RecordOptions().run(run)
    assert result.status == Status.CHANGED
    rows = parse(open(str(root / "etc/lbenroll/lbenroll.conf")).read())
    assert rows == {"server": NEW, "fqdn": FQDN, "skip": "foreman", "rex": "true",
                    "hostgroup": "lab/web"}  # no ca_port: the move left it out


def test_merged_rows_follow_the_option_table_and_this_run_wins():
    before = {"rex": "true", "fqdn": "old.example.test", "server": "old", "puppet-ca-port": "1"}
    rows = merged(before, [("server", NEW), ("fqdn", FQDN)])
    assert rows == [("server", NEW), ("fqdn", FQDN), ("rex", "true")]


# -- PREFLIGHT and REGISTER ---------------------------------------------------------------------

@pytest.mark.parametrize("files,missing", [
    ({}, [CONSUMER_CERT, KATELLO_CA]),
    ({CONSUMER_CERT: "cert"}, [KATELLO_CA]),
    ({KATELLO_CA: CA}, [CONSUMER_CERT]),
])
def test_preflight_refuses_to_move_a_host_that_is_not_registered(
        make_run, fake_runner, root, resolvable, files, missing):
    seed_host(root, files)
    _preflight_runner(fake_runner, root)
    with pytest.raises(LbenrollError) as error:
        Preflight().run(make_run(**dict(MOVE, skip=["foreman"])))
    assert error.value.exit_code == ExitCode.USAGE
    assert all(path in error.value.message for path in missing)
    assert "drop --new-capsule" in error.value.fix


def test_preflight_moves_a_registered_host_without_a_key(make_run, fake_runner, root,
                                                         resolvable):
    seed_host(root, {CONSUMER_CERT: "cert", KATELLO_CA: CA})
    _preflight_runner(fake_runner, root)
    result = Preflight().run(make_run(**dict(MOVE, skip=["foreman"])))
    assert result.status == Status.WARNING  # only the missing os-release


def test_register_keeps_the_identity(make_run, fake_runner, root):
    seed_host(root, {"/etc/rhsm/rhsm.conf": rhsm_conf()})
    fake_runner.expect(sm(root, "identity"), 0, IDENTITY)
    result = Register().run(make_run(**dict(MOVE, skip=["foreman"])))
    assert result.status == Status.UNCHANGED and "5d3c-uuid" in result.summary
    assert fake_runner.calls == [sm(root, "identity")]


def test_register_never_registers_a_refused_identity_even_with_a_key(make_run, fake_runner,
                                                                      root):
    seed_host(root, {"/etc/rhsm/rhsm.conf": rhsm_conf()})
    fake_runner.expect(sm(root, "identity"), 1, "", "This system is not yet registered.")
    with pytest.raises(UsageError) as error:
        Register().run(make_run(**dict(MOVE, skip=["foreman"], activationkey="ak-lab")))
    assert "drop --new-capsule" in error.value.fix
    assert fake_runner.calls == [sm(root, "identity")]


# -- the Smart Proxy for a name -----------------------------------------------------------------

class Api(object):
    """Just the two calls smart_proxies_for makes, answered from a list of records."""

    def __init__(self, proxies):
        self.proxies = proxies

    def find(self, resource, field, value):
        found = [p for p in self.proxies if p.get(field) == value]
        return found[0] if found else None

    def all_results(self, path):
        return list(self.proxies)


def proxy(id, name, features=None, **urls):
    record = dict({"id": id, "name": name, "url": "https://%s:9090" % name}, **urls)
    if features is not None:
        record["features"] = [{"id": n, "name": f} for n, f in enumerate(features)]
    return record


BEHIND_NEW = dict(registration_url="https://%s:9090" % NEW)


def test_the_proxy_named_like_the_server_wins():
    api = Api([proxy(1, "a.example.test", **BEHIND_NEW), proxy(7, NEW)])
    choice = foreman.smart_proxies_for(api, NEW)
    assert [p["id"] for p in choice.proxies] == [7] and 'name="%s"' % NEW in choice.searched


def test_behind_a_balancer_the_lowest_id_of_its_proxies_wins():
    api = Api([proxy(9, "c.example.test", **BEHIND_NEW), proxy(3, "b.example.test"),
               proxy(4, "a.example.test", **BEHIND_NEW),
               proxy(2, "old.example.test", registration_url="https://lb1.example.test:9090"),
               dict(proxy(5, "t.example.test"), features=[
                   {"name": "Templates", "settings": {"template_url": "http://%s:8000" % NEW}}])])
    choice = foreman.smart_proxies_for(api, NEW)
    assert [p["id"] for p in choice.proxies] == [4, 5, 9]
    assert choice.first()["id"] == 4


def test_a_proxy_whose_own_url_names_the_server_counts():
    api = Api([proxy(3, "b.example.test", url="https://LB2.example.test.:8443")])
    assert [p["id"] for p in foreman.smart_proxies_for(api, NEW).proxies] == [3]


def test_features_decide_when_the_api_lists_them():
    api = Api([proxy(1, "a.example.test", ["Pulpcore", "Puppet"], **BEHIND_NEW),
               proxy(2, "b.example.test", ["Puppet", "Puppet CA"], **BEHIND_NEW),
               proxy(3, "c.example.test", **BEHIND_NEW)])
    choice = foreman.smart_proxies_for(api, NEW)
    assert [choice.first(f)["id"] for f in (None, "Puppet", "Puppet CA")] == [1, 1, 2]
    assert foreman.has_feature(api.proxies[2], "Puppet CA")  # no list: the API did not say
    assert not foreman.has_feature(proxy(4, "d", []), "Puppet")


def test_no_proxy_for_the_server():
    choice = foreman.smart_proxies_for(Api([proxy(1, "a.example.test")]), NEW)
    assert choice.proxies == [] and choice.first() is None


# -- FOREMAN_HOST -------------------------------------------------------------------------------

@pytest.fixture
def move_run(make_run, tmp_path):
    def factory(**given):
        run = make_run(**dict(MOVE, **given))
        run.consumer = types.SimpleNamespace(server_ca_pem=CA)
        run.tmpdir = str(tmp_path)
        return run
    return factory


def behind_new(session, *ids):
    for proxy_id in ids:
        session.foreman.set_smart_proxy(proxy_id, registration_url="https://%s:9090" % NEW)


def enrolled_host(session, **fields):
    return session.foreman.add_host(**dict(dict(
        name="client01", domain_id=5, hostgroup_id=3, organization_id=1, location_id=2), **fields))


def writes(session):
    return [(c[0], c[2]) for c in session.calls if c[0] != "GET"]


def test_move_needs_an_existing_host_record(move_run, session):
    with pytest.raises(DataError) as error:
        foreman_host.ForemanHost().run(move_run())
    assert error.value.exit_code == ExitCode.DATAERR
    assert 'name="%s"' % FQDN in error.value.message
    assert error.value.fix == foreman_host.ENROLL_INSTEAD
    assert writes(session) == []


def test_move_sets_content_source_and_puppet_proxies_then_changes_nothing(move_run, session):
    host = enrolled_host(session)
    behind_new(session, 1, 2, 3)
    result = foreman_host.ForemanHost().run(move_run())
    assert result.status == Status.CHANGED, result.summary
    assert writes(session) == [("PUT", "/api/v2/hosts/%d" % host["id"])]
    [moved] = session.foreman.hosts()
    assert moved["content_facet_attributes"] == {"content_source_id": 1}
    assert (moved["puppet_proxy_id"], moved["puppet_ca_proxy_id"]) == (1, 1)
    assert moved["hostgroup_id"] == 3  # no -g: left alone
    assert "the content source: proxy01.example.test (id 1)" in result.detail
    assert not any("organizations" in c[2] for c in session.calls)  # never registers: no org

    session.calls[:] = []
    again = foreman_host.ForemanHost().run(move_run())
    assert again.status == Status.UNCHANGED and writes(session) == []


def test_puppet_ca_proxy_needs_the_feature(move_run, session):
    enrolled_host(session)
    behind_new(session, 2, 3)
    result = foreman_host.ForemanHost().run(move_run())
    [moved] = session.foreman.hosts()
    assert moved["content_facet_attributes"] == {"content_source_id": 2}
    assert moved["puppet_proxy_id"] == 2 and "puppet_ca_proxy_id" not in moved
    assert result.status == Status.WARNING
    assert "no Smart Proxy with the Puppet CA feature for %s" % NEW in result.summary
    assert any("proxy02.example.test (id 2), proxy03.example.test (id 3)" in d
               for d in result.detail)


def test_skip_puppet_moves_the_content_source_only(move_run, session):
    enrolled_host(session)
    behind_new(session, 1)
    foreman_host.ForemanHost().run(move_run(skip=["puppet"]))
    [moved] = session.foreman.hosts()
    assert moved["content_facet_attributes"] == {"content_source_id": 1}
    assert "puppet_proxy_id" not in moved and "puppet_ca_proxy_id" not in moved


def test_hostgroup_and_location_switch_when_given(move_run, session):
    enrolled_host(session, hostgroup_id=4, location_id=None)
    behind_new(session, 1)
    foreman_host.ForemanHost().run(move_run(hostgroup="lab/web", location="Lab"))
    [moved] = session.foreman.hosts()
    assert (moved["hostgroup_id"], moved["location_id"]) == (3, 2)


def test_no_proxy_for_the_new_server_is_a_warning_naming_the_search(move_run, session):
    enrolled_host(session)
    result = foreman_host.ForemanHost().run(move_run())
    assert result.status == Status.WARNING and writes(session) == []
    assert 'searched name="%s", then every Smart Proxy for a URL or registration URL on %s' % (
        NEW, NEW) in result.summary
    assert "content source left as it is" in result.summary


def test_the_proxy_named_like_the_server_is_used_as_bootstrap_py_does(move_run, session):
    enrolled_host(session)
    result = foreman_host.ForemanHost().run(move_run(balancer="proxy02.example.test"))
    [moved] = session.foreman.hosts()
    assert moved["content_facet_attributes"] == {"content_source_id": 2}
    assert moved["puppet_proxy_id"] == 2 and result.status == Status.WARNING  # no Puppet CA


def test_dry_run_only_reads(move_run, session, ctx):
    enrolled_host(session)
    behind_new(session, 1)
    ctx.runner.dry_run = True
    result = foreman_host.ForemanHost().run(move_run())
    assert result.status == Status.CHANGED and result.summary.startswith("would move")
    assert writes(session) == [] and len(ctx.undo) == 0


def test_rollback_puts_the_old_proxies_back(move_run, session, ctx):
    enrolled_host(session, content_facet_attributes={"content_source_id": 3},
                  puppet_proxy_id=3)
    behind_new(session, 1)
    foreman_host.ForemanHost().run(move_run())
    done, failed = ctx.undo.rollback()
    assert failed == [] and len(done) == 1
    [host] = session.foreman.hosts()
    assert host["content_facet_attributes"] == {"content_source_id": 3}
    assert (host["puppet_proxy_id"], host.get("puppet_ca_proxy_id")) == (3, None)


# -- the OpenSCAP proxy, as bootstrap.py moves it (openscap_proxy_id) -----------------------------

def without_openscap(session, *ids):
    from tests.lab.foreman import proxy_features
    for proxy_id in ids:
        name = "proxy%02d.example.test" % proxy_id
        session.foreman.set_smart_proxy(proxy_id, features=[
            f for f in proxy_features(name) if f["name"] != "Openscap"])


def test_move_sets_the_openscap_proxy_to_a_proxy_listing_the_feature(move_run, session):
    host = enrolled_host(session, openscap_proxy_id=3)
    behind_new(session, 1, 2, 3)
    without_openscap(session, 1)
    result = foreman_host.ForemanHost().run(move_run())
    assert result.status == Status.CHANGED, result.summary
    [moved] = session.foreman.hosts()
    assert moved["openscap_proxy_id"] == 2
    assert "the OpenSCAP proxy: proxy02.example.test (id 2)" in result.detail
    assert "openscap_proxy_id: 3 -> 2" in result.detail
    assert writes(session) == [("PUT", "/api/v2/hosts/%d" % host["id"])]


def test_no_openscap_proxy_behind_the_server_and_none_before_is_only_a_note(move_run, session):
    enrolled_host(session)
    behind_new(session, 1, 2, 3)
    without_openscap(session, 1, 2, 3)
    result = foreman_host.ForemanHost().run(move_run())
    assert result.status == Status.CHANGED, result.summary
    assert "openscap_proxy_id" not in session.foreman.hosts()[0]
    assert "no Smart Proxy with the Openscap feature for %s: no OpenSCAP proxy set" % NEW in (
        result.detail)


def test_an_openscap_proxy_that_cannot_move_is_a_warning(move_run, session):
    enrolled_host(session, openscap_proxy_id=3)
    behind_new(session, 1, 2)
    without_openscap(session, 1, 2)
    result = foreman_host.ForemanHost().run(move_run())
    assert result.status == Status.WARNING
    assert "the OpenSCAP proxy (id 3) left as it is" in result.summary
    assert session.foreman.hosts()[0]["openscap_proxy_id"] == 3


def test_rollback_puts_the_old_openscap_proxy_back(move_run, session, ctx):
    enrolled_host(session, openscap_proxy_id=3)
    behind_new(session, 1)
    foreman_host.ForemanHost().run(move_run())
    assert session.foreman.hosts()[0]["openscap_proxy_id"] == 1
    done, failed = ctx.undo.rollback()
    assert failed == [] and session.foreman.hosts()[0]["openscap_proxy_id"] == 3
