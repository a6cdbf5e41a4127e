"""The Foreman API client against the lab's Foreman through a fake HTTP layer."""
import pytest

from lbenroll import foreman
from lbenroll.errors import ConfigError, DataError, ExitCode, ProtocolError, UnavailableError
from tests import fake_foreman
from tests.lab.foreman import LOGIN, PASSWORD

CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


@pytest.fixture
def api(monkeypatch, tmp_path):
    def factory(password=PASSWORD, **session):
        state = tmp_path / "state"
        state.mkdir(exist_ok=True)
        factory.session = fake_foreman.install(monkeypatch, state, **session)
        return foreman.ForemanApi("lb.example.test", CA, 30, str(tmp_path), LOGIN, password)
    return factory


def test_ping_takes_443_first(api):
    with api() as client:
        assert client.ping() == 443
    assert [call[1] for call in api.session.calls] == [443]


def test_ping_falls_back_to_8443(api):
    with api(down={443}) as client:
        assert client.ping() == 8443
        client.lookup("locations", "title", "Lab")
    assert [call[1] for call in api.session.calls] == [443, 8443, 8443]


def test_ping_without_any_port_is_unavailable(api):
    with api(down={443, 8443}) as client, pytest.raises(UnavailableError) as error:
        client.ping()
    assert "443: cannot connect; 8443: cannot connect" in error.value.message


def test_ping_sends_no_credentials_and_requests_do(api):
    with api() as client:
        client.ping()
        client.lookup("locations", "title", "Lab")
    assert [call[4] for call in api.session.calls] == [None, (LOGIN, PASSWORD)]


def test_ca_file_exists_only_while_open(api, tmp_path):
    with api():
        path = api.session.verify
        assert open(path).read() == CA
    assert not (tmp_path / path).exists()


def test_every_request_is_verified_against_the_katello_ca_file(api):
    # Given per request: a session's own verify loses to REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE.
    with api() as client:
        client.ping()
        client.lookup("locations", "title", "Lab")
        ca_file = api.session.verify
    assert api.session.verified_with == [ca_file, ca_file]
    assert ca_file.endswith(".pem")


def test_every_page_is_read(api, monkeypatch):
    monkeypatch.setattr(foreman, "PER_PAGE", 20)
    with api() as client:
        client.ping()
        found = client.all_results("/api/v2/architectures")
    assert len(found) == 30 and found[0]["name"] == "x86_64" and found[-1]["name"] == "arch29"
    pages = [call[3]["page"] for call in api.session.calls if call[3]]
    assert pages == [1, 2]


def test_lookup_returns_the_one_match(api):
    with api() as client:
        client.ping()
        assert client.lookup("hostgroups", "title", "lab/web")["id"] == 3
        assert client.lookup("organizations", "name", "ACME Corp",
                             path="/katello/api/organizations")["label"] == "ACME"


def test_lookup_without_match_names_the_search_and_the_fix(api):
    with api() as client, pytest.raises(DataError) as error:
        client.ping()
        client.lookup("hostgroups", "title", "lab/nope")
    assert error.value.exit_code == ExitCode.DATAERR == 65
    assert 'no hostgroup with title="lab/nope"' in error.value.message
    assert "case-sensitive" in error.value.fix and "admin may see it" in error.value.fix


def test_find_gives_none_without_match(api):
    with api() as client:
        client.ping()
        assert client.find("domains", "name", "other.test") is None
        assert client.find("domains", "name", "example.test")["id"] == 5


def test_bad_password_is_refused_and_never_shown(api):
    with api(password="Wr0ngPass") as client, pytest.raises(ProtocolError) as error:
        client.ping()
        client.lookup("locations", "title", "Lab")
    assert "refused the login 'admin'" in error.value.message
    assert "Wr0ngPass" not in error.value.format_message()


def test_tls_failure_is_a_config_error(api):
    with api(tls_fails=True) as client, pytest.raises(ConfigError):
        client.port = 443
        client.request("GET", "/api/v2/hosts")


