"""HTTPS GETs with the standard library's urllib, verified against the CAs given: the consumer
RPM (consumer.py) and what the Smart Proxies publish for remote execution (the SSH keys and CA,
steps/rex_keys.py and steps/rex_ca.py).

Not requests: importing it costs a run more CPU than the rest of its Python (about 45 ms here,
75 ms on EL8's Python 3.6), and a repair needs no more than a GET. urllib honours http_proxy,
https_proxy and no_proxy as requests does. Each GET opens its own connection, so that a TCP
balancer picks a proxy for each. No Accept-Encoding is sent and nothing is decoded: the body is
the bytes on the wire, at most `limit` of them.
"""
import http.client
import socket
import ssl
import urllib.error
import urllib.request


class GetError(Exception):
    """A GET that brought no body: reason says why. status is the HTTP status of an answer that
    was not 200; unverified says the server did not prove itself against the CAs given."""

    def __init__(self, reason, status=None, unverified=False):
        super(GetError, self).__init__(reason)
        self.reason = reason
        self.status = status
        self.unverified = unverified


class BadCa(GetError):
    """CAs to verify with that do not load; reason is the ssl module's."""


class TooLarge(GetError):
    """An answer of more than the caller's limit of bytes."""


def context(cadata, trust_system=False):
    """A client context that verifies servers (names included) against cadata (PEM text), and
    with trust_system also against the system's CAs (a --rex-urlkeyfile may be on any web
    server, as bootstrap.py allowed). cadata None: nothing is verified, only for the first
    contact, where nothing could verify the answer (the CA is inside the consumer RPM).
    Raises BadCa when the CAs do not load."""
    if cadata is None:
        # No CA store is loaded (it would not be used): a bare client context.
        bare = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        bare.check_hostname = False
        bare.verify_mode = ssl.CERT_NONE
        return bare
    try:
        if trust_system:
            verifying = ssl.create_default_context()
            verifying.load_verify_locations(cadata=cadata)
            return verifying
        # Only these CAs, not the system's store: the server must prove it is Katello's.
        return ssl.create_default_context(cadata=cadata)
    except (ssl.SSLError, ValueError) as exc:
        raise BadCa(str(exc)) from None


class _HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to another https URL, verified with the same context: a redirect
    to http would hand the answer to anyone on the wire."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if not newurl.lower().startswith("https://"):
            return None  # urllib then raises HTTPError with the redirect's status
        return urllib.request.HTTPRedirectHandler.redirect_request(
            self, req, fp, code, msg, headers, newurl)


def get(url, timeout, tls, limit):
    """The body of url (at most limit bytes) over the ssl context tls; raises GetError."""
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=tls),
                                         _HttpsOnlyRedirects())
    try:
        with opener.open(url, timeout=timeout) as response:
            if response.status != 200:  # another 2xx: not the file asked for
                raise GetError("HTTP %d" % response.status, status=response.status)
            data = response.read(limit + 1)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise GetError("HTTP %d" % exc.code, status=exc.code) from None
    except (OSError, http.client.HTTPException, ssl.CertificateError) as exc:
        # URLError is an OSError
        raise GetError(_reason(exc), unverified=_not_verified(exc)) from None
    if len(data) > limit:
        raise TooLarge("larger than %d bytes" % limit)
    return data


def _not_verified(exc):
    reason = getattr(exc, "reason", exc)
    return isinstance(reason, ssl.CertificateError) or (
        isinstance(reason, ssl.SSLError) and "CERTIFICATE_VERIFY_FAILED" in str(reason))


def _reason(exc):
    """A short cause: "connection refused", "name or service not known", "timed out", ..."""
    reason = getattr(exc, "reason", exc)  # URLError wraps the socket error
    if isinstance(reason, socket.timeout):
        return "timed out"
    if isinstance(reason, ssl.SSLError):
        return "TLS handshake failed: %s" % (reason.reason or reason)
    if getattr(reason, "strerror", None):
        return reason.strerror.lower()
    return str(reason)
