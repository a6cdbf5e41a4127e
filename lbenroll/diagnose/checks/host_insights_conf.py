"""HOST_INSIGHTS_CONF: insights-client.conf hard-codes no base_url that bypasses the balancer.

Without base_url insights-client derives its endpoint from rhsm.conf (auto_config; insights-core
insights/client/auto_config.py), which HOST_RHSM_CONF checks. A base_url naming another host is
used with auto_config=False, and is the fallback when auto-configuration cannot connect.
"""
from lbenroll import host
from lbenroll.diagnose.hostconf import absent, consequence, repair_fix, who
from lbenroll.diagnose.verdicts import HOST, failed, passed, warned
from lbenroll.urls import same_host
from lbenroll.writers.insights import auto_config_on, base_url_host, red_hat_host


def check_insights(facts, balancer, proxies):
    if facts.insights is None:
        return absent("HOST_INSIGHTS_CONF", host.INSIGHTS_CONF, "insights-client not installed")
    base_url, auto_config = facts.insights
    name = base_url_host(base_url) if base_url else None
    if not name or same_host(name, balancer) or red_hat_host(name):
        return passed("HOST_INSIGHTS_CONF", HOST, "%s: %s" % (
            host.INSIGHTS_CONF, "base_url %s" % base_url if base_url else
            "no base_url: insights-client follows rhsm.conf (auto_config)"))
    what = "%s: base_url names %s, not the balancer %s" % (host.INSIGHTS_CONF,
                                                            who(name, proxies), balancer)
    if auto_config_on(auto_config):
        return warned("HOST_INSIGHTS_CONF", HOST, "%s: insights-client falls back to it when "
                      "the address it derives from rhsm.conf does not answer" % what,
                      repair_fix(balancer))
    return failed("HOST_INSIGHTS_CONF", HOST, "%s, and auto_config is off: %s" % (
        what, consequence([name], proxies, "Insights uploads")), repair_fix(balancer))
