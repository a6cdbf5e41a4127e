from lbenroll import consumer
from lbenroll.diagnose import trust
from tests.diagnose.conftest import CA, LB, OTHER_CA

CA_SHA = consumer.fingerprint(CA)
OTHER_SHA = consumer.fingerprint(OTHER_CA)


def test_the_ca_most_proxies_serve_is_the_katello_ca():
    ca, result = trust.choose(LB, [("proxy01", CA), ("proxy02", CA), ("proxy03", OTHER_CA)], None)
    assert ca.fingerprint == CA_SHA and ca.origin == "served by proxy01, proxy02"
    assert result.status.value == "unchanged"
    assert result.detail == ["SHA-256 %s is served by proxy03" % consumer.pretty_fingerprint(
        OTHER_SHA)]


def test_a_tie_goes_to_the_ca_installed_on_this_host():
    ca, _ = trust.choose(LB, [("proxy01", OTHER_CA), ("proxy02", CA)], CA)
    assert ca.fingerprint == CA_SHA


def test_a_pin_that_no_proxy_serves_fails_and_leaves_nothing_to_trust():
    ca, result = trust.choose(LB, [("proxy01", CA)], CA, pinned=OTHER_SHA)
    assert ca is None
    assert result.status.value == "failed"
    assert "no proxy serves the pinned CA" in result.summary and "proxy01" in result.summary


def test_a_pin_that_is_served_is_the_katello_ca():
    ca, result = trust.choose(LB, [("proxy01", CA), ("proxy02", OTHER_CA)], None, pinned=CA_SHA)
    assert ca.fingerprint == CA_SHA and result.status.value == "unchanged"


def test_nothing_served_falls_back_to_the_installed_ca_or_fails():
    ca, result = trust.choose(LB, [], CA)
    assert ca.origin == "installed on this host" and result.status.value == "unchanged"
    ca, result = trust.choose(LB, [], None)
    assert ca is None and result.status.value == "failed"


def test_puppet_trust_is_the_katello_ca_plus_each_distinct_puppet_ca():
    katello = trust.KatelloCa(CA, "served")
    assert trust.puppet_trust(katello, [OTHER_CA, None, OTHER_CA, CA]) == CA + OTHER_CA
    assert trust.puppet_trust(None, [None]) is None


def test_the_foreman_api_is_verified_against_a_pinned_or_installed_ca_only():
    pinned = trust.foreman_trust(None, CA, pinned=CA_SHA)
    assert pinned.ca.pem == CA and pinned.ca.origin == "pinned, in the balancer's consumer RPM"
    assert trust.foreman_trust(CA, OTHER_CA, pinned=CA_SHA).ca.pem == CA
    assert trust.foreman_trust(OTHER_CA, CA, pinned=CA_SHA).ca.pem == CA  # the pin outranks
    installed = trust.foreman_trust(CA, OTHER_CA)
    assert installed.ca.pem == CA and installed.ca.origin == "installed on this host"
    for withheld in (trust.foreman_trust(None, OTHER_CA), trust.foreman_trust(None, None),
                     trust.foreman_trust(None, OTHER_CA, pinned=CA_SHA),
                     trust.foreman_trust(OTHER_CA, OTHER_CA, pinned=CA_SHA)):
        assert withheld.ca is None and withheld.why and withheld.fix


def test_a_pin_nothing_at_hand_has_names_what_is_there():
    withheld = trust.foreman_trust(OTHER_CA, OTHER_CA, pinned=CA_SHA)
    pretty = consumer.pretty_fingerprint
    assert withheld.why == (
        "no CA at hand has the pinned SHA-256 %s (this host's is SHA-256 %s; the consumer RPM on "
        "the balancer's port 80 carries SHA-256 %s)" % (pretty(CA_SHA), pretty(OTHER_SHA),
                                                       pretty(OTHER_SHA)))
    assert withheld.fix.startswith("check the pinned fingerprint against "
                                   "/etc/pki/katello/certs/katello-server-ca.crt")
