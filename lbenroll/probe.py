"""Network probes of the balancer: TLS certificate checks, AMQP and MQTT protocol handshakes."""
import socket
import ssl

AMQP_HEADER = b"AMQP\x00\x01\x00\x00"
# MQTT 3.1.1 CONNECT: clean session, keep-alive 60 s, client id "lbenroll-check".
MQTT_CLIENT_ID = b"lbenroll-check"
MQTT_CONNECT = (b"\x10" + bytes([10 + 2 + len(MQTT_CLIENT_ID)]) + b"\x00\x04MQTT\x04\x02\x00\x3c"
                + b"\x00" + bytes([len(MQTT_CLIENT_ID)]) + MQTT_CLIENT_ID)
MQTT_DISCONNECT = b"\xe0\x00"


class ProbeResult(object):
    """What a probe saw: reachable, whether the chain verified, the names the certificate carries."""

    def __init__(self, host, port):
        self.host = host
        self.port = port
        self.reachable = False
        self.error = None
        self.chain_ok = None
        self.names = []
        self.protocol_ok = None
        self.protocol_detail = None

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


def _context(ca_pem):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # Hostname checking is done by us, so a wrong name can be reported with the names found.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cadata=ca_pem)
    return context


def tls_probe(host, port, ca_pem, timeout=10.0, exchange=None, address=None):
    """Connect to host:port (or to address while presenting host), verify against ca_pem.

    exchange(sock) may run a protocol handshake on the verified connection and return
    (ok, detail).
    """
    result = ProbeResult(host, port)
    try:
        raw = socket.create_connection((address or host, port), timeout=timeout)
    except OSError as exc:
        result.error = exc.strerror or str(exc)
        return result
    result.reachable = True
    try:
        with _context(ca_pem).wrap_socket(raw, server_hostname=host) as sock:
            result.chain_ok = True
            result.names = _names(sock.getpeercert())
            if exchange is not None and result.name_ok:
                sock.settimeout(timeout)
                result.protocol_ok, result.protocol_detail = exchange(sock)
    except ssl.SSLError as exc:
        result.chain_ok = False
        result.error = exc.reason or str(exc)
    except OSError as exc:
        result.error = exc.strerror or str(exc)
    finally:
        raw.close()
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
    return False, "unexpected MQTT answer %r" % answer
