"""A requests.Session stand-in that answers from the lab's Foreman (tests/lab/foreman.py).

Unit tests get the real stand-in's behaviour (searches, pages, host records) without a socket.
"""
import base64
import json
import urllib.parse

import requests

from tests.http_answers import answer
from tests.lab.foreman import Foreman


class FakeSession(object):
    """Routes every request to foreman; ports in `down` refuse connections."""

    def __init__(self, foreman, down=(), tls_fails=False):
        self.foreman = foreman
        self.down = set(down)
        self.tls_fails = tls_fails
        self.verify = None
        self.calls = []  # (method, port, path, params, auth)
        self.verified_with = []  # the verify= each request was given

    def get(self, url, timeout=None, verify=None, stream=False, allow_redirects=True):
        return self.request("GET", url, timeout=timeout, verify=verify, stream=stream,
                            allow_redirects=allow_redirects)

    def request(self, method, url, params=None, json=None, auth=None, timeout=None,
                verify=None, stream=False, allow_redirects=True):
        assert stream, "lbenroll streams every answer, to bound it (https.read_body)"
        assert not allow_redirects, "lbenroll follows no redirect of the API (https.py)"
        parts = urllib.parse.urlsplit(url)
        self.verified_with.append(verify)
        self.calls.append((method, parts.port, parts.path, params, auth))
        if parts.port in self.down:
            raise requests.exceptions.ConnectionError("refused")
        if self.tls_fails:
            raise requests.exceptions.SSLError("bad certificate")
        headers = {}
        if auth is not None:
            token = base64.b64encode(("%s:%s" % auth).encode()).decode()
            headers["Authorization"] = "Basic " + token
        query = dict((key, [str(value)]) for key, value in (params or {}).items())
        body = _dumps(json)
        status, _, payload = self.foreman.handle(method, parts.path, query, headers, body)
        return answer(status, payload)

    def close(self):
        pass


def _dumps(value):
    return None if value is None else json.dumps(value).encode()


def install(monkeypatch, state_dir, **kwargs):
    """Make requests.Session() return a FakeSession on a fresh lab Foreman; return the session."""
    session = FakeSession(Foreman(str(state_dir)), **kwargs)
    monkeypatch.setattr(requests, "Session", lambda: session)
    return session
