from lbenroll.context import Context
from lbenroll.diagnose import diagnosis, sources
from lbenroll.diagnose.verdicts import failed, passed
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


def test_a_balancer_name_that_does_not_resolve_is_never_suggested_to_enroll_through(
        monkeypatch, root):
    # Issue 19: the host checks' fixes ran `lbenroll --server NAME` (or "enroll this host
    # through the balancer") with the very name that just failed to resolve.
    seed(root, {"/etc/rhsm/rhsm.conf": "[server]\nhostname = proxy02.example.test\n",
                "/etc/puppetlabs/puppet/puppet.conf": "[agent]\nserver = proxy02.example.test\n",
                "/etc/yum.repos.d/redhat.repo": "[r]\nbaseurl = https://proxy02.example.test"
                                                "/pulp/content/x\nenabled = 1\n"})
    monkeypatch.setattr(sources, "resolve", lambda name: (None, "does not resolve (Name or "
                                                                "service not known)"))
    found = diagnosis.run(diagnosis.Settings(LB), Context(root=str(root)))
    fixes = [r.remediation for r in found.results[1:] if r.remediation]
    assert len(fixes) >= 3, [(r.id, r.status, r.remediation) for r in found.results]
    for fix in fixes:
        assert "lbenroll --server" not in fix and "enroll this host" not in fix, fix
        assert fix.startswith("first make %s resolve (BALANCER_ADDRESS)" % LB), fix


def test_without_rhsm_conf_an_unresolved_balancer_is_not_suggested_either(monkeypatch, root):
    monkeypatch.setattr(sources, "resolve", lambda name: (None, "does not resolve"))
    found = diagnosis.run(diagnosis.Settings(LB), Context(root=str(root)))
    [rhsm] = [r for r in found.results if r.id == "HOST_RHSM_CONF"]
    assert "enroll" not in rhsm.remediation.split(";")[0], rhsm.remediation


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


def test_round_two_runs_the_table_and_a_check_is_one_line_of_it(monkeypatch, root):
    """A check the runner has never heard of: its line in the table is all it takes."""
    import concurrent.futures

    from lbenroll.diagnose import checks, hostconf
    from lbenroll.diagnose.proxies import ProxyState
    from lbenroll.diagnose.trust import KatelloCa
    from tests.diagnose.conftest import fake_probe
    asked = []

    def start(known, proxy):
        asked.append(proxy.name)
        return {"port": known.submit(lambda: 443)}

    def judge_each(known, proxy, answer):
        return failed("PROXY_NEW", proxy.name, "answered on %d" % answer["port"], "fix it")

    def judge_all(known, proxies, answers):
        return {p.name: passed("PROXIES_NEW", p.name, "%d compared" % len(answers))
                for p in proxies}
    monkeypatch.setattr(diagnosis, "CHECKS", (
        checks.Check("BALANCER_NEW", checks.BALANCER, (), lambda known: None,
                     lambda known, answer: [passed("BALANCER_NEW", LB, "%d up" % len(known.up))]),
        checks.Check("PROXY_NEW", checks.PROXY, (checks.ANSWERS, checks.KATELLO_CA), start,
                     judge_each),
        checks.Check("PROXIES_NEW", checks.PROXIES, (checks.ANSWERS,), start, judge_all)))
    up, down, unresolved = (ProxyState("proxy01.example.test", "127.0.2.1"),
                            ProxyState("proxy02.example.test", "127.0.2.2"),
                            ProxyState("proxy03.example.test", None, "does not resolve"))
    up.https, down.https = fake_probe(443), fake_probe(443, reachable=False)
    context = Context(root=str(root))
    found = diagnosis.Diagnosis(LB)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        run = diagnosis._Run(diagnosis.Settings(LB), context, hostconf.read_host(context), pool,
                             found)
        run._via_8141 = pool.submit(lambda: (None, None))
        run._round_two([up, down, unresolved], KatelloCa(CA, "served"))
    assert asked == ["proxy01.example.test"]  # one request, shared by both checks
    assert [(r.id, r.data["target"], r.status.value, r.summary) for r in found.results] == [
        ("BALANCER_NEW", LB, "unchanged", "1 up"),
        ("PROXY_NEW", up.name, "failed", "answered on 443"),
        ("PROXY_NEW", down.name, "skipped", "not checked: proxy02.example.test does not answer"),
        ("PROXY_NEW", unresolved.name, "skipped",
         "not checked: proxy03.example.test does not resolve"),
        ("PROXIES_NEW", up.name, "unchanged", "1 compared"),
        ("PROXIES_NEW", down.name, "skipped", "not checked: proxy02.example.test does not answer"),
        ("PROXIES_NEW", unresolved.name, "skipped",
         "not checked: proxy03.example.test does not resolve")]


