from lbenroll.smartproxies import MAX_ROUNDS, QUIET_ROUNDS, until_quiet


def test_rounds_go_on_until_enough_quiet_ones_in_a_row():
    found = iter([1, 0, 0, 2, 0, 0, 0, 0, 5])
    assert until_quiet(lambda: next(found)) == 8  # a new find restarts the quiet count
    assert QUIET_ROUNDS == 4


def test_rounds_are_bounded_when_something_new_turns_up_every_time():
    calls = []
    assert until_quiet(lambda: calls.append(1) or 1) == MAX_ROUNDS == len(calls) == 32
    assert until_quiet(lambda: 1, quiet_rounds=2, max_rounds=3) == 3
    assert until_quiet(lambda: 0, quiet_rounds=2) == 2


# Katello's SmartProxy.behind_load_balancer (docs/katello-client-facts.md, "Parity with Global
# Registration").
from lbenroll.smartproxies import behind_load_balancer, registration_host  # noqa: E402

LB = "lb.example.test"


def proxy(url="https://proxy01.example.test:9090", features=("Pulpcore", "Registration"),
          registration_url="https://lb.example.test:9090", where="feature"):
    record = {"url": url}
    if features is not None:
        record["features"] = [{"name": name} for name in features]
    if registration_url is not None:
        if where == "feature" and features and "Registration" in features:
            record["features"][list(features).index("Registration")]["settings"] = {
                "registration_url": registration_url}
        else:
            record["registration_url"] = registration_url
    return record


def test_a_content_proxy_registering_through_the_balancer_is_behind_it():
    assert behind_load_balancer(proxy(), LB)
    assert behind_load_balancer(proxy(where="top"), "LB.example.test.")
    assert behind_load_balancer(proxy(features=None, where="top"), LB)  # features not listed


def test_what_katello_does_not_count_as_behind_the_balancer():
    assert not behind_load_balancer(proxy(features=("Registration", "Templates")), LB)  # no Pulp
    assert not behind_load_balancer(proxy(registration_url=None), LB)  # its own URL
    assert not behind_load_balancer(proxy(registration_url="https://other.example.test"), LB)
    # The balancer's own record: the URL is the registration host, so not "load balanced".
    assert not behind_load_balancer(proxy(url="https://lb.example.test:9090"), LB)
    assert not behind_load_balancer({"url": None}, LB)


def test_registration_host_prefers_the_feature_setting_then_the_url():
    assert registration_host(proxy()) == "lb.example.test"
    assert registration_host(proxy(registration_url=None)) == "proxy01.example.test"
    record = proxy(where="top", registration_url="https://top.example.test")
    record["features"][1]["settings"] = {"registration_url": "https://feat.example.test"}
    assert registration_host(record) == "feat.example.test"
