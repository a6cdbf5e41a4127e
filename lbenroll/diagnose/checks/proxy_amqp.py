"""PROXY_AMQP: every proxy offers AMQP for goferd (katello-agent) alike, with a certificate
naming the balancer."""
from lbenroll.diagnose.proxies import probe_service, service_results


def start(known, proxy):
    return known.submit(probe_service, proxy, known.balancer, 5647, known.katello_ca.pem,
                        known.timeout)


def judge(known, proxies, answers):
    return service_results("PROXY_AMQP", 5647, "AMQP (goferd)", proxies, answers,
                           5647 in known.used, known.balancer)
