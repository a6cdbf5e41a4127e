from lbenroll import consumer
from lbenroll.diagnose import trust
from lbenroll.diagnose.checks import Known, foreman_api
from tests.diagnose.conftest import CA, LB

FOREMAN = "foreman.example.test"


def test_without_login_there_is_no_result():
    assert foreman_api.judge(Known(LB, 5, None, None, []), None) == []


def test_a_read_names_the_ca_the_server_was_verified_against():
    result = foreman_api.check_foreman_api(
        FOREMAN, trust.foreman_trust(CA, None), [{"id": 1}, {"id": 2}], None)
    assert (result.status.value, result.data["target"], result.data["sent"]) == (
        "unchanged", FOREMAN, True)
    assert result.summary == (
        "2 Smart Proxy records read; the server was verified against the Katello CA SHA-256 %s "
        "(installed on this host) before the password was sent"
        % consumer.pretty_fingerprint(consumer.fingerprint(CA)))


def test_an_api_that_could_not_be_read_warns_with_its_reason():
    result = foreman_api.check_foreman_api(
        FOREMAN, trust.foreman_trust(CA, None), None,
        "foreman.example.test refused the login 'admin' (HTTP 401)")
    assert (result.status.value, result.data["sent"]) == ("warning", True)
    assert result.summary == ("the Foreman API could not be read: foreman.example.test refused "
                              "the login 'admin' (HTTP 401)")
    assert result.remediation == foreman_api.API_FIX


def test_a_password_not_sent_warns_with_the_trust_fix():
    withheld = trust.foreman_trust(None, None)
    result = foreman_api.check_foreman_api(FOREMAN, withheld, None, "the password was not sent")
    assert (result.status.value, result.summary, result.remediation, result.data["sent"]) == (
        "warning", "the password was not sent", trust.FOREMAN_CA_FIX, False)
