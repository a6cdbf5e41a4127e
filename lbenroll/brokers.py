"""The message brokers goferd (AMQP 5647) and yggdrasil (MQTT 1883) reach through the balancer,
the identity yggdrasil presents to its broker, and the verdict of probing one as a step result.
Used by CHECK_AMQP and CHECK_MQTT, and by diagnose's MQTT probes."""
import hashlib
import os
import ssl
import stat

from lbenroll import diskio, fileio, host
from lbenroll.errors import LbenrollError
from lbenroll.probe import load_client_cert, tls_probe
from lbenroll.results import Result, Status

CNAME_FIX = ("generate the proxies' certificates with `foreman-proxy-certs-generate "
             "--foreman-proxy-cname %s` so every proxy's certificate carries the balancer name")
# Foreman's installer sets up each Smart Proxy's mosquitto with `require_certificate true` and
# `use_identity_as_username true` (docs/katello-client-facts.md, "The Smart Proxy's mosquitto"):
# an MQTT CONNECT is answered only over a connection that presented a client certificate.
CONNACK_UNCHECKED = "the MQTT CONNACK was not checked: %s"


class Identity(object):
    """The certificate and key yggdrasil presents to its broker, as host paths, and why."""

    def __init__(self, ctx, cert, key, source, note=None):
        self.cert = cert
        self.key = key
        self.source = source    # where the paths come from, for messages
        self.note = note        # what an admin should know about the choice, or None
        self.real_cert = ctx.path(cert)
        self.real_key = ctx.path(key)

    def __str__(self):
        return "%s (%s)" % (self.cert, self.source)

    def _value(self):
        return (self.cert, self.key, self.source, self.note, self.real_cert, self.real_key)

    def __eq__(self, other):
        return isinstance(other, Identity) and self._value() == other._value()

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(self._value())


class IdentityUnavailable(Exception):
    """The identity cannot be presented; missing: its files do not exist (yet)."""

    def __init__(self, message, missing=False):
        super(IdentityUnavailable, self).__init__(message)
        self.missing = missing


def yggdrasil_identity(ctx, keys):
    """The identity yggdrasil presents, from config.toml's top-level strings (keys; None when
    there is no config.toml): its `cert-file` and `key-file`, else the consumer identity.

    yggdrasil presents a certificate only when both keys are set (RedHatInsights/yggdrasil
    internal/config/config.go, CreateTLSConfig); Global Registration's pull set-up and lbenroll's
    --rex-pull set them to the consumer certificate and key, which is what a host without
    config.toml gets once it is set up.
    """
    cert, key = [((keys or {}).get(name) or [None])[0] for name in ("cert-file", "key-file")]
    if cert and key:
        return Identity(ctx, cert, key, "%s's cert-file" % host.YGGDRASIL_CONFIG)
    note = None
    if keys is not None:
        note = ("%s does not name both cert-file and key-file: yggdrasil presents no "
                "certificate, which Foreman's mosquitto refuses; checked with the consumer "
                "certificate that --rex-pull and Global Registration set there" % (
                    host.YGGDRASIL_CONFIG))
    return Identity(ctx, host.CONSUMER_CERT, host.CONSUMER_KEY, "the consumer certificate",
                    note)


class _Presented(object):
    """The identity's two files, opened through diskio's walk (no link a non-root user made is
    followed) and handed to ssl as /proc/self/fd/N: OpenSSL opens the very files the walk
    checked, and no copy of the private key is written anywhere."""

    def __init__(self, identity):
        self.files = []
        try:
            for real, path in ((identity.real_cert, identity.cert),
                               (identity.real_key, identity.key)):
                self.files.append(_open_regular(real, path))
            self.pair = tuple("/proc/self/fd/%d" % f.fileno() for f in self.files)
            if not os.path.exists(self.pair[0]):
                raise IdentityUnavailable("/proc is not mounted, through which lbenroll hands "
                                          "the certificate to OpenSSL")
            try:
                load_client_cert(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), self.pair)
            except (ssl.SSLError, OSError) as exc:
                raise IdentityUnavailable("%s and %s do not load as a certificate and its "
                                          "unencrypted key (%s)" % (
                                              identity.cert, identity.key,
                                              getattr(exc, "reason", None) or exc))
        except BaseException:
            self.close()
            raise

    def close(self):
        while self.files:
            self.files.pop().close()

    def __enter__(self):
        return self.pair

    def __exit__(self, *exc):
        self.close()


def _open_regular(real, path):
    """The regular file at real (path: its host path) open for reading, else
    IdentityUnavailable."""
    try:
        handle = diskio.open_file(real)
    except LbenrollError as exc:
        raise IdentityUnavailable(exc.message)
    except OSError as exc:
        raise IdentityUnavailable("cannot read %s: %s" % (path, exc.strerror or exc))
    if handle is None:
        raise IdentityUnavailable("there is no %s" % path, missing=True)
    st = os.fstat(handle.fileno())
    if not stat.S_ISREG(st.st_mode) or st.st_size > diskio.MAX_READ:
        handle.close()
        raise IdentityUnavailable("%s is %s, not a certificate file" % (
            path, "larger than lbenroll reads" if stat.S_ISREG(st.st_mode) else "no regular file"))
    return handle


