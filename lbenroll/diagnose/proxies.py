"""Checks of each proxy on its own address (presenting the balancer name), and across proxies."""
import json

from lbenroll import consumer
from lbenroll.diagnose.balancer import CA_FIX, CNAME_FIX
from lbenroll.diagnose.checks import failed, listing, passed, plural, short, skipped, warned
from lbenroll.diagnose.fetch import answer, digest, failure, https_get
from lbenroll.diagnose.metadata import NotRepomd, parse_repomd
from lbenroll.diagnose.sources import feature_names, record_of, setting
from lbenroll.probe import amqp_exchange, plain_probe, tls_probe
from lbenroll.urls import host_of, same_host

# The Puppet CA feature is on the one proxy that signs Puppet certificates (the guide's "Puppet
# CA on the first proxy only"), so it is the one feature the proxies do not share.
FEATURES_NOT_SHARED = {"puppetca", "puppet ca"}
SYNC_FIX = ("synchronize %s (hammer capsule content synchronize --name %s, or Infrastructure > "
            "Smart Proxies > Synchronize) and give it the same lifecycle environments as the "
            "other proxies")


class ProxyState(object):
    """One proxy: its name and address, and what the first round of requests found."""

    def __init__(self, name, address=None, problem=None):
        self.name = name
        self.address = address
        self.problem = problem      # why it cannot be checked at all (does not resolve)
        self.consumer = None        # fetch.ConsumerFetch of its own /pub consumer RPM
        self.https = None           # ProbeResult of a plain connection to its 443
        self.puppet_ca_pem = None   # the Puppet CA certificate it serves on 8140, if it is one

    @property
    def up(self):
        if self.problem:
            return False
        return bool((self.consumer and self.consumer.probe.reachable)
                    or (self.https and self.https.reachable))

    def where(self, port):
        return "%s (%s):%d" % (self.name, self.address, port)


def transport_fix(probe, balancer, otherwise):
    """The fix for a request that got no answer: the certificate's, when that was the reason."""
    if probe.chain_ok is False:
        return CA_FIX
    if probe.chain_ok and not probe.name_ok:
        return CNAME_FIX % (balancer, balancer)
    return otherwise


def connect_443(proxy, balancer, timeout):
    """Only a TCP connection: whether the proxy is up, before any CA is known."""
    return plain_probe(balancer, 443, lambda sock: (True, "connected"), timeout, proxy.address)


def check_reachable(proxy):
    if proxy.problem:
        return failed("PROXY_REACHABLE", proxy.name, "%s %s" % (proxy.name, proxy.problem),
                      "add it to DNS (or /etc/hosts), or correct the proxy list")
    if not proxy.up:
        return failed("PROXY_REACHABLE", proxy.name, "%s (%s) does not answer on 80 (%s) or 443 "
                      "(%s): it is down; the balancer sends its share to the others while its "
                      "health checks fail" % (proxy.name, proxy.address,
                                              (proxy.consumer.probe.error or "?").lower(),
                                              (proxy.https.error or "?").lower()),
                      "start the proxy's services (httpd, foreman-proxy, pulpcore) or take it out "
                      "of the balancer")
    return passed("PROXY_REACHABLE", proxy.name, "%s answers at %s" % (proxy.name, proxy.address),
                  address=proxy.address)


def not_checked(check_id, proxy):
    """The result of a check that cannot run because the proxy is unreachable."""
    return skipped(check_id, proxy.name, "not checked: %s %s" % (
        proxy.name, proxy.problem or "does not answer"))


def check_consumer_rpm(proxy, katello_ca):
    fetch = proxy.consumer
    if fetch.rpm is None:
        return failed("PROXY_CONSUMER_RPM", proxy.name, fetch.problem or "no consumer RPM",
                      "check what %s publishes in /pub (katello-ca-consumer-latest.noarch.rpm)"
                      % proxy.name)
    nvr = fetch.rpm.package.nvr
    data = {"package": nvr, "ca_sha256": fetch.rpm.fingerprint}
    if katello_ca is not None and fetch.rpm.fingerprint != katello_ca.fingerprint:
        return failed("PROXY_CONSUMER_RPM", proxy.name, "%s carries a CA (SHA-256 %s) that is not "
                      "the Katello CA (%s, %s): %s was set up with another CA" % (
                          nvr, consumer.pretty_fingerprint(fetch.rpm.fingerprint),
                          consumer.pretty_fingerprint(katello_ca.fingerprint), katello_ca.origin,
                          proxy.name), CA_FIX, **data)
    return passed("PROXY_CONSUMER_RPM", proxy.name, "%s with the Katello CA" % nvr, **data)


# -- the root cause of pinned hosts: what the proxy tells a registering host to use -----------

