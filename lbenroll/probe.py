"""Network probes of the balancer: TLS certificate checks, AMQP, MQTT and HTTP exchanges."""
import hashlib
import http.client
import socket
import ssl

AMQP_HEADER = b"AMQP\x00\x01\x00\x00"
# MQTT 3.1.1 CONNECT: clean session, keep-alive 60 s, client id "lbenroll-check".
MQTT_CLIENT_ID = b"lbenroll-check"
MQTT_CONNECT = (b"\x10" + bytes([10 + 2 + len(MQTT_CLIENT_ID)]) + b"\x00\x04MQTT\x04\x02\x00\x3c"
                + b"\x00" + bytes([len(MQTT_CLIENT_ID)]) + MQTT_CLIENT_ID)
MQTT_DISCONNECT = b"\xe0\x00"
# MQTT 3.1.1, section 3.2.2.3: the CONNACK return codes that refuse a connection.
CONNACK_REFUSED = {1: "unacceptable protocol version", 2: "identifier rejected",
                   3: "server unavailable", 4: "bad user name or password",
                   5: "not authorized"}


class ProbeResult(object):
    """What a probe saw: reachable, whether the chain verified, the certificate's names."""

    def __init__(self, host, port):
        self.host = host
        self.port = port
        self.reachable = False
        self.error = None
        self.chain_ok = None
        self.names = []
        self.fingerprint = None     # SHA-256 of the certificate presented (DER), hex
        self.protocol_ok = None
        self.protocol_detail = None
        self.unchecked = None       # why the exchange was not run when it was asked for

    @property
    def name_ok(self):
        return any(name_matches(pattern, self.host) for pattern in self.names)

    def other_names(self):
        """Names on the certificate other than the balancer's: which proxy answered."""
        return [n for n in self.names if not name_matches(n, self.host)]


def name_matches(pattern, hostname):
    """RFC 6125 matching, wildcard only as the whole left-most label."""
    pattern, hostname = pattern.lower().rstrip("."), hostname.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = hostname.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == hostname


def _names(cert):
    names = [value for kind, value in cert.get("subjectAltName", ()) if kind == "DNS"]
    if not names:  # only certificates without a SAN fall back to the subject CN
        for rdn in cert.get("subject", ()):
            names += [value for key, value in rdn if key == "commonName"]
    return names


def _no_password():
    # An encrypted key fails to load instead of OpenSSL asking for its pass phrase on the
    # terminal (load_cert_chain prompts when no password is given).
    return b""


def load_client_cert(context, client_cert):
    """Load client_cert, a (certificate file, key file) pair, into an ssl context; ssl.SSLError
    or OSError when they cannot be loaded (never a pass-phrase prompt)."""
    context.load_cert_chain(client_cert[0], client_cert[1], password=_no_password)


def _context(ca_pem, client_cert=None):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # Hostname checking is done by us, so a wrong name can be reported with the names found.
    context.check_hostname = False
    if ca_pem is None:
        # Deliberately unverified: only for what has to be fetched before anything can verify
        # it, as `puppet ssl bootstrap` fetches the Puppet CA certificate.
        context.verify_mode = ssl.CERT_NONE
    else:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cadata=ca_pem)
    if client_cert:
        load_client_cert(context, client_cert)
    return context


def tls_probe(host, port, ca_pem, timeout=10.0, exchange=None, address=None, client_cert=None):
    """Connect to host:port (or to address while presenting host), verify against ca_pem.

    exchange(sock) may run a protocol handshake on the verified connection and return
    (ok, detail). ca_pem None connects without verifying (chain_ok and names stay unknown) and
    always runs the exchange. client_cert is a (certificate file, key file) pair to present.
    """
    result = ProbeResult(host, port)
    try:
        context = _context(ca_pem, client_cert)
    except (ssl.SSLError, OSError) as exc:
        result.error = "cannot load the client certificate %s: %s" % (
            client_cert[0], getattr(exc, "strerror", None) or exc)
        return result
    raw = _connect(result, address or host, timeout)
    if raw is None:
        return result
    handshake_done = exchanging = False
    try:
        with context.wrap_socket(raw, server_hostname=host) as sock:
            handshake_done = True
            der = sock.getpeercert(binary_form=True)
            result.fingerprint = hashlib.sha256(der).hexdigest() if der else None
            if ca_pem is not None:
                result.chain_ok = True
                result.names = _names(sock.getpeercert())
            if exchange is not None and (ca_pem is None or result.name_ok):
                sock.settimeout(timeout)
                exchanging = True
                result.protocol_ok, result.protocol_detail = exchange(sock)
    except (ssl.SSLError, OSError) as exc:
        if exchanging:
            result.protocol_ok = False
            result.protocol_detail = _after_handshake(exc, bool(client_cert))
        _failed(result, exc, handshake_done, ca_pem)
    finally:
        raw.close()
    return result


