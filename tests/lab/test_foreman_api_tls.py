"""The Foreman API client (foreman.ForemanApi, python-requests) against a real TLS server on
loopback: a redirect is never followed, least of all to plain http with the password."""
import base64

import pytest

from lbenroll import foreman
from lbenroll.errors import ProtocolError
from tests.lab.test_webget import NAME, pki, serve  # noqa: F401 (fixtures)

LOGIN, PASSWORD = "admin", "s3cret-pw"


def api(pki, base, tmp_path):  # noqa: F811
    port = int(base.rsplit(":", 1)[1])
    return foreman.ForemanApi(NAME, pki["ca"], 5, str(tmp_path), LOGIN, PASSWORD, port=port)


def test_an_api_answer_is_read_over_the_verified_connection(pki, serve, tmp_path):  # noqa: F811
    base, seen = serve({"/api/v2/smart_proxies": (200, {}, b'{"results": []}')})
    with api(pki, base, tmp_path) as client:
        assert client.request("GET", "/api/v2/smart_proxies") == {"results": []}
    assert seen.paths == ["/api/v2/smart_proxies"]


@pytest.mark.parametrize("plain", [True, False])
def test_a_redirect_is_refused_and_nothing_is_asked_there(pki, serve, tmp_path,  # noqa: F811
                                                           plain):
    # requests follows 302 from https to http by default, and the keys a --rex-apikeys run
    # installs for root would then come from anyone on the wire.
    planted = b'{"results": [{"id": 1, "remote_execution_pubkey": "ssh-ed25519 AAAA x"}]}'
    other, other_seen = serve({"/api/v2/smart_proxies": (200, {}, planted)}, tls=not plain)
    base, _ = serve({"/api/v2/smart_proxies": (
        302, {"Location": other + "/api/v2/smart_proxies"}, b"")})
    with api(pki, base, tmp_path) as client, pytest.raises(ProtocolError) as caught:
        client.request("GET", "/api/v2/smart_proxies")
    assert caught.value.message == (
        "GET /api/v2/smart_proxies: the Foreman API answered HTTP 302, a redirect to "
        "%s/api/v2/smart_proxies, which lbenroll does not follow" % other)
    assert other_seen.connections == 0
    assert PASSWORD not in caught.value.message
    assert base64.b64encode(("%s:%s" % (LOGIN, PASSWORD)).encode()).decode() \
        not in caught.value.message