# A proxy builds its consumer RPM and its rhsm URL for the host of its registration URL, and for
# its own name when it has none (Katello 4.7 and later, theforeman/puppet-foreman_proxy_content:
# manifests/init.pp, $client_facing_servername, from 1e2f839). The installer options are the
# parameters of theforeman/puppet-foreman_proxy: manifests/init.pp (registration,
# registration_url, template_url); init.pp of puppet-foreman_proxy_content refuses a
# registration URL whose host is not among the proxy certificate's names.
# See docs/katello-client-facts.md, "The consumer RPM".
REGISTRATION_FIX = (
    "on %(proxy)s: foreman-installer %(enable)s--foreman-proxy-registration-url "
    "https://%(balancer)s:9090 --foreman-proxy-template-url http://%(balancer)s:8000 (its "
    "certificate must carry %(balancer)s: foreman-proxy-certs-generate --foreman-proxy-cname "
    "%(balancer)s), then refresh its features in Foreman; it rebuilds its consumer RPM and rhsm "
    "URL for the balancer, for every host registered from then on. Hosts registered already: "
    "`lbenroll --server %(balancer)s` on each points rhsm.conf, the CA and the agents at the "
    "balancer")


def check_registration(proxy, balancer, listed=None, api_problem=None):
    """PROXY_REGISTRATION: the name this proxy hands to registering hosts is the balancer's.

    From the consumer RPM already fetched from the proxy (its package name is the host it was
    built for) and, with the Foreman API, the proxy's record in listed (its registration URL,
    rhsm URL and features). api_problem: why the API could not be read, when it was asked."""
    fetch = proxy.consumer
    built_for = fetch.proxy if fetch is not None else None
    record = record_of(listed, proxy.name) if listed is not None else None
    registration = setting(record, "registration_url") if record else None
    rhsm_url = setting(record, "rhsm_url") if record else None
    features = feature_names(record) if record else None
    findings = []
    if built_for and not same_host(built_for, balancer):
        findings.append("its consumer RPM is built for %s (%s), so a host that registers "
                        "through the balancer and gets it names %s in rhsm.conf and bypasses "
                        "the balancer" % (built_for, fetch.package.nvr, built_for))
    if listed is not None and record is None:
        findings.append("Foreman lists no Smart Proxy named %s" % proxy.name)
    elif record is not None:
        if not registration:
            findings.append("Foreman has no registration URL for it")
        elif not same_host(host_of(registration), balancer):
            findings.append("its registration URL in Foreman is %s, not the balancer"
                            % registration)
        elif built_for and not same_host(built_for, balancer):
            findings.append("its registration URL names the balancer, but the package was built "
                            "before it was set or by a Katello older than 4.7")
        if rhsm_url and not same_host(host_of(rhsm_url), balancer):
            findings.append("its rhsm URL in Foreman is %s" % rhsm_url)
        if features is not None and "registration" not in features:
            findings.append("its Registration feature is not enabled")
    data = {"consumer_rpm_for": built_for, "registration_url": registration,
            "rhsm_url": rhsm_url}
    detail = ["the Foreman API was not read: %s" % api_problem] if api_problem else []
    if findings:
        enable = "--foreman-proxy-registration true " if (
            features is not None and "registration" not in features) else ""
        return warned("PROXY_REGISTRATION", proxy.name, "%s gives registering hosts another "
                      "name than the balancer %s: %s" % (proxy.name, balancer,
                                                         "; ".join(findings)),
                      REGISTRATION_FIX % {"proxy": proxy.name, "balancer": balancer,
                                          "enable": enable}, detail=detail, **data)
    known = (["its consumer RPM is built for %s" % built_for] if built_for else []) + (
        ["its registration URL is %s" % registration] if registration else [])
    if not known:
        return skipped("PROXY_REGISTRATION", proxy.name, "not checked: no consumer RPM from "
                       "%s and no Foreman API (--foreman, --login)" % proxy.name, detail=detail,
                       **data)
    return passed("PROXY_REGISTRATION", proxy.name, "%s: the balancer's name" % "; ".join(known),
                  detail=detail, **data)


