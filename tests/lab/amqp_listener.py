#!/usr/bin/python3
r"""AMQP 1.0 over TLS stand-in for the Smart Proxies' qdrouterd on 5647 (Debian has no qdrouterd).

Run with Debian's interpreter, the only one that can import proton:
    /usr/bin/python3 tests/lab/amqp_listener.py CONFIG.json
CONFIG.json: {"listeners": [{"address", "port", "cert", "key"}, ...], "ca": PEM, "log": JSONL path}.
Each listener presents its own certificate, so a client that goes through the balancer sees the
certificate of whichever proxy answered.

TLS is done with the stdlib ssl module and the plaintext is fed to a proton Transport
("connection engine" style). Proton's own server SSL can only demand a client certificate
(VERIFY_PEER) or never ask for one (ANONYMOUS_PEER); we want "optional, verified against the CA
when presented" (like the proxies' HTTPS ports), the SNI name, and the handshake itself to be
observable. Everything above TLS (protocol headers, SASL, AMQP frames) is proton's.

Protocol headers after TLS (measured with qpid-proton 0.37): proton answers with the header the
client sent.
- AMQP\x00\x01\x00\x00 (plain AMQP) -> exactly AMQP\x00\x01\x00\x00; proton then waits for the
  client's open frame.
- AMQP\x03\x01\x00\x00 (SASL) -> AMQP\x03\x01\x00\x00 followed at once by a sasl-mechanisms
  frame offering ANONYMOUS.
- AMQP\x02\x01\x00\x00 (the TLS header, sent inside TLS) -> no answer.
- anything else -> AMQP\x00\x01\x00\x00 plus a close frame with amqp:connection:framing-error
  "Unknown protocol detected", then the connection is closed.
So a stdlib-only check can send AMQP\x00\x01\x00\x00 and expect exactly those 8 bytes back.

One JSON object per line is appended to the log ("ts" and "event" always present):
- listening: {"listeners": ["addr:port", ...]} once all sockets are bound.
- tls: a TLS handshake completed: {"listener", "peer", "sni", "client_subject"}.
- tls_error: the client sent bytes but the handshake failed: {"listener", "peer", "error"}.
  Connections closed before the handshake (HAProxy's TCP health checks) are not logged.
- open: an AMQP connection was opened: {"listener", "peer", "sni", "hostname" (from the client's
  open frame), "client_subject"}.
- message: a message arrived on any link: {"listener", "peer", "address", "body"}.
- closed: a connection that completed TLS ended: {"listener", "peer", "condition",
  "description"}: proton's transport error, null after a clean AMQP close, e.g.
  amqp:connection:framing-error / "connection aborted" when a client hangs up after the header
  exchange.
"client_subject" is like "CN=client01.example.test,O=ACME", null when no certificate was sent.
"""
import json
import selectors
import socket
import ssl
import sys
import time

from proton import Collector, Connection, Transport
from proton.handlers import MessagingHandler

# Short names for the subject attributes Python's ssl module spells out in full.
SUBJECT_KEYS = {
    "commonName": "CN", "organizationName": "O", "organizationalUnitName": "OU",
    "countryName": "C", "stateOrProvinceName": "ST", "localityName": "L",
}


class EventLog(object):
    """Appends one JSON object per line and flushes it, so tests can read the log at any time."""

    def __init__(self, path):
        self.file = open(path, "a", encoding="utf-8")

    def write(self, event, **fields):
        record = {"ts": time.time(), "event": event}
        record.update(fields)
        self.file.write(json.dumps(record, default=repr) + "\n")
        self.file.flush()


class Listener(object):
    """One listening socket with its own server certificate."""

    def __init__(self, address, port, cert, key, ca):
        self.name = "%s:%s" % (address, port)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.context.load_verify_locations(ca)
        # Like the proxies' HTTPS ports: ask for a client certificate, verify it if one is sent.
        self.context.verify_mode = ssl.CERT_OPTIONAL
        self.context.sni_callback = remember_sni
        self.sock = socket.create_server((address, port))
        self.sock.setblocking(False)


def remember_sni(tls_sock, server_name, _context):
    # The stdlib exposes SNI to a server only through this callback; keep it on the socket.
    tls_sock.requested_name = server_name


def subject_text(cert):
    if not cert:
        return None
    parts = []
    for rdn in cert.get("subject", ()):
        for key, value in rdn:
            parts.append("%s=%s" % (SUBJECT_KEYS.get(key, key), value))
    return ",".join(parts)


class AmqpHandler(MessagingHandler):
    """Accepts every connection, session and link, and logs opens and messages."""

    def __init__(self, peer):
        super(AmqpHandler, self).__init__()
        self.peer = peer

    def on_connection_opened(self, event):
        self.peer.log("open", sni=self.peer.sni, hostname=event.connection.remote_hostname,
                      client_subject=self.peer.client_subject)

    def on_link_opening(self, event):
        # Mirror the client's addresses so a link to any address is accepted.
        event.link.source.copy(event.link.remote_source)
        event.link.target.copy(event.link.remote_target)

    def on_message(self, event):
        address = event.message.address or event.link.remote_target.address
        self.peer.log("message", address=address, body=event.message.body)

    def on_transport_error(self, event):
        # Recorded by the peer's "closed" line; MessagingHandler's default only prints to stderr.
        pass


