"""PROXY_RHSM: each proxy's RHSM reverse proxy reaches Candlepin (GET <prefix>/status)."""
import json

from lbenroll.diagnose.fetch import answer, failure, https_get
from lbenroll.diagnose.proxies import transport_fix
from lbenroll.diagnose.verdicts import failed, passed, skipped


def start(known, proxy):
    return known.submit(check_rhsm, proxy, known.balancer, known.katello_ca, known.rhsm_port,
                        known.rhsm_prefix, known.timeout)


def judge(known, proxy, answer):
    return answer


def check_rhsm(proxy, balancer, katello_ca, port, prefix, timeout):
    """PROXY_RHSM: the proxy's RHSM reverse proxy reaches Candlepin (GET <prefix>/status)."""
    if katello_ca is None:
        return skipped("PROXY_RHSM", proxy.name, "not checked: no Katello CA to verify against")
    path = prefix.rstrip("/") + "/status"
    probe = https_get(balancer, port, path, katello_ca.pem, timeout, address=proxy.address,
                      limit=256 * 1024)
    got = answer(probe)
    fix = ("check httpd's /rhsm reverse proxy on %s and that it reaches the Katello server's "
           "Candlepin" % proxy.name)
    if got is None:
        return failed("PROXY_RHSM", proxy.name, "RHSM gives no answer: %s" % failure(
            probe, proxy.where(port) + path), transport_fix(probe, balancer, fix))
    if got.status != 200:
        return failed("PROXY_RHSM", proxy.name, "RHSM answers %s%s" % (got, _message(got.body)),
                      fix, http_status=got.status)
    return passed("PROXY_RHSM", proxy.name, "%s answers (%s)" % (path, got), http_status=got.status)


def _message(body):
    """Candlepin's displayMessage, when the body is its JSON error."""
    try:
        text = json.loads(body.decode("utf-8")).get("displayMessage")
    except (ValueError, AttributeError):
        return ""
    return ": %s" % text if text else ""
