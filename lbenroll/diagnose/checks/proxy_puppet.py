"""PROXY_PUPPET: every proxy offers Puppet alike, with a certificate naming the balancer."""
from lbenroll import ports
from lbenroll.diagnose.proxies import probe_service, service_results


def start(known, proxy):
    return known.submit(probe_service, proxy, known.balancer, ports.PUPPET, known.puppet_trust,
                        known.timeout)


def judge(known, proxies, answers):
    return service_results("PROXY_PUPPET", ports.PUPPET, "Puppet", proxies, answers,
                           ports.PUPPET in known.used, known.balancer)
