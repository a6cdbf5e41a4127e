from lbenroll.diagnose.checks import proxy_registration
from lbenroll.diagnose.fetch import ConsumerFetch
from tests.diagnose.conftest import LB, fake_probe, states


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
    result = proxy_registration.check_registration(proxy, LB)
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
    result = proxy_registration.check_registration(proxy, LB)
    assert result.status.value == "unchanged"
    assert result.summary == "its consumer RPM is built for %s: the balancer's name" % LB


def test_the_api_names_a_proxy_whose_registration_url_is_missing_or_elsewhere():
    one, two, three = [with_consumer_rpm(p, LB) for p in states()]
    listed = [record(one.name, registration_url="https://%s:9090" % LB),
              record(two.name),
              record(three.name, registration_url="https://other-lb.example.test:9090",
                     rhsm_url="https://proxy03.example.test/rhsm")]
    first, second, third = [proxy_registration.check_registration(p, LB, listed)
                            for p in (one, two, three)]
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
    result = proxy_registration.check_registration(proxy, LB, listed)
    assert result.status.value == "warning"
    assert "no registration URL" in result.summary
    assert "its Registration feature is not enabled" in result.summary
    assert "foreman-installer --foreman-proxy-registration true --foreman-proxy-registration-url" \
        in result.remediation


def test_a_proxy_foreman_does_not_list_and_a_package_older_than_its_registration_url():
    proxy = with_consumer_rpm(states()[0], "proxy01.example.test")
    listed = [record(proxy.name, registration_url="https://%s:9090" % LB)]
    result = proxy_registration.check_registration(proxy, LB, listed)
    assert "its registration URL names the balancer, but the package was built before it was " \
           "set or by a Katello older than 4.7" in result.summary
    missing = proxy_registration.check_registration(with_consumer_rpm(states()[2], LB), LB, [])
    assert missing.status.value == "warning"
    assert "Foreman lists no Smart Proxy named proxy03.example.test" in missing.summary


def test_without_a_package_or_the_api_registration_is_not_checked_and_says_why():
    proxy = states()[0]
    proxy.consumer = ConsumerFetch(fake_probe(80), problem="no consumer RPM")
    result = proxy_registration.check_registration(
        proxy, LB, api_problem="foreman.example.test refused the login 'admin' (HTTP 401)")
    assert result.status.value == "skipped"
    assert result.detail == ["the Foreman API was not read: foreman.example.test refused the "
                             "login 'admin' (HTTP 401)"]