def test_a_proxy_that_answers_but_lacks_a_need_is_skipped_and_told_why(monkeypatch, root):
    from lbenroll.diagnose import checks, proxies
    from tests.diagnose.conftest import fake_probe
    proxy = proxies.ProxyState("proxy01.example.test", "127.0.2.1")
    proxy.https = fake_probe(443)
    check = checks.Check("PROXY_NEW", checks.PROXY, (checks.ANSWERS, checks.KATELLO_CA), None,
                         lambda known, proxy, answer: passed("PROXY_NEW", proxy.name, "ok"))
    known = diagnosis.Known(LB, 5, None, None, [proxy])
    [result] = diagnosis._Run._proxy_results(None, check, known, {})
    assert (result.status.value, result.summary) == (
        "skipped", "not checked: no Katello CA to verify against")
    known.katello_ca = "a CA"
    assert diagnosis._Run._proxy_results(None, check, known, {})[0].summary == "ok"


# -- the Foreman password goes only to a server verified against a CA this host may trust --------

class FakeConsumer(object):
    """A parsed consumer RPM: only its server CA and RHSM port matter here."""

    def __init__(self, server_ca_pem):
        self.server_ca_pem = server_ca_pem
        self.rhsm_port = 443


class FakePackage(object):
    name = "katello-ca-consumer-proxy01.example.test"


def served(pem):
    """What consumer_rpm returns for proxy01's package on port 80, carrying pem as its CA (None:
    no package could be read)."""
    from lbenroll.diagnose.fetch import ConsumerFetch
    from tests.diagnose.conftest import fake_probe
    if pem is None:
        return ConsumerFetch(fake_probe(80, reachable=False), problem="connection refused")
    return ConsumerFetch(fake_probe(80, protocol_ok=True), FakePackage(), FakeConsumer(pem))


def spy_foreman_api(monkeypatch):
    """[CA PEM of each foreman_api made]: the API answers one Smart Proxy record."""
    asked = []

    def foreman_api(foreman, login, password, ca_pem, timeout):
        asked.append(ca_pem)
        return lambda path: {"results": [{"id": 1, "url": "https://proxy01.example.test:9090",
                                          "registration_url": "https://%s:9090" % LB}]}
    monkeypatch.setattr(sources, "foreman_api", foreman_api)
    return asked


def foreman_read(monkeypatch, root, first, installed=None, **settings):
    """_Run's Foreman read (with --proxies, so nothing else is asked): ([CA PEM of each
    foreman_api made], the _Run)."""
    import concurrent.futures
    asked = spy_foreman_api(monkeypatch)
    if installed:
        seed(root, {"/etc/rhsm/ca/katello-server-ca.pem": installed})
    context = Context(root=str(root))
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        run = diagnosis._Run(diagnosis.Settings(
            LB, proxies="proxy01", foreman="foreman.example.test", login="admin",
            password="secret", **settings), context, diagnosis.hostconf.read_host(context), pool,
            diagnosis.Diagnosis(LB))
        run._proxy_names(first)
    return asked, run


def test_a_pinned_ca_is_never_traded_for_the_one_port_80_served(monkeypatch, root):
    # The review's case: no CA installed here, the real one pinned, and whoever answered port 80
    # for the balancer served a consumer RPM with their own CA. The password went to a server
    # verified against that CA.
    from tests.diagnose.conftest import OTHER_CA
    from lbenroll import consumer
    asked, run = foreman_read(monkeypatch, root, served(OTHER_CA),
                              ca_fingerprint=consumer.fingerprint(CA))
    assert OTHER_CA not in asked and asked == []
    assert run._listed is None
    assert run._api_problem.startswith(
        "the password was not sent to foreman.example.test: no CA at hand has the pinned "
        "SHA-256 %s (none is installed on this host; the consumer RPM on the balancer's port 80 "
        "carries SHA-256 %s)" % (consumer.pretty_fingerprint(consumer.fingerprint(CA)),
                                 consumer.pretty_fingerprint(consumer.fingerprint(OTHER_CA))))


def test_the_pinned_ca_verifies_the_foreman_api_wherever_it_came_from(monkeypatch, root):
    from tests.diagnose.conftest import OTHER_CA
    from lbenroll import consumer
    pin = consumer.fingerprint(CA)
    asked, run = foreman_read(monkeypatch, root, served(CA), ca_fingerprint=pin)
    assert asked == [CA]
    assert run._foreman_trust.ca.origin == "pinned, in the balancer's consumer RPM"
    # Installed here and pinned, while port 80 serves another: the installed one.
    asked, run = foreman_read(monkeypatch, root, served(OTHER_CA), installed=CA,
                              ca_fingerprint=pin)
    assert asked == [CA] and run._foreman_trust.ca.origin == "pinned, installed on this host"


def test_a_pin_outranks_the_installed_ca(monkeypatch, root):
    # A CA rotated on the server: the pin names the new one, the host still has the old.
    from tests.diagnose.conftest import OTHER_CA
    from lbenroll import consumer
    asked, run = foreman_read(monkeypatch, root, served(CA), installed=OTHER_CA,
                              ca_fingerprint=consumer.fingerprint(CA))
    assert asked == [CA]


