"""PROXY_FEATURES: every proxy offers the Smart Proxy features the others offer (/features on
9090)."""
import json

from lbenroll import ports
from lbenroll.diagnose.fetch import answer, failure, https_get
from lbenroll.diagnose.proxies import transport_fix
from lbenroll.diagnose.verdicts import failed, passed, short

# The Puppet CA feature is on the one proxy that signs Puppet certificates (the guide's "Puppet
# CA on the first proxy only"), so it is the one feature the proxies do not share.
FEATURES_NOT_SHARED = {"puppetca", "puppet ca"}


def start(known, proxy):
    return known.submit(fetch_features, proxy, known.balancer, known.katello_ca, known.timeout)


def judge(known, proxies, answers):
    return features_results(proxies, answers)


def fetch_features(proxy, balancer, katello_ca, timeout):
    """(set of feature names, None, None) or (None, why not, fix) from GET /features on 9090."""
    probe = https_get(balancer, ports.SMART_PROXY_API, "/features", katello_ca.pem, timeout,
                      address=proxy.address, limit=256 * 1024)
    got = answer(probe)
    where = proxy.where(ports.SMART_PROXY_API)
    fix = "check that foreman-proxy runs on %s" % proxy.name
    if got is None:
        return None, failure(probe, where), transport_fix(probe, balancer, fix)
    if got.status != 200:
        return None, "%s/features answered %s" % (where, got), fix
    try:
        features = json.loads(got.body.decode("utf-8"))
    except ValueError:
        return None, "%s/features is not JSON" % where, fix
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
