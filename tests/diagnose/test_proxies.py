from lbenroll.diagnose import proxies
from lbenroll.diagnose.fetch import ConsumerFetch
from lbenroll.diagnose.hostconf import Repo
from lbenroll.diagnose.trust import KatelloCa
from tests.diagnose.conftest import CA, LB, OTHER_CA, fake_probe

NAMES = ["proxy01.example.test", "proxy02.example.test", "proxy03.example.test"]
HELLO = Repo("hello", "https://%s/pulp/content/hello" % LB, 443,
             "/pulp/content/hello/repodata/repomd.xml", None)
OTHER = Repo("other", "https://%s/pulp/content/other" % LB, 443,
             "/pulp/content/other/repodata/repomd.xml", None)


def states():
    return [proxies.ProxyState(name, "127.0.2.%d" % n) for n, name in enumerate(NAMES, 1)]


def verdicts(results):
    return {name: result.status.value for name, result in results.items()}


def test_a_repository_missing_on_one_proxy_is_not_synchronized_there():
    found = {(name, repo.id): ("ok", "digest-%s" % name) for name in NAMES
             for repo in (HELLO, OTHER)}
    found[("proxy02.example.test", "hello")] = ("missing", "HTTP 404 Not Found")
    results = proxies.content_results(states(), [HELLO, OTHER], found, [])
    assert verdicts(results) == {NAMES[0]: "unchanged", NAMES[1]: "failed",
                                 NAMES[2]: "unchanged"}
    failure = results[NAMES[1]]
    assert ("proxy02.example.test lacks repomd.xml of hello, which proxy01, proxy03 serve "
            "(HTTP 404): the content is not synchronized to proxy02.example.test") in (
        failure.summary)
    assert "hammer capsule content synchronize --name proxy02.example.test" in (
        failure.remediation)
    assert failure.data["missing"] == ["hello"]


def test_a_repository_no_proxy_serves_is_a_warning_about_the_content_view():
    found = {(name, "hello"): ("missing", "HTTP 404 Not Found") for name in NAMES}
    results = proxies.content_results(states(), [HELLO], found, [])
    assert set(verdicts(results).values()) == {"warning"}
    assert "subscription-manager refresh" in results[NAMES[0]].remediation


def test_a_refused_entitlement_certificate_fails():
    found = {(name, "hello"): ("ok", "d") for name in NAMES}
    found[(NAMES[2], "hello")] = ("refused", "HTTP 403 Forbidden")
    results = proxies.content_results(states(), [HELLO], found, [])
    assert verdicts(results)[NAMES[2]] == "failed"
    assert "refuses this host's entitlement certificate" in results[NAMES[2]].summary


def test_without_repositories_content_is_skipped_with_the_reasons():
    results = proxies.content_results(states(), [], {}, ["x: baseurl is not https"])
    assert set(verdicts(results).values()) == {"skipped"}
    assert results[NAMES[0]].detail == ["x: baseurl is not https"]


def test_features_must_match_except_the_puppet_ca_of_the_one_signing_proxy():
    base = {"logs", "pulpcore", "registration", "templates"}
    found = {NAMES[0]: (base | {"puppetca"}, None, None), NAMES[1]: (base, None, None),
             NAMES[2]: (base - {"registration"}, None, None)}
    results = proxies.features_results(states(), found)
    assert verdicts(results) == {NAMES[0]: "unchanged", NAMES[1]: "unchanged",
                                 NAMES[2]: "failed"}
    assert "lacks the features registration that proxy01, proxy02 offer" in (
        results[NAMES[2]].summary)


def test_a_service_only_some_proxies_offer():
    probes = {NAMES[0]: fake_probe(5647, NAMES[0], protocol_ok=True, detail="AMQP header"),
              NAMES[1]: fake_probe(5647, reachable=False),
              NAMES[2]: fake_probe(5647, NAMES[2], protocol_ok=True, detail="AMQP header")}
    optional = proxies.service_results("PROXY_AMQP", 5647, "AMQP", states(), probes, False, LB)
    assert verdicts(optional) == {NAMES[0]: "unchanged", NAMES[1]: "warning",
                                  NAMES[2]: "unchanged"}
    assert "but proxy01, proxy03 do: the proxies differ" in optional[NAMES[1]].summary
    required = proxies.service_results("PROXY_AMQP", 5647, "AMQP", states(), probes, True, LB)
    assert verdicts(required)[NAMES[1]] == "failed"


def test_a_service_no_proxy_offers_is_skipped_unless_this_host_needs_it():
    probes = {name: fake_probe(5647, reachable=False) for name in NAMES}
    results = proxies.service_results("PROXY_AMQP", 5647, "AMQP", states(), probes, False, LB)
    assert set(verdicts(results).values()) == {"skipped"}


def test_a_consumer_rpm_with_another_ca_names_the_proxy_and_the_katello_ca(monkeypatch):
    proxy = states()[2]

    class Rpm(object):
        fingerprint = KatelloCa(OTHER_CA, "x").fingerprint

        class package(object):
            nvr = "katello-ca-consumer-proxy03.example.test-1.0-1"
    proxy.consumer = ConsumerFetch(fake_probe(80), rpm=Rpm())
    result = proxies.check_consumer_rpm(proxy, KatelloCa(CA, "served by proxy01, proxy02"))
    assert result.status.value == "failed"
    assert "is not the Katello CA" in result.summary and "served by proxy01, proxy02" in (
        result.summary)
    assert "proxy03.example.test was set up with another CA" in result.summary


def test_a_proxy_answering_nowhere_is_down_and_its_other_checks_are_not_run():
    proxy = states()[1]
    proxy.consumer = ConsumerFetch(fake_probe(80, reachable=False))
    proxy.https = fake_probe(443, reachable=False)
    assert not proxy.up
    result = proxies.check_reachable(proxy)
    assert result.status.value == "failed"
    assert "does not answer on 80 (connection refused) or 443 (connection refused)" in (
        result.summary)
    assert proxies.not_checked("PROXY_TLS", proxy).status.value == "skipped"
