import itertools

import pytest

from lbenroll.diagnose import sources
from lbenroll.probe import HttpAnswer, ProbeResult

LB = "smartproxy.example.test"


def test_names_from_the_option_split_on_commas_and_spaces_without_duplicates():
    assert sources.from_option("proxy01, proxy02,proxy01.example.test  proxy03") == [
        "proxy01", "proxy02", "proxy03"]


def proxy(id, name, **urls):
    return {"id": id, "name": name, "url": "https://%s:9090" % name, **urls}


def registration(host):
    return {"name": "Registration", "settings": {"registration_url": "https://%s:9090" % host}}


def pages(*results, **kwargs):
    """A fake GET that serves the given pages (a page past the end is empty) and records paths."""
    total = kwargs.get("total", sum(len(r) for r in results))
    asked = []

    def get_json(path):
        asked.append(path)
        page = int(path.rsplit("page=", 1)[1])
        return {"total": total, "subtotal": total, "page": page,
                "results": results[page - 1] if page <= len(results) else []}
    return get_json, asked


def test_foreman_reads_every_page_and_keeps_the_proxies_behind_the_balancer():
    get_json, asked = pages(
        [proxy(1, "foreman.example.test"),
         proxy(2, "proxy01.example.test", features=[registration(LB)])],
        [proxy(3, "proxy02.example.test", registration_url="https://%s:9090" % LB),
         proxy(4, "other.example.test", features=[registration("other-lb.example.test")])],
        [proxy(5, "proxy03.example.test", features=[
            {"name": "Templates", "settings": {"template_url": "http://%s:8000" % LB}}])])
    listed = sources.smart_proxies(get_json, per_page=2)
    assert sources.names_behind(listed, LB) == [
        "proxy01.example.test", "proxy02.example.test", "proxy03.example.test"]
    assert len(listed) == 5
    assert asked == ["/api/v2/smart_proxies?per_page=2&page=%d" % n for n in (1, 2, 3)]


def test_foreman_stops_on_a_server_that_ignores_the_page_parameter():
    same = [proxy(1, "proxy01.example.test", features=[registration(LB)])]
    listed = sources.smart_proxies(lambda path: {"results": same})
    assert sources.names_behind(listed, LB) == ["proxy01.example.test"] and len(listed) == 1


def test_foreman_answer_without_results_is_an_error():
    with pytest.raises(sources.SourceError, match="no results list"):
        sources.smart_proxies(lambda path: {"error": {"message": "nope"}})


def fake_https(monkeypatch, status, body=b"{}"):
    seen = {}

    def https_get(host, port, path, ca_pem, timeout, address=None, client_cert=None,
                  headers=None, limit=None):
        seen.update(host=host, port=port, path=path, headers=headers)
        probe = ProbeResult(host, port)
        probe.reachable, probe.chain_ok, probe.names = True, True, [host]
        probe.protocol_ok, probe.protocol_detail = True, HttpAnswer(status, "X", {}, body)
        return probe
    monkeypatch.setattr(sources, "https_get", https_get)
    return seen


def test_foreman_api_sends_basic_authentication_to_the_given_url(monkeypatch):
    seen = fake_https(monkeypatch, 200, b'{"results": []}')
    get_json = sources.foreman_api("https://foreman.example.test:8443", "admin", "s3cret!",
                                   "CA", 5)
    assert get_json("/api/v2/smart_proxies?per_page=1&page=1") == {"results": []}
    assert (seen["host"], seen["port"]) == ("foreman.example.test", 8443)
    assert seen["headers"]["Authorization"] == "Basic YWRtaW46czNjcmV0IQ=="


def test_foreman_api_refusal_names_the_login_never_the_password(monkeypatch):
    fake_https(monkeypatch, 401)
    get_json = sources.foreman_api("foreman.example.test", "admin", "s3cret!", "CA", 5)
    with pytest.raises(sources.SourceError) as error:
        get_json("/api/v2/smart_proxies?per_page=1&page=1")
    assert "refused the login 'admin'" in str(error.value)
    assert "s3cret" not in str(error.value)


def test_discovery_stops_after_quiet_rounds_and_finds_every_proxy_of_a_round_robin():
    backends = itertools.cycle(["proxy01.example.test", "proxy02.example.test",
                                "proxy03.example.test"])
    names, rounds = sources.discover(lambda: [next(backends)], quiet_rounds=4)
    assert names == ["proxy01.example.test", "proxy02.example.test", "proxy03.example.test"]
    assert rounds == 7


def test_discovery_is_bounded_and_ignores_short_and_long_spellings_of_one_proxy():
    spelled = itertools.cycle([["proxy01"], ["proxy01.example.test"], [None]])
    names, rounds = sources.discover(lambda: next(spelled), quiet_rounds=4, max_rounds=3)
    assert names == ["proxy01"] and rounds == 3


def test_a_proxy_record_is_found_by_url_or_short_name_and_its_settings_read_anywhere():
    listed = [proxy(1, "proxy01.example.test", registration_url="https://lb:9090"),
              dict(proxy(2, "proxy02.example.test"), features=[
                  registration("lb"), {"name": "Pulpcore", "settings": {"rhsm_url": "x"}},
                  {"name": "Logs"}])]
    assert sources.record_of(listed, "proxy02")["id"] == 2
    assert sources.record_of(listed, "proxy09.example.test") is None
    assert sources.setting(listed[0], "registration_url") == "https://lb:9090"
    assert sources.setting(listed[1], "registration_url") == "https://lb:9090"
    assert sources.setting(listed[1], "rhsm_url") == "x"
    assert sources.setting(listed[0], "rhsm_url") is None
    assert sources.feature_names(listed[1]) == {"registration", "pulpcore", "logs"}
    assert sources.feature_names(listed[0]) is None
