"""PROXY_AMQP: every proxy offers AMQP for goferd (katello-agent) alike, with a certificate
naming the balancer."""
from lbenroll import ports
from lbenroll.diagnose.proxies import probe_service, service_results


def start(known, proxy):
    return known.submit(probe_service, proxy, known.balancer, ports.AMQP, known.katello_ca.pem,
                        known.timeout)


def judge(known, proxies, answers):
    return service_results("PROXY_AMQP", ports.AMQP, "AMQP (goferd)", proxies, answers,
                           ports.AMQP in known.used, known.balancer)