def probe_presenting(identity, host_name, port, ca_pem, timeout, exchange, address=None):
    """tls_probe presenting identity (None: no client certificate): (the probe, None); when
    identity cannot be presented, (a probe without the exchange, whose `unchecked` says why,
    the IdentityUnavailable)."""
    if identity is None:
        return tls_probe(host_name, port, ca_pem, timeout, exchange, address), None
    try:
        presented = _Presented(identity)
    except IdentityUnavailable as exc:
        probe = tls_probe(host_name, port, ca_pem, timeout, None, address)
        probe.unchecked = str(exc)
        return probe, exc
    with presented as pair:
        return tls_probe(host_name, port, ca_pem, timeout, exchange, address, pair), None


def _ask(identity, holds, balancer, port, ca_pem, timeout, exchange):
    """probe_presenting as early.py asks it; holds (what identity's files held when asked) only
    tells one question from another."""
    return probe_presenting(identity, balancer, port, ca_pem, timeout, exchange)


def _question(run, port, exchange, identity):
    """The arguments of _ask for balancer:port with this run's Katello CA and identity, which
    includes what the identity's files hold now: a certificate the run replaced (a new
    registration) is asked about again, never answered from before."""
    holds = None
    if identity is not None:
        holds = tuple(_digest(run.ctx, path) for path in (identity.cert, identity.key))
    return (identity, holds, run.balancer, port, run.katello_ca(), min(run.options.timeout, 15),
            exchange)


def _digest(ctx, path):
    """SHA-256 of the file at path, or None when it cannot be read (the probe says why)."""
    try:
        data = fileio.read_bytes(ctx, path)
    except (LbenrollError, OSError):
        return None
    return None if data is None else hashlib.sha256(data).hexdigest()


def begin(run, port, exchange, identity=None):
    """Begin the probe of balancer:port before the steps run (early.py): most of an MQTT
    CONNECT's time is waiting for the broker's answer."""
    run.early.begin(_ask, *_question(run, port, exchange, identity))


def broker_result(step_id, run, port, service, exchange, identity=None):
    """Probe balancer:port as the agent that uses it would, presenting identity if given."""
    where = "%s:%d" % (run.balancer, port)
    probe, unavailable = run.early.answer(_ask, *_question(run, port, exchange, identity))
    if not probe.reachable:
        summary = "%s not reachable (%s): %s cannot connect" % (where, probe.error, service)
        return Result(step_id, Status.WARNING, summary,
                      remediation="forward port %d on the balancer to the proxies" % port)
    if not probe.chain_ok:
        return Result(step_id, Status.WARNING, "%s presents a certificate that does not chain to "
                      "the Katello CA (%s)" % (where, probe.error),
                      remediation="all proxies must use certificates from the Katello CA")
    if not probe.name_ok:
        proxy = ", ".join(probe.other_names()) or "the answering proxy"
        return Result(step_id, Status.WARNING,
                      "the certificate of %s on %s lacks the balancer name %s: %s will refuse "
                      "it" % (proxy, where, run.balancer, service),
                      remediation=CNAME_FIX % run.balancer)
    notes = [identity.note] if identity is not None and identity.note else []
    if unavailable is not None:
        return _unchecked(step_id, where, identity, unavailable, notes)
    if not probe.protocol_ok:
        return Result(step_id, Status.WARNING, "%s: %s" % (
            where, probe.protocol_detail or probe.error or "no answer"),
            detail=(["presented %s" % identity] if identity is not None else []) + notes,
            remediation="check the %s service on the proxies" % service)
    detail = [probe.protocol_detail]
    if identity is not None:
        detail.append("presented %s, as yggdrasil does" % identity)
    return Result(step_id, Status.UNCHANGED, "%s answers %s with a valid certificate" % (
        where, service), detail=detail + notes)


def _unchecked(step_id, where, identity, unavailable, notes):
    """The certificate is right but the CONNECT was not tried: no identity to present. Before
    registration (a dry run on a fresh host) that is expected, not a warning; a file that is
    there but cannot be presented is one, since yggdrasil cannot present it either."""
    summary = "%s presents a valid certificate naming the balancer; %s" % (
        where, CONNACK_UNCHECKED % unavailable)
    if unavailable.missing:
        detail = ["yggdrasil presents %s once it exists (the host is registered)" % identity]
        return Result(step_id, Status.UNCHANGED, summary, detail=detail + notes)
    return Result(step_id, Status.WARNING, summary, detail=notes,
                  remediation="check %s and %s, which yggdrasil presents to its broker" % (
                      identity.cert, identity.key))
