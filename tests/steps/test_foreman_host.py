"""FOREMAN_HOST against the lab's Foreman through a fake HTTP layer."""
import types

import pytest

from lbenroll import engine
from lbenroll.errors import DataError, ExitCode
from lbenroll.results import Status
from lbenroll.steps import foreman_host
from tests.lab.foreman import PASSWORD
from tests.conftest import seed
from tests.steps.conftest import CA, rhsm_conf
from lbenroll.steps.register import Register

MAC = "52:54:00:12:34:56"
FOREMAN_MODE = dict(skip=[], org="ACME Corp", hostgroup="lab/web", location="Lab",
                    password=PASSWORD, ip="127.0.3.1")


@pytest.fixture
def session(session, monkeypatch):
    """The conftest's fake Foreman, on a host with a known MAC and architecture."""
    monkeypatch.setattr(foreman_host, "local_mac", lambda: MAC)
    monkeypatch.setattr(foreman_host.platform, "machine", lambda: "x86_64")
    return session


@pytest.fixture
def host_run(make_run, tmp_path):
    def factory(**given):
        values = dict(FOREMAN_MODE)
        values.update(given)
        run = make_run(**values)
        run.consumer = types.SimpleNamespace(server_ca_pem=CA)
        run.tmpdir = str(tmp_path)
        return run
    return factory


def writes(session):
    return [(c[0], c[2]) for c in session.calls if c[0] != "GET"]


def test_runs_before_anything_on_the_host_changes():
    ids = [step.id for step in engine.STEPS]
    assert ids.index("VERIFY_BALANCER_TLS") < ids.index("FOREMAN_HOST")
    assert ids.index("FOREMAN_HOST") + 1 == ids.index("INSTALL_CONSUMER_RPM")


def test_skipped_with_skip_foreman(host_run, session):
    result = foreman_host.ForemanHost().run(host_run(skip=["foreman"]))
    assert result.status == Status.SKIPPED and session.calls == []


def test_skipped_on_repair_runs(host_run, session):
    run = host_run()
    run.options.recorded_in = "/etc/lbenroll/lbenroll.conf"
    result = foreman_host.ForemanHost().run(run)
    assert result.status == Status.SKIPPED and session.calls == []


def test_creates_the_host_like_bootstrap_py(host_run, session):
    run = host_run(comment="web server", operatingsystem="RedHat 9.4",
                   partitiontable="Kickstart default")
    result = foreman_host.ForemanHost().run(run)
    assert result.status == Status.CHANGED, result.summary
    [host] = session.foreman.hosts()
    assert host["name"] == "client01.example.test"
    assert (host["hostgroup_id"], host["organization_id"], host["location_id"],
            host["domain_id"], host["architecture_id"], host["operatingsystem_id"],
            host["ptable_id"]) == (3, 1, 2, 5, 1, 6, 7)
    assert host["ip"] == "127.0.3.1" and host["mac"] == MAC and host["comment"] == "web server"
    assert host["managed"] is True and host["build"] is False
    assert run.org_label == "ACME" and result.data["org_label"] == "ACME"
    assert writes(session) == [("POST", "/api/v2/hosts")]


def test_rerun_changes_nothing(host_run, session):
    foreman_host.ForemanHost().run(host_run())
    session.calls[:] = []
    result = foreman_host.ForemanHost().run(host_run())
    assert result.status == Status.UNCHANGED and writes(session) == []


def test_existing_host_is_updated_not_an_error(host_run, session):
    session.foreman.add_host(name="client01", domain_id=5, hostgroup_id=4, organization_id=1,
                             location_id=2, architecture_id=1, ip="127.0.3.1", managed=True)
    result = foreman_host.ForemanHost().run(host_run(force=True))
    assert result.status == Status.CHANGED and "hostgroup_id" in result.summary
    [host] = session.foreman.hosts()
    assert host["hostgroup_id"] == 3
    [(method, path)] = writes(session)
    assert method == "PUT" and path == "/api/v2/hosts/%d" % host["id"]  # never DELETE


def test_unmanaged_is_a_difference_too(host_run, session):
    foreman_host.ForemanHost().run(host_run())
    result = foreman_host.ForemanHost().run(host_run(unmanaged=True))
    assert result.status == Status.CHANGED
    assert session.foreman.hosts()[0]["managed"] is False


def test_lookup_without_match_fails_before_any_write(host_run, session):
    with pytest.raises(DataError) as error:
        foreman_host.ForemanHost().run(host_run(hostgroup="lab/nope"))
    assert error.value.exit_code == ExitCode.DATAERR
    assert 'title="lab/nope"' in error.value.message
    assert writes(session) == [] and session.foreman.hosts() == []


def test_unknown_domain_needs_add_domain(host_run, session):
    with pytest.raises(DataError) as error:
        foreman_host.ForemanHost().run(host_run(fqdn="client01.other.test"))
    assert "--add-domain" in error.value.fix