def check_tls(proxy, balancer, katello_ca, timeout):
    """PROXY_TLS: 443 presents a certificate from the Katello CA that carries the balancer name."""
    if katello_ca is None:
        return skipped("PROXY_TLS", proxy.name, "not checked: no Katello CA to verify against")
    probe = tls_probe(balancer, 443, katello_ca.pem, timeout, address=proxy.address)
    if not probe.reachable:
        return failed("PROXY_TLS", proxy.name, failure(probe, proxy.where(443)),
                      "start httpd on %s" % proxy.name)
    if not probe.chain_ok:
        return failed("PROXY_TLS", proxy.name, "the certificate of %s on 443 does not chain to "
                      "the Katello CA (%s): it was issued by another CA" % (
                          proxy.name, probe.error), CA_FIX)
    if not probe.name_ok:
        return failed("PROXY_TLS", proxy.name, "the certificate of %s names %s, not the balancer "
                      "%s: clients refuse it whenever the balancer sends them there" % (
                          proxy.name, ", ".join(probe.names), balancer),
                      CNAME_FIX % (balancer, balancer), names=probe.names)
    return passed("PROXY_TLS", proxy.name, "certificate from the Katello CA names %s" % (
        ", ".join(probe.names)), names=probe.names)


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


# -- content: every enabled repository's repomd.xml on every proxy --------------------------------

def fetch_repomd(proxy, balancer, katello_ca, repo, timeout):
    """(kind, detail) for one repository on one proxy: "ok" with the metadata.Publication (the
    body's SHA-256 when it does not parse), "missing", "refused" or "error"."""
    probe = https_get(balancer, repo.port, repo.repomd_path, katello_ca.pem, timeout,
                      address=proxy.address, client_cert=repo.client_cert)
    got = answer(probe)
    if got is None:
        return "error", failure(probe, proxy.where(repo.port))
    if got.status == 200:
        try:
            return "ok", parse_repomd(got.body, digest(got.body))
        except NotRepomd:
            return "ok", digest(got.body)
    if got.status == 404:
        return "missing", str(got)
    if got.status in (401, 403):
        return "refused", str(got)
    return "error", "%s%s answered %s" % (proxy.where(repo.port), repo.repomd_path, got)


def content_results(proxies, repos, found, notes):
    """PROXY_CONTENT per proxy from found[(proxy name, repository id)] = (kind, detail)."""
    results = {}
    served_by = {repo.id: [p.name for p in proxies if found[(p.name, repo.id)][0] == "ok"]
                 for repo in repos}
    for proxy in proxies:
        results[proxy.name] = _content_result(proxy, repos, found, served_by, notes)
    return results


def _content_result(proxy, repos, found, served_by, notes):
    if not repos:
        return skipped("PROXY_CONTENT", proxy.name, "no enabled repository with a client "
                       "certificate in redhat.repo to check", detail=notes)
    kinds = {}
    for repo in repos:
        kind, detail = found[(proxy.name, repo.id)]
        kinds.setdefault(kind, []).append((repo, detail))
    unsynced = [repo for repo, _ in kinds.get("missing", ()) if served_by[repo.id]]
    nowhere = [repo for repo, _ in kinds.get("missing", ()) if not served_by[repo.id]]
    detail = ["%s: %s" % (repo.id, d) for kind in ("refused", "error") for repo, d in
              kinds.get(kind, ())] + list(notes)
    if unsynced:
        others = sorted({short(n) for repo in unsynced for n in served_by[repo.id]})
        return failed("PROXY_CONTENT", proxy.name, "%s lacks repomd.xml of %s, which %s serve "
                      "(HTTP 404): the content is not synchronized to %s" % (
                          proxy.name, listing(r.id for r in unsynced), ", ".join(others),
                          proxy.name), SYNC_FIX % (proxy.name, proxy.name),
                      detail=["%s: %s" % (r.id, r.repomd_path) for r in unsynced] + detail,
                      missing=[r.id for r in unsynced])
    if kinds.get("refused"):
        return failed("PROXY_CONTENT", proxy.name, "%s refuses this host's entitlement certificate "
                      "for %s" % (proxy.name, listing(r.id for r, _ in kinds["refused"])),
                      "check the certificate is current (subscription-manager refresh) and that "
                      "%s uses the Katello CA" % proxy.name, detail=detail)
    if kinds.get("error"):
        return failed("PROXY_CONTENT", proxy.name, "cannot fetch repomd.xml of %s from %s" % (
            listing(r.id for r, _ in kinds["error"]), proxy.name),
            "see the other checks of %s (PROXY_TLS first)" % proxy.name, detail=detail)
    if nowhere:
        return warned("PROXY_CONTENT", proxy.name, "no proxy serves repomd.xml of %s" % listing(
            r.id for r in nowhere), "publish and promote the content view, then "
            "`subscription-manager refresh` on this host", detail=detail)
    return passed("PROXY_CONTENT", proxy.name, "repomd.xml of %s present" % plural(
        len(repos), "enabled repository", "enabled repositories"), detail=list(notes))


# -- optional services: the same on every proxy ---------------------------------------------------

def probe_service(proxy, balancer, port, trust, timeout):
    """A TLS connection to one proxy's port (AMQP answers the protocol header on 5647)."""
    exchange = amqp_exchange if port == 5647 else None
    return tls_probe(balancer, port, trust, timeout, exchange, proxy.address)


