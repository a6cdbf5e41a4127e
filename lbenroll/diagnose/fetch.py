"""What the diagnosis asks over the network, through the balancer or straight to one proxy.

Every request presents the balancer's name (TLS SNI and the HTTP Host header); with an address
it goes to that proxy instead of the balancer, which is the load-balancer guide's `/etc/hosts`
trick done without editing /etc/hosts.
"""
import hashlib

from lbenroll import consumer, host
from lbenroll.errors import LbenrollError
from lbenroll.probe import http_exchange, plain_probe, tls_probe
from lbenroll.rpmfile import NotAnRpm, RpmPackage

PUPPET_CA_PATH = "/puppet-ca/v1/certificate/ca"
PEM_MARKER = b"-----BEGIN CERTIFICATE-----"


def http_get(balancer, port, path, timeout, address=None, limit=consumer.MAX_SIZE):
    """GET over plain HTTP; a ProbeResult whose protocol_detail is the HttpAnswer."""
    return plain_probe(balancer, port, http_exchange(balancer, path, limit=limit), timeout,
                       address)


def https_get(balancer, port, path, ca_pem, timeout, address=None, client_cert=None,
              headers=None, limit=consumer.MAX_SIZE):
    """GET over TLS verified against ca_pem (None: unverified); see http_get."""
    return tls_probe(balancer, port, ca_pem, timeout, http_exchange(balancer, path, headers, limit),
                     address, client_cert)


def answer(probe):
    """The HttpAnswer of a probe, or None when there was none."""
    return probe.protocol_detail if probe.protocol_ok else None


def failure(probe, where):
    """Why a probe got no answer, as a phrase: 'proxy02:443: connection refused'."""
    if not probe.reachable:
        return "%s: %s" % (where, (probe.error or "unreachable").lower())
    if probe.chain_ok is False:
        return "%s: certificate not from the Katello CA (%s)" % (where, probe.error)
    if probe.chain_ok and not probe.name_ok:
        return "%s: certificate names %s, not %s" % (where, ", ".join(probe.names), probe.host)
    if probe.error:
        return "%s: %s" % (where, probe.error)
    return "%s: %s" % (where, probe.protocol_detail)


def digest(data):
    return hashlib.sha256(data).hexdigest()


class ConsumerFetch(object):
    """The consumer RPM as one GET of /pub/katello-ca-consumer-latest.noarch.rpm found it.

    package: the RpmPackage (its name tells which proxy built it), rpm: the parsed ConsumerRpm
    with its CA (only when parsed with a runner), problem: why there is neither.
    """

    def __init__(self, probe, package=None, rpm=None, problem=None):
        self.probe = probe
        self.package = package
        self.rpm = rpm
        self.problem = problem

    @property
    def proxy(self):
        """The proxy the package names, which is whichever proxy built it."""
        return self.package.name[len(host.CONSUMER_PACKAGE_PREFIX):] if self.package else None


def consumer_rpm(balancer, timeout, runner=None, address=None):
    """Fetch the consumer RPM on port 80; with a runner also read its CA (rpm2cpio on stdin, so
    nothing is written even to a temporary file)."""
    where = "%s:80" % (address or balancer)
    probe = http_get(balancer, 80, host.CONSUMER_RPM_PATH, timeout, address)
    got = answer(probe)
    if got is None:
        return ConsumerFetch(probe, problem=failure(probe, where))
    if got.status != 200:
        return ConsumerFetch(probe, problem="%s%s answered %s" % (
            where, host.CONSUMER_RPM_PATH, got))
    try:
        package = RpmPackage(got.body)
    except NotAnRpm as exc:
        return ConsumerFetch(probe, problem="%s%s is not a usable RPM (%s)" % (
            where, host.CONSUMER_RPM_PATH, exc))
    if runner is None:
        return ConsumerFetch(probe, package)
    url = "http://%s%s" % (where, host.CONSUMER_RPM_PATH)
    try:
        rpm = consumer.parse(url, got.body, lambda consume: _rpm2cpio(runner, got.body, consume))
    except LbenrollError as exc:
        return ConsumerFetch(probe, package, problem=exc.message)
    return ConsumerFetch(probe, package, rpm)


def _rpm2cpio(runner, data, consume):
    result = runner.stream(["rpm2cpio"], consume, input=data)
    if not result.ok:
        raise NotAnRpm("rpm2cpio failed: %s" % runner.output(result))


def puppet_ca(balancer, port, timeout, address=None):
    """(Puppet CA certificate PEM or None, probe) from GET /puppet-ca/v1/certificate/ca.

    Unverified, as an agent's first `puppet ssl bootstrap` fetches it: it is what later
    verifies Puppet's certificates.
    """
    probe = https_get(balancer, port, PUPPET_CA_PATH, None, timeout, address,
                      headers={"Accept": "text/plain"}, limit=256 * 1024)
    got = answer(probe)
    if got is None or got.status != 200 or PEM_MARKER not in got.body:
        return None, probe
    return consumer.first_pem(got.body.decode("ascii", "replace")), probe