def _after_handshake(exc, presented):
    """What an error of the exchange that followed a completed TLS handshake says.

    With TLS 1.3 the client's handshake is over before the server has judged the client's
    certificate: a server that requires one it did not get, or does not accept the one it got
    (mosquitto with require_certificate, as Foreman's installer sets it up), closes the
    connection then, and the client sees that only at its first read.
    """
    if isinstance(exc, socket.timeout):
        return "no answer within the timeout after the TLS handshake"
    why = ("it may not accept the client certificate presented (another CA's, expired or "
           "revoked)" if presented else "it may require a client certificate")
    return "the server closed the connection after the TLS handshake (%s): %s" % (
        _reason(exc), why)


def _reason(exc):
    if isinstance(exc, ssl.SSLError):
        return exc.reason or str(exc)
    return exc.strerror or str(exc)


def _failed(result, exc, handshake_done, ca_pem):
    """result.error (and chain_ok) from an error of the connection."""
    if isinstance(exc, ssl.SSLError):
        # Only a verification failure says something about the chain; a handshake cut short
        # (a balancer with nothing behind it) does not.
        if not handshake_done and exc.reason == "CERTIFICATE_VERIFY_FAILED":
            result.chain_ok = False
    result.error = _reason(exc)


def _connect(result, address, timeout):
    """A TCP connection to address:result.port, or None with the reason in result.error."""
    try:
        sock = socket.create_connection((address, result.port), timeout=timeout)
    except OSError as exc:
        result.error = exc.strerror or str(exc)
        return None
    result.reachable = True
    return sock


def plain_probe(host, port, exchange, timeout=10.0, address=None):
    """Connect to host:port (or to address) without TLS and run exchange(sock) -> (ok, detail)."""
    result = ProbeResult(host, port)
    sock = _connect(result, address or host, timeout)
    if sock is None:
        return result
    try:
        result.protocol_ok, result.protocol_detail = exchange(sock)
    except OSError as exc:
        result.error = exc.strerror or str(exc)
    finally:
        sock.close()
    return result


def _recv_exactly(sock, count):
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            break
        data += chunk
    return data


def amqp_exchange(sock):
    """AMQP 1.0: send the protocol header; a broker answers with an AMQP protocol header."""
    sock.sendall(AMQP_HEADER)
    answer = _recv_exactly(sock, 8)
    if answer[:4] == b"AMQP":
        return True, "AMQP protocol header answered (%r)" % answer
    return False, "no AMQP protocol header in answer %r" % answer


def mqtt_exchange(sock):
    """MQTT 3.1.1: CONNECT must be answered by CONNACK with return code 0."""
    sock.sendall(MQTT_CONNECT)
    answer = _recv_exactly(sock, 4)
    if answer[:2] == b"\x20\x02" and answer[3:4] == b"\x00":
        sock.sendall(MQTT_DISCONNECT)
        return True, "MQTT CONNACK accepted"
    if answer[:2] == b"\x20\x02" and len(answer) == 4:
        return False, "MQTT CONNACK refused the connection: return code %d (%s)" % (
            answer[3], CONNACK_REFUSED.get(answer[3], "unknown"))
    if not answer:
        return False, ("the broker closed the connection without answering the MQTT CONNECT "
                       "(it may require a client certificate, or refuse the one presented)")
    return False, "unexpected MQTT answer %r" % answer


class HttpAnswer(object):
    """One HTTP response: status, headers (lower-case names), body (at most the reader's limit)."""

    def __init__(self, status, reason, headers, body, complete=True):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.complete = complete

    def __str__(self):
        return "HTTP %d %s" % (self.status, self.reason)


def http_exchange(host, path, headers=None, limit=16 * 1024 * 1024):
    """An exchange sending one GET of path with `Host: host`, for tls_probe and plain_probe.

    Sending the balancer name as Host (and, through tls_probe, as SNI) to a proxy's own address
    is what the /etc/hosts trick of the load-balancer guide does by hand. Any HTTP answer is
    (True, HttpAnswer) with at most limit bytes of body; no answer is (False, reason).
    """
    fields = {"Host": host, "User-Agent": "lbenroll", "Accept": "*/*"}
    fields.update(headers or {})
    fields["Connection"] = "close"
    lines = ["GET %s HTTP/1.1" % path] + ["%s: %s" % item for item in sorted(fields.items())]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def exchange(sock):
        sock.sendall(request)
        response = http.client.HTTPResponse(sock)
        try:
            response.begin()
            try:
                body = response.read(limit + 1)
            except http.client.IncompleteRead as exc:  # the server closed mid-body
                return True, HttpAnswer(response.status, response.reason,
                                        _lower_keys(response.getheaders()), exc.partial, False)
        except (http.client.HTTPException, ValueError) as exc:
            return False, "no HTTP answer (%s)" % exc.__class__.__name__
        finally:
            response.close()
        return True, HttpAnswer(response.status, response.reason,
                                _lower_keys(response.getheaders()), body[:limit],
                                complete=len(body) <= limit)
    return exchange


def _lower_keys(pairs):
    return dict((key.lower(), value) for key, value in pairs)