def test_api_error_message_is_shown(api):
    with api() as client, pytest.raises(ProtocolError) as error:
        client.ping()
        client.request("POST", "/api/v2/hosts", body={"host": {"name": "x"}})
    assert "HTTP 422" in error.value.message and "can't be blank" in error.value.message


def test_an_answer_that_decodes_past_the_bound_is_a_data_error(api, monkeypatch):
    # A small gzip answer that decodes to more than MAX_ANSWER: refused while it is read,
    # not decoded whole into memory (response.content did that).
    from tests.http_answers import answer, gzip_bomb
    bomb = gzip_bomb(foreman.MAX_ANSWER + 1024 * 1024)
    with api() as client:
        client.ping()
        monkeypatch.setattr(api.session, "request",
                            lambda *args, **kwargs: answer(200, bomb, "gzip"))
        with pytest.raises(DataError) as error:
            client.request("GET", "/api/v2/hosts")
    assert error.value.message == ("GET /api/v2/hosts: the answer is larger than %d bytes"
                                   % foreman.MAX_ANSWER)


def test_an_error_answer_that_is_a_json_list_is_shown_as_it_is(api, monkeypatch):
    from tests.http_answers import answer
    with api() as client:
        client.ping()
        monkeypatch.setattr(api.session, "request",
                            lambda *args, **kwargs: answer(422, b'["no such thing"]'))
        with pytest.raises(ProtocolError) as error:
            client.request("GET", "/api/v2/hosts")
    assert "HTTP 422: ['no such thing']" in error.value.message


@pytest.mark.parametrize("body, said", [
    (b'{"error": {"message": "\\u001b[2Jgone"}}', "'\\x1b[2Jgone'"),
    (b"<html>\x1b]0;owned\x07</html>", "'<html>\\x1b]0;owned\\x07</html>'"),
])
def test_an_error_answer_never_reaches_the_terminal_with_control_characters(api, monkeypatch,
                                                                          body, said):
    from tests.http_answers import answer
    with api() as client:
        client.ping()
        monkeypatch.setattr(api.session, "request",
                            lambda *args, **kwargs: answer(500, body))
        with pytest.raises(ProtocolError) as error:
            client.request("GET", "/api/v2/hosts")
    assert error.value.message == "GET /api/v2/hosts: HTTP 500: %s" % said
    assert "\x1b" not in error.value.message


def test_json_nested_past_the_parser_is_not_json(api, monkeypatch):
    from tests.http_answers import answer
    with api() as client:
        client.ping()
        monkeypatch.setattr(api.session, "request",
                            lambda *args, **kwargs: answer(200, b"[" * 100000))
        with pytest.raises(DataError) as error:
            client.request("GET", "/api/v2/hosts")
    assert error.value.message == "GET /api/v2/hosts: the answer is not JSON"


@pytest.mark.parametrize("page, why", [
    ({"results": ["x"], "subtotal": 1}, "holds a record that is not a Foreman record: 'x'"),
    ({"results": [{"id": [1]}], "subtotal": 1}, "holds a record that is not a Foreman record"),
    ({"results": [{"id": 1}], "subtotal": "x"}, "gives its total as 'x', not a number"),
    ({"results": [{"id": 1}], "subtotal": 1e400}, "gives its total as inf, not a number"),
])
def test_an_index_of_the_wrong_shape_is_a_data_error(api, monkeypatch, page, why):
    with api() as client:
        client.ping()
        monkeypatch.setattr(client, "request", lambda *args, **kwargs: page)
        with pytest.raises(DataError) as error:
            client.all_results("/api/v2/smart_proxies")
    assert error.value.message.startswith("GET /api/v2/smart_proxies: page 1 ")
    assert why in error.value.message


def test_an_index_total_given_as_digits_is_read():
    from lbenroll.smartproxies import records
    pages = {1: {"results": [{"id": 1}], "subtotal": "2"}, 2: {"results": [{"id": 2}]}}
    assert records(pages.get, 5) == [{"id": 1}, {"id": 2}]