def test_add_domain_creates_it_in_org_and_location(host_run, session):
    run = host_run(fqdn="client01.other.test", add_domain=True)
    result = foreman_host.ForemanHost().run(run)
    assert result.status == Status.CHANGED and "created domain other.test" in result.detail
    domain = session.foreman._load()["domains"][-1]
    assert domain["name"] == "other.test"
    assert (domain["organization_ids"], domain["location_ids"]) == ([1], [2])
    assert session.foreman.hosts()[0]["name"] == "client01.other.test"


def test_undo_deletes_only_what_this_run_created(host_run, session, ctx):
    foreman_host.ForemanHost().run(host_run(fqdn="client01.other.test", add_domain=True))
    done, failed = ctx.undo.rollback()
    assert failed == [] and len(done) == 2
    assert session.foreman.hosts() == []
    assert [d["name"] for d in session.foreman._load()["domains"]] == ["example.test"]


def test_updated_host_is_not_deleted_on_rollback(host_run, session, ctx):
    session.foreman.add_host(name="client01", domain_id=5, hostgroup_id=4, organization_id=1)
    foreman_host.ForemanHost().run(host_run())
    assert len(ctx.undo) == 0


def test_content_source_set_when_the_balancer_is_a_smart_proxy(host_run, session):
    foreman_host.ForemanHost().run(host_run(force_content_source=True,
                                            balancer="proxy02.example.test"))
    facet = session.foreman.hosts()[0]["content_facet_attributes"]
    assert facet == {"content_source_id": 2}


def test_content_source_behind_the_balancer_is_its_lowest_id_proxy(host_run, session):
    result = foreman_host.ForemanHost().run(host_run(force_content_source=True))
    facet = session.foreman.hosts()[0]["content_facet_attributes"]
    assert facet == {"content_source_id": 1}
    assert "content source: proxy01.example.test (id 1)" in result.detail


def test_content_source_without_such_proxy_is_a_note(host_run, session):
    for proxy_id in (1, 2, 3):  # registered through another balancer
        session.foreman.set_smart_proxy(
            proxy_id, registration_url="https://elsewhere.example.test:9090")
    result = foreman_host.ForemanHost().run(host_run(force_content_source=True))
    assert result.status == Status.CHANGED
    assert any(d.startswith("no Smart Proxy for smartproxy.example.test (searched") and
               d.endswith("content source left as it is") for d in result.detail)
    assert "content_facet_attributes" not in session.foreman.hosts()[0]


def test_dry_run_only_reads(host_run, session, ctx):
    ctx.runner.dry_run = True
    result = foreman_host.ForemanHost().run(host_run())
    assert result.status == Status.CHANGED and result.summary.startswith("would create")
    assert writes(session) == [] and len(ctx.undo) == 0


def test_register_uses_the_org_label_found_in_foreman(host_run, session, root):
    seed(root, {"/etc/rhsm/rhsm.conf": rhsm_conf()})
    run = host_run(activationkey="ak-lab")
    foreman_host.ForemanHost().run(run)
    argv = Register().register_argv(run, force=False)
    assert argv[argv.index("--org") + 1] == "ACME"


def test_password_never_in_the_result(host_run, session):
    result = foreman_host.ForemanHost().run(host_run())
    text = repr(result.summary) + repr(result.detail) + repr(result.data)
    assert PASSWORD not in text


# --container-registry-certs: the proxies behind the balancer from the Foreman API.

def test_registry_proxies_are_the_balanced_content_proxies_from_the_api(host_run, session):
    run = host_run(container_registry_certs=True)
    result = foreman_host.ForemanHost().run(run)
    assert result.status == Status.CHANGED
    # The lab's 98 remote capsules register under their own names; only the three behind
    # smartproxy.example.test count, and proxy03 is on the index's second page.
    assert run.registry_proxies == ["proxy01.example.test", "proxy02.example.test",
                                    "proxy03.example.test"]
    assert ("container registry proxies behind smartproxy.example.test (Foreman API): "
            "proxy01.example.test, proxy02.example.test, proxy03.example.test") in result.detail


def test_registry_proxies_given_win_and_the_api_is_not_asked_for_them(host_run, session):
    run = host_run(container_registry_proxies="proxy09.example.test")
    foreman_host.ForemanHost().run(run)
    assert run.registry_proxies is None
    assert not any(call[2].startswith("/api/v2/smart_proxies") for call in session.calls
                   if call[0] == "GET")


def test_without_container_registry_certs_no_proxy_is_listed(host_run, session):
    run = host_run()
    foreman_host.ForemanHost().run(run)
    assert run.registry_proxies is None


def test_a_proxy_url_from_the_api_that_is_no_host_name_never_becomes_a_directory(host_run):
    # The API's answer is data from the network: a proxy "named" so as to climb out of
    # /etc/containers/certs.d (or hide in it) is left out, as the option would refuse it.
    def record(url):
        return {"url": url, "features": [
            {"name": "Pulpcore"}, {"name": "Registration", "settings": {
                "registration_url": "https://smartproxy.example.test:9090"}}]}

    class Api(object):
        def all_results(self, path):
            return [record(url) for url in (
                "https://../", "https://%2e%2e:443", "https://.hidden.example.test",
                "https://a b.example.test", "https://proxy07.example.test:443")]

    run = host_run(container_registry_certs=True)
    assert foreman_host.registry_proxies(run, Api()) == ["proxy07.example.test"]