def test_without_a_pin_the_installed_ca_verifies_the_foreman_api(monkeypatch, root):
    from tests.diagnose.conftest import OTHER_CA
    asked, run = foreman_read(monkeypatch, root, served(OTHER_CA), installed=CA)
    assert asked == [CA] and run._listed is not None


def test_without_a_pin_or_an_installed_ca_the_password_is_not_sent(monkeypatch, root):
    # The old code verified against the CA of the consumer RPM port 80 served, whoever sent it.
    from tests.diagnose.conftest import OTHER_CA
    asked, run = foreman_read(monkeypatch, root, served(OTHER_CA))
    assert asked == []
    assert run._listed is None and run._foreman_trust.ca is None
    assert run._api_problem.startswith("the password was not sent to foreman.example.test: no "
                                       "Katello CA is installed on this host and none is pinned")
    asked, run = foreman_read(monkeypatch, root, served(None))  # no RPM read: nothing either
    assert asked == [] and run._foreman_trust.ca is None
    assert "no consumer RPM was read on the balancer's port 80" in run._api_problem


def fake_network(monkeypatch, pem):
    """Everything diagnosis.run asks, answered: every name resolves, every proxy answers on
    port 80 with a consumer RPM carrying pem as its CA; round two holds only FOREMAN_API."""
    from lbenroll.diagnose import checks, proxies
    from lbenroll.diagnose.checks import foreman_api
    from tests.diagnose.conftest import fake_probe
    monkeypatch.setattr(sources, "resolve", lambda name: ("127.0.2.1", None))
    monkeypatch.setattr(diagnosis, "consumer_rpm", lambda *a, **k: served(pem))
    monkeypatch.setattr(proxies, "connect_443", lambda *a, **k: fake_probe(443))
    monkeypatch.setattr(diagnosis, "puppet_ca", lambda *a, **k: (None, None))
    monkeypatch.setattr(diagnosis, "tls_probe", lambda *a, **k: fake_probe(9090, reachable=False))
    monkeypatch.setattr(diagnosis, "CHECKS", (
        checks.Check("FOREMAN_API", checks.BALANCER, (), None, foreman_api.judge),))


def test_without_a_pin_or_an_installed_ca_the_password_is_not_sent_and_the_report_says_why(
        monkeypatch, root):
    # diagnose before enrolling, without --ca-fingerprint: the only CA came over plain HTTP.
    from tests.diagnose.conftest import OTHER_CA
    from lbenroll import consumer
    from lbenroll.diagnose import report
    fake_network(monkeypatch, OTHER_CA)
    asked = spy_foreman_api(monkeypatch)
    found = diagnosis.run(diagnosis.Settings(
        LB, foreman="foreman.example.test", login="admin", password="secret"),
        Context(root=str(root)))
    assert asked == []
    assert found.source.kind == sources.DISCOVERY
    [api] = [r for r in found.results if r.id == "FOREMAN_API"]
    assert (api.status.value, api.data["target"], api.data["sent"]) == (
        "warning", "foreman.example.test", False)
    assert api.summary == (
        "the password was not sent to foreman.example.test: no Katello CA is installed on this "
        "host and none is pinned with --ca-fingerprint; the only CA at hand, SHA-256 %s, came in "
        "the consumer RPM on the balancer's port 80, over plain HTTP, which anyone on the "
        "network path can answer: it does not vouch for the server that would get the password"
        % consumer.pretty_fingerprint(consumer.fingerprint(OTHER_CA)))
    assert api.remediation.startswith("give --ca-fingerprint SHA256, the Katello server CA's (on "
                                      "the Foreman server: openssl x509 -noout -fingerprint "
                                      "-sha256 -in /etc/pki/katello/certs/katello-server-ca.crt)")
    assert "/etc/rhsm/ca/katello-server-ca.pem" in api.remediation
    [source] = [r for r in found.results if r.id == "PROXY_SOURCE"]
    assert source.detail == ["the Foreman API gave no proxies (%s); discovered them instead"
                             % api.summary]
    text = report.as_text(found, "test")
    assert "warn  FOREMAN_API  foreman.example.test" in text
    assert "fix: give --ca-fingerprint SHA256" in text


def test_with_the_pin_the_foreman_api_is_read_and_the_report_says_against_what(monkeypatch,
                                                                              root):
    from lbenroll import consumer
    fake_network(monkeypatch, CA)
    asked = spy_foreman_api(monkeypatch)
    found = diagnosis.run(diagnosis.Settings(
        LB, foreman="foreman.example.test", login="admin", password="secret",
        ca_fingerprint=consumer.fingerprint(CA)), Context(root=str(root)))
    assert asked == [CA]
    assert found.source.kind == sources.FOREMAN
    [api] = [r for r in found.results if r.id == "FOREMAN_API"]
    assert api.status.value == "unchanged"
    assert api.summary == (
        "1 Smart Proxy records read; the server was verified against the Katello CA SHA-256 %s "
        "(pinned, in the balancer's consumer RPM) before the password was sent"
        % consumer.pretty_fingerprint(consumer.fingerprint(CA)))
