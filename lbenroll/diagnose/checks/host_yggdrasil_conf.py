"""HOST_YGGDRASIL_CONF: every MQTT broker of yggdrasil's config.toml names the balancer."""
from lbenroll import host
from lbenroll.diagnose.hostconf import absent, repair_fix, who
from lbenroll.diagnose.verdicts import HOST, failed, passed, warned
from lbenroll.urls import host_of, same_host


def check_yggdrasil(facts, balancer, proxies):
    if facts.brokers is None:
        return absent("HOST_YGGDRASIL_CONF", host.YGGDRASIL_CONFIG,
                      "pull-mode remote execution not set up")
    if not facts.brokers:
        return warned("HOST_YGGDRASIL_CONF", HOST,
                      "%s names no MQTT broker" % host.YGGDRASIL_CONFIG,
                      "set broker = [\"mqtts://%s:1883\"]" % balancer)
    wrong = [url for url in facts.brokers if not same_host(host_of(url), balancer)]
    if wrong:
        return failed("HOST_YGGDRASIL_CONF", HOST, "%s: broker %s does not name the balancer" % (
            host.YGGDRASIL_CONFIG, ", ".join("%s (%s)" % (url, who(host_of(url) or "", proxies))
                                             for url in wrong)),
            repair_fix(balancer))
    return passed("HOST_YGGDRASIL_CONF", HOST, "%s: every broker names %s" % (
        host.YGGDRASIL_CONFIG, balancer))
