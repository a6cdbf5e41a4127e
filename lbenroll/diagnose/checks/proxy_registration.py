"""PROXY_REGISTRATION: the name each proxy hands to registering hosts is the balancer's.

From round one's consumer RPM and the Foreman API's records read already: no request of its
own, so a proxy that is down is still judged by its Foreman record.
"""
from lbenroll.diagnose.proxies import not_checked
from lbenroll.diagnose.sources import feature_names, record_of, setting
from lbenroll.diagnose.verdicts import passed, skipped, warned
from lbenroll.urls import host_of, same_host


def judge(known, proxy, answer):
    if not proxy.up and known.listed is None:
        return not_checked("PROXY_REGISTRATION", proxy)
    return check_registration(proxy, known.balancer, known.listed, known.api_problem)


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