class Peer(object):
    """One accepted client: TLS handshake first, then bytes pumped through a proton Transport."""

    def __init__(self, sock, address, listener, events, selector):
        self.sock = sock
        self.selector = selector
        self.address = "%s:%s" % address[:2]
        self.listener = listener
        self.events = events
        self.sni = None
        self.client_subject = None
        self.transport = None
        self.collector = None
        self.handler = None
        self.wants_write = False
        self.closed = False

    def log(self, event, **fields):
        self.events.write(event, listener=self.listener.name, peer=self.address, **fields)

    def interest(self):
        return selectors.EVENT_WRITE if self.wants_write else selectors.EVENT_READ

    def on_ready(self):
        try:
            if self.transport is None:
                self._handshake()
            else:
                self._pump()
        except (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionError):
            # A peer that hangs up, e.g. HAProxy's connect-only health check.
            self.close()
        except ssl.SSLError as exc:
            if self.transport is None:
                self.log("tls_error", error=str(exc))
            self.close()

    def _handshake(self):
        try:
            self.sock.do_handshake()
        except ssl.SSLWantReadError:
            self.wants_write = False
            return
        except ssl.SSLWantWriteError:
            self.wants_write = True
            return
        self.wants_write = False
        self.sni = getattr(self.sock, "requested_name", None)
        self.client_subject = subject_text(self.sock.getpeercert())
        self.log("tls", sni=self.sni, client_subject=self.client_subject)
        self.transport = Transport(Transport.SERVER)
        connection = Connection()
        self.collector = Collector()
        connection.collect(self.collector)
        self.transport.bind(connection)
        self.handler = AmqpHandler(self)
        # The client's first AMQP bytes may already sit decrypted in the TLS buffer, where the
        # selector cannot see them, so pump right away.
        self._pump()

    def _pump(self):
        hung_up = self._read()
        self._dispatch()
        self._write()
        self._dispatch()
        # After the client hangs up, proton can wait forever for the rest of a partial frame;
        # its last words (if any) have just been written, so end the connection here.
        if hung_up or self.transport.closed:
            self.close()

    def _read(self):
        """Feed decrypted bytes to proton; True when the client has closed its side."""
        while self.transport.capacity() > 0:
            try:
                data = self.sock.recv(min(self.transport.capacity(), 65536))
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                return False
            if not data:
                self.transport.close_tail()
                return True
            self.transport.push(data)
        return False

    def _dispatch(self):
        while True:
            event = self.collector.peek()
            if event is None:
                return
            event.dispatch(self.handler)
            self.collector.pop()

    def _write(self):
        self.wants_write = False
        while True:
            pending = self.transport.pending()
            if pending < 0:
                self.transport.close_head()
                return
            if pending == 0:
                return
            try:
                sent = self.sock.send(self.transport.peek(pending))
            except (ssl.SSLWantWriteError, ssl.SSLWantReadError):
                self.wants_write = True
                return
            self.transport.pop(sent)

    def tick(self, now):
        """Drive proton's idle-timeout timer; returns the next deadline (0 = none)."""
        if self.transport is None or self.closed:
            return 0
        deadline = self.transport.tick(now)
        self._flush()
        return deadline

    def _flush(self):
        try:
            self._write()
            self._dispatch()
        except (ssl.SSLError, ConnectionError):
            self.close()

    def close(self):
        if self.closed:
            return
        self.closed = True
        self.selector.unregister(self.sock)
        self.sock.close()
        if self.transport is not None:
            condition = self.transport.condition
            self.log("closed", condition=condition.name if condition else None,
                     description=condition.description if condition else None)


def serve(config):
    events = EventLog(config["log"])
    selector = selectors.DefaultSelector()
    listeners = []
    for spec in config["listeners"]:
        listener = Listener(spec["address"], spec["port"], spec["cert"], spec["key"],
                            config["ca"])
        selector.register(listener.sock, selectors.EVENT_READ, listener)
        listeners.append(listener)
    events.write("listening", listeners=[listener.name for listener in listeners])
    print("listening on %s" % " ".join(listener.name for listener in listeners), flush=True)
    peers = {}
    deadline = 0
    while True:
        timeout = max(0.0, deadline - time.time()) if deadline else None
        for key, _mask in selector.select(timeout):
            if isinstance(key.data, Listener):
                accept(key.data, selector, peers, events)
                continue
            key.data.on_ready()
        deadline = 0
        for sock, peer in list(peers.items()):
            next_tick = peer.tick(time.time())
            if peer.closed:
                del peers[sock]
                continue
            selector.modify(sock, peer.interest(), peer)
            if next_tick:
                deadline = min(deadline, next_tick) if deadline else next_tick


def accept(listener, selector, peers, events):
    try:
        raw, address = listener.sock.accept()
    except BlockingIOError:
        return
    raw.setblocking(False)
    tls_sock = listener.context.wrap_socket(raw, server_side=True, do_handshake_on_connect=False)
    peer = Peer(tls_sock, address, listener, events, selector)
    peers[tls_sock] = peer
    selector.register(tls_sock, selectors.EVENT_READ, peer)


def main(argv):
    with open(argv[1], encoding="utf-8") as f:
        serve(json.load(f))


if __name__ == "__main__":
    main(sys.argv)
