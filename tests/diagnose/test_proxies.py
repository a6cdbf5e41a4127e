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


# -- PROXY_REGISTRATION: the root cause of hosts pinned to one proxy ------------------------------

class Package(object):
    def __init__(self, built_for):
        self.name = "katello-ca-consumer-%s" % built_for
        self.nvr = "%s-1.0-1" % self.name


def with_consumer_rpm(proxy, built_for):
    proxy.consumer = ConsumerFetch(fake_probe(80), package=Package(built_for))
    return proxy


def record(name, **settings):
    features = [{"name": "Registration", "settings": settings}, {"name": "Pulpcore"}]
    return {"id": 1, "name": name, "url": "https://%s:9090" % name, "features": features}


def test_a_consumer_rpm_built_for_the_proxy_is_the_root_cause_with_the_installer_fix():
    proxy = with_consumer_rpm(states()[1], "proxy02.example.test")
    result = proxies.check_registration(proxy, LB)
    assert result.status.value == "warning"
    assert ("proxy02.example.test gives registering hosts another name than the balancer %s: "
            "its consumer RPM is built for proxy02.example.test "
            "(katello-ca-consumer-proxy02.example.test-1.0-1)" % LB) in result.summary
    assert "names proxy02.example.test in rhsm.conf and bypasses the balancer" in result.summary
    fix = result.remediation
    assert fix.startswith("on proxy02.example.test: foreman-installer "
                          "--foreman-proxy-registration-url https://%s:9090 "
                          "--foreman-proxy-template-url http://%s:8000" % (LB, LB))
    assert "--foreman-proxy-cname %s" % LB in fix
    assert "for every host registered from then on" in fix
    assert "`lbenroll --server %s` on each" % LB in fix
    assert result.data["consumer_rpm_for"] == "proxy02.example.test"


def test_a_consumer_rpm_built_for_the_balancer_passes():
    proxy = with_consumer_rpm(states()[0], LB)
    result = proxies.check_registration(proxy, LB)
    assert result.status.value == "unchanged"
    assert result.summary == "its consumer RPM is built for %s: the balancer's name" % LB


def test_the_api_names_a_proxy_whose_registration_url_is_missing_or_elsewhere():
    one, two, three = [with_consumer_rpm(p, LB) for p in states()]
    listed = [record(one.name, registration_url="https://%s:9090" % LB),
              record(two.name),
              record(three.name, registration_url="https://other-lb.example.test:9090",
                     rhsm_url="https://proxy03.example.test/rhsm")]
    first, second, third = [proxies.check_registration(p, LB, listed) for p in (one, two, three)]
    assert first.status.value == "unchanged"
    assert "its registration URL is https://%s:9090" % LB in first.summary
    assert second.status.value == "warning"
    assert "Foreman has no registration URL for it" in second.summary
    assert third.status.value == "warning"
    assert ("its registration URL in Foreman is https://other-lb.example.test:9090, not the "
            "balancer; its rhsm URL in Foreman is https://proxy03.example.test/rhsm") in (
        third.summary)
    assert third.data["registration_url"] == "https://other-lb.example.test:9090"


def test_a_down_proxy_is_judged_by_its_foreman_record_and_a_missing_feature_is_named():
    proxy = states()[1]  # never fetched: down
    listed = [{"id": 2, "name": proxy.name, "url": "https://%s:9090" % proxy.name,
               "features": [{"name": "Pulpcore"}]}]
    result = proxies.check_registration(proxy, LB, listed)
    assert result.status.value == "warning"
    assert "no registration URL" in result.summary
    assert "its Registration feature is not enabled" in result.summary
    assert "foreman-installer --foreman-proxy-registration true --foreman-proxy-registration-url" \
        in result.remediation


def test_a_proxy_foreman_does_not_list_and_a_package_older_than_its_registration_url():
    proxy = with_consumer_rpm(states()[0], "proxy01.example.test")
    listed = [record(proxy.name, registration_url="https://%s:9090" % LB)]
    result = proxies.check_registration(proxy, LB, listed)
    assert "its registration URL names the balancer, but the package was built before it was " \
           "set or by a Katello older than 4.7" in result.summary
    missing = proxies.check_registration(with_consumer_rpm(states()[2], LB), LB, [])
    assert missing.status.value == "warning"
    assert "Foreman lists no Smart Proxy named proxy03.example.test" in missing.summary


def test_without_a_package_or_the_api_registration_is_not_checked_and_says_why():
    proxy = states()[0]
    proxy.consumer = ConsumerFetch(fake_probe(80), problem="no consumer RPM")
    result = proxies.check_registration(proxy, LB, api_problem="foreman.example.test refused "
                                        "the login 'admin' (HTTP 401)")
    assert result.status.value == "skipped"
    assert result.detail == ["the Foreman API was not read: foreman.example.test refused the "
                             "login 'admin' (HTTP 401)"]
