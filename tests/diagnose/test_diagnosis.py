from lbenroll.context import Context
from lbenroll.diagnose import diagnosis, sources
from tests.conftest import seed
from tests.diagnose.conftest import CA, LB


def test_a_balancer_name_that_does_not_resolve_exits_69_and_still_checks_the_host(
        monkeypatch, root):
    seed(root, {"/etc/rhsm/rhsm.conf": "[server]\nhostname = proxy02.example.test\n"})
    monkeypatch.setattr(sources, "resolve", lambda name: (None, "does not resolve (Name or "
                                                                "service not known)"))
    found = diagnosis.run(diagnosis.Settings(LB), Context(root=str(root)))
    assert found.exit_code == 69
    assert [(r.id, r.status.value) for r in found.results][:2] == [
        ("BALANCER_ADDRESS", "failed"), ("HOST_RHSM_CONF", "failed")]
    assert "does not resolve" in found.results[0].summary


class FakeRpm(object):
    """What consumer_rpm returns: only the name of the proxy that built the package matters."""

    def __init__(self, proxy):
        self.proxy = proxy
        self.rpm = None


def source_run(monkeypatch, root, get_json, **settings):
    """A _Run whose network is fake: port 80 answers round-robin from three proxies."""
    import concurrent.futures
    import itertools
    from tests.diagnose.conftest import fake_probe
    backends = itertools.cycle(["proxy01.example.test", "proxy02.example.test",
                                "proxy03.example.test"])
    monkeypatch.setattr(diagnosis, "consumer_rpm", lambda *a, **k: FakeRpm(next(backends)))
    monkeypatch.setattr(diagnosis, "tls_probe", lambda *a, **k: fake_probe(9090, reachable=False))
    monkeypatch.setattr(sources, "foreman_api", lambda *args: get_json)
    seed(root, {"/etc/rhsm/ca/katello-server-ca.pem": CA})
    context = Context(root=str(root))
    found = diagnosis.Diagnosis(LB)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=4)
    run = diagnosis._Run(diagnosis.Settings(LB, **settings), context,
                         diagnosis.hostconf.read_host(context), pool, found)
    names = run._proxy_names(FakeRpm(None))
    pool.shutdown()
    return names, found


def test_the_foreman_api_names_the_proxies_when_a_login_is_given(monkeypatch, root):
    page = {"results": [{"id": 1, "url": "https://proxy09.example.test:9090",
                         "registration_url": "https://%s:9090" % LB}]}
    names, found = source_run(monkeypatch, root, lambda path: page, login="admin",
                              password="x", foreman="foreman.example.test")
    assert names == ["proxy09.example.test"]
    assert found.source.kind == sources.FOREMAN
    assert found.results[0].status.value == "unchanged"


def test_a_failing_foreman_api_falls_back_to_discovery_and_says_so(monkeypatch, root):
    def refuse(path):
        raise sources.SourceError("foreman.example.test refused the login 'admin' (HTTP 401)")
    names, found = source_run(monkeypatch, root, refuse, login="admin", password="x",
                              foreman="foreman.example.test")
    assert names == ["proxy01.example.test", "proxy02.example.test", "proxy03.example.test"]
    assert found.source.kind == sources.DISCOVERY
    result = found.results[0]
    assert result.status.value == "warning"
    assert result.detail == ["the Foreman API gave no proxies (foreman.example.test refused the "
                             "login 'admin' (HTTP 401)); discovered them instead"]


def test_proxies_named_on_the_command_line_are_used_as_given(monkeypatch, root):
    names, found = source_run(monkeypatch, root, None, proxies="proxy01, proxy03")
    assert names == ["proxy01", "proxy03"] and found.source.kind == sources.OPTION


def pull_mode_run(root, files):
    import concurrent.futures
    seed(root, files)
    context = Context(root=str(root))
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=4)
    run = diagnosis._Run(diagnosis.Settings(LB), context, diagnosis.hostconf.read_host(context),
                         pool, diagnosis.Diagnosis(LB))
    return run, pool


def test_pull_mode_is_not_checked_without_yggdrasil_and_makes_no_connection(root):
    run, pool = pull_mode_run(root, {})
    result = run._submit_pull_mode([], CA, 4)()
    pool.shutdown()
    assert (result.id, result.status.value) == ("BALANCER_MQTT", "skipped")
    assert "no /etc/yggdrasil/config.toml" in result.summary


def test_pull_mode_connects_through_the_balancer_and_to_each_resolved_proxy(monkeypatch, root):
    from lbenroll.diagnose import proxies, pullmode
    calls = []
    monkeypatch.setattr(pullmode, "through_balancer",
                        lambda *args: calls.append(("balancer",) + args[1:4]) or [])
    from tests.diagnose.conftest import fake_probe
    monkeypatch.setattr(pullmode, "direct", lambda proxy, *args: calls.append(
        ("direct", proxy.name)) or fake_probe(1883, reachable=False))
    run, pool = pull_mode_run(root, {"/etc/yggdrasil/config.toml":
                                     'broker = ["mqtts://%s:1883"]\n' % LB})
    states = [proxies.ProxyState("proxy01.example.test", "127.0.2.1"),
              proxies.ProxyState("proxy02.example.test", None, "does not resolve")]
    result = run._submit_pull_mode(states, CA, 3)()
    pool.shutdown()
    assert sorted(calls) == [("balancer", 1883, CA, 4), ("direct", "proxy01.example.test")]
    assert result.status.value == "skipped"  # no broker answered through the balancer


def test_with_proxies_named_and_a_login_the_api_is_still_read_once_for_registration(
        monkeypatch, root):
    asked = []

    def get_json(path):
        asked.append(path)
        return {"results": [{"id": 1, "url": "https://proxy01.example.test:9090"}]}
    names, found = source_run(monkeypatch, root, get_json, proxies="proxy01", login="admin",
                              password="x", foreman="foreman.example.test")
    assert names == ["proxy01"] and found.source.kind == sources.OPTION
    assert len(asked) == 1
