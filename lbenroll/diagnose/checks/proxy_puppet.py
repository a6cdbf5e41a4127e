"""PROXY_PUPPET: every proxy offers Puppet alike, with a certificate naming the balancer."""
from lbenroll.diagnose.proxies import probe_service, service_results


def start(known, proxy):
    return known.submit(probe_service, proxy, known.balancer, 8140, known.puppet_trust,
                        known.timeout)


def judge(known, proxies, answers):
    return service_results("PROXY_PUPPET", 8140, "Puppet", proxies, answers, 8140 in known.used,
                           known.balancer)