def service_results(check_id, port, service, proxies, probes, required, balancer):
    """{proxy name: result}: a service every proxy must offer alike (5647 AMQP, 8140 Puppet)."""
    answering = [short(p.name) for p in proxies if probes[p.name].reachable]
    results = {}
    for proxy in proxies:
        probe = probes[proxy.name]
        if not probe.reachable:
            results[proxy.name] = _absent(check_id, proxy, port, service, required, answering,
                                          probe)
        elif probe.chain_ok is False:
            results[proxy.name] = failed(check_id, proxy.name, "%s on %s: certificate from another "
                                         "CA (%s)" % (service, proxy.where(port), probe.error),
                                         CA_FIX, port=port)
        elif not probe.name_ok:
            results[proxy.name] = failed(check_id, proxy.name, "%s on %s: the certificate names "
                                         "%s, not the balancer" % (service, proxy.where(port),
                                                                   ", ".join(probe.names)),
                                         CNAME_FIX % (balancer, balancer), port=port)
        elif probe.error or probe.protocol_ok is False:
            results[proxy.name] = failed(check_id, proxy.name, failure(probe, proxy.where(port)),
                                         "check %s on %s" % (service, proxy.name), port=port)
        else:
            results[proxy.name] = passed(check_id, proxy.name, "%s answers on %d, certificate "
                                         "names the balancer%s" % (
                                             service, port, "; %s" % probe.protocol_detail
                                             if probe.protocol_detail else ""), port=port)
    return results


def _absent(check_id, proxy, port, service, required, answering, probe):
    why = (probe.error or "unreachable").lower()
    if required:
        return failed(check_id, proxy.name, "%s does not answer on %d (%s): this host's %s fails "
                      "whenever the balancer sends it there" % (proxy.name, port, why, service),
                      "set up %s on %s like on the other proxies" % (service, proxy.name),
                      port=port)
    if answering:
        return warned(check_id, proxy.name, "%s does not answer on %d (%s) but %s do: the proxies "
                      "differ" % (proxy.name, port, why, ", ".join(answering)),
                      "set up %s on every proxy behind the balancer, or on none" % service,
                      port=port)
    return skipped(check_id, proxy.name, "no proxy answers on %d (%s not in use)" % (
        port, service), port=port)


# -- /features on 9090: identical across proxies --------------------------------------------------

def fetch_features(proxy, balancer, katello_ca, timeout):
    """(set of feature names, None, None) or (None, why not, fix) from GET /features on 9090."""
    probe = https_get(balancer, 9090, "/features", katello_ca.pem, timeout, address=proxy.address,
                      limit=256 * 1024)
    got = answer(probe)
    fix = "check that foreman-proxy runs on %s" % proxy.name
    if got is None:
        return None, failure(probe, proxy.where(9090)), transport_fix(probe, balancer, fix)
    if got.status != 200:
        return None, "%s/features answered %s" % (proxy.where(9090), got), fix
    try:
        features = json.loads(got.body.decode("utf-8"))
    except ValueError:
        return None, "%s/features is not JSON" % proxy.where(9090), fix
    if isinstance(features, dict):  # /v2/features style: {name: {...}}
        features = list(features)
    return {str(name).lower() for name in features}, None, None


def features_results(proxies, found):
    """{proxy name: PROXY_FEATURES}: every proxy offers the features the others offer.

    found[proxy name] is what fetch_features returned."""
    shared = {name: (features - FEATURES_NOT_SHARED) for name, (features, _, _) in found.items()
              if features is not None}
    everything = set().union(*shared.values()) if shared else set()
    results = {}
    for proxy in proxies:
        features, problem, fix = found[proxy.name]
        if features is None:
            results[proxy.name] = failed("PROXY_FEATURES", proxy.name, problem, fix)
            continue
        missing = sorted(everything - shared[proxy.name])
        if missing:
            having = sorted(short(n) for n, f in shared.items() if set(missing) & f)
            results[proxy.name] = failed(
                "PROXY_FEATURES", proxy.name, "%s lacks the features %s that %s offer: requests "
                "for them fail whenever the balancer sends them to %s" % (
                    proxy.name, ", ".join(missing), ", ".join(having), proxy.name),
                "enable the same Smart Proxy features on every proxy behind the balancer "
                "(foreman-installer on %s), then refresh its features in Foreman" % proxy.name,
                features=sorted(features), missing=missing)
        else:
            results[proxy.name] = passed("PROXY_FEATURES", proxy.name, "the same features as the "
                                         "other proxies: %s" % ", ".join(sorted(features)),
                                         features=sorted(features))
    return results
