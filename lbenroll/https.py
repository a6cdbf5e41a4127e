"""HTTPS through python-requests, verified against the Katello CA: the session of the Foreman API
(foreman.py).

requests is imported only when a session opens: it is slow to import, and runs that do not
speak to the Foreman API never need it (plain GETs go through urllib, webget.py).
"""
import os
import tempfile

CONNECT_TIMEOUT = 10

# Bytes asked of the connection at a time. requests decodes a gzip or deflate answer as it reads
# it, and one read's bytes may decode to a thousand times as many (zlib's limit is about 1032:1):
# small reads keep what one decode can make small, so read_body's limit bounds the memory too.
READ_CHUNK = 1024


def timeouts(timeout):
    """(connect, read) bounds for requests: a dead proxy is given up on quickly."""
    return (min(CONNECT_TIMEOUT, timeout), timeout)


class KatelloSession(object):
    """A context manager: while open, `session` is a requests.Session that verifies servers
    against ca_pem, kept as a file in directory (the run's temporary directory)."""

    def __init__(self, ca_pem, directory):
        self.ca_pem = ca_pem
        self.directory = directory
        self.session = None
        self._ca_file = None

    def __enter__(self):
        import requests
        bundle = self.ca_pem.strip() + "\n"
        fd, self._ca_file = tempfile.mkstemp(prefix="katello-ca-", suffix=".pem",
                                             dir=self.directory)
        with os.fdopen(fd, "w") as f:
            f.write(bundle)
        self.session = requests.Session()
        self.session.verify = self._ca_file
        return self

    def __exit__(self, *exc_info):
        self.session.close()
        os.unlink(self._ca_file)

    def get(self, url, **kwargs):
        return self.request("GET", url, **kwargs)

    def request(self, method, url, **kwargs):
        """A request verified against the Katello CA, redirects not followed. verify is given on
        every request: a session's own verify loses to REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE
        (requests merges the environment over it), and then any CA those name would be trusted.
        requests follows a redirect from https to plain http (and sends the request there);
        the Foreman API never redirects, so a redirect is the caller's to refuse."""
        kwargs["verify"] = self._ca_file
        kwargs["allow_redirects"] = False
        return self.session.request(method, url, **kwargs)


class TooLarge(Exception):
    """An answer whose decoded body is larger than the caller's limit."""


def read_body(response, limit):
    """The decoded body of a response opened with stream=True; TooLarge past limit bytes.

    Counts the bytes after decoding: a small gzip answer from a hostile server (a "gzip bomb")
    can decode to gigabytes, so response.content, or a read of limit raw bytes, is no bound.
    requests' exceptions (a broken stream, a bad encoding) pass through.
    """
    body = bytearray()
    for chunk in response.iter_content(READ_CHUNK):
        body += chunk
        if len(body) > limit:
            raise TooLarge("larger than %d bytes" % limit)
    return bytes(body)


def describe(exc):
    """A short cause for a requests exception, the same words wherever lbenroll uses requests."""
    import requests
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS verification failed (the certificate's CA or names)"
    if isinstance(exc, requests.exceptions.Timeout):
        return "timed out"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "cannot connect"
    return str(exc) or type(exc).__name__
