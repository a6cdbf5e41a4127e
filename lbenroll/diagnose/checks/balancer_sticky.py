"""BALANCER_STICKY: one client's repeated metadata fetches on 443 land on one proxy."""
from lbenroll import host
from lbenroll.diagnose.balancer import MAX_PROBES_PER_PORT, answering
from lbenroll.diagnose.fetch import answer, digest, failure, https_get
from lbenroll.diagnose.verdicts import failed, passed, short, skipped
from lbenroll.rpmfile import NotAnRpm, RpmPackage

STICKY_FIX = ("use `balance source` (with `hash-type consistent`) for port 443 on the balancer, "
              "as the load-balancer guide's port table says")


def start(known):
    repo = known.facts.repos[0] if known.facts.repos else None
    return known.submit(check_sticky, known.balancer, known.katello_ca, repo,
                        min(max(len(known.up) + 1, 3), MAX_PROBES_PER_PORT), known.timeout)


def judge(known, result):
    return [result]


def check_sticky(balancer, katello_ca, repo, fetches, timeout):
    """BALANCER_STICKY: one client's repeated metadata fetches on 443 land on one proxy.

    With a repository (and the host's entitlement certificate) its repomd.xml is fetched; without
    one, the consumer RPM on 443, whose package name tells the proxy too.
    """
    target = "%s:443" % balancer
    if katello_ca is None:
        return skipped("BALANCER_STICKY", target, "not checked: no Katello CA to verify against",
                       port=443)
    if repo is not None:
        path, port, client_cert = repo.repomd_path, repo.port, repo.client_cert
    else:
        path, port, client_cert = host.CONSUMER_RPM_PATH, 443, None
    seen = []
    for _ in range(fetches):
        probe = https_get(balancer, port, path, katello_ca.pem, timeout, client_cert=client_cert)
        got = answer(probe)
        if got is None:
            return skipped("BALANCER_STICKY", target, "not checked: %s" % failure(
                probe, "%s:%d" % (balancer, port)), port=443)
        seen.append((answering(probe) or _package_proxy(got), got.status, digest(got.body)))
    proxies = sorted({short(proxy) for proxy, _, _ in seen if proxy})
    bodies = {(status, body) for _, status, body in seen}
    data = {"port": 443, "path": path, "answering": proxies}
    if len(proxies) > 1 or len(bodies) > 1:
        return failed("BALANCER_STICKY", target, "not sticky: %d fetches of %s from this host "
                      "were answered by %s%s; dnf then gets repomd.xml from one proxy and the "
                      "files it lists from another, whose metadata differs: 404s" % (
                          fetches, path, ", ".join(proxies) or "different proxies",
                          " with %d different answers" % len(bodies) if len(bodies) > 1 else ""),
                      STICKY_FIX, **data)
    return passed("BALANCER_STICKY", target, "%d fetches of %s all answered by %s, identical" % (
        fetches, path, proxies[0] if proxies else "the same proxy"), **data)


def _package_proxy(got):
    try:
        name = RpmPackage(got.body).name
    except NotAnRpm:
        return None
    return name[len(host.CONSUMER_PACKAGE_PREFIX):] if name.startswith(
        host.CONSUMER_PACKAGE_PREFIX) else None
