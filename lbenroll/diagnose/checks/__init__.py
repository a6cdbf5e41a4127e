"""The checks of the diagnosis's second round, one module each, in the order of the report.

A check declares its id, its subject, what it needs and its two functions; diagnosis.py runs the
table and knows no check by name. Adding a check is one module here and one line in CHECKS.

- BALANCER: `start(known)` asks the balancer (known.submit returns futures); `judge(known,
  answer)` returns the check's results, answer being start's value with every future replaced
  by its result.
- PROXY: `start(known, proxy)` for each proxy that meets the needs (None: no request of its
  own); `judge(known, proxy, answer)` returns that proxy's result.
- PROXIES: the proxies compared, a pair or more: `start(known, proxy)` as for PROXY, then one
  `judge(known, proxies, {proxy name: answer})` returns {proxy name: result}.

A proxy that does not meet a check's needs gets a skipped result, which says why.
"""
import collections

from lbenroll.diagnose.checks import (balancer_mqtt, balancer_port, balancer_sticky, proxy_amqp,
                                      proxy_consumer_rpm, proxy_content, proxy_features,
                                      proxy_metadata, proxy_puppet, proxy_reachable,
                                      proxy_registration, proxy_rhsm, proxy_tls, puppet_ca)

BALANCER, PROXY, PROXIES = "balancer", "proxy", "the proxies compared"
# What a check of a proxy needs: the proxy answering on 80 or 443, a Katello CA to verify
# certificates against, a CA (Katello's or the Puppet CA) for Puppet's ports.
ANSWERS, KATELLO_CA, PUPPET_TRUST = "answers", "katello_ca", "puppet_trust"

Check = collections.namedtuple("Check", "id subject needs start judge")

CHECKS = (
    Check("BALANCER_PORT", BALANCER, (), balancer_port.start, balancer_port.judge),
    Check("BALANCER_STICKY", BALANCER, (), balancer_sticky.start, balancer_sticky.judge),
    Check("BALANCER_MQTT", BALANCER, (), balancer_mqtt.start, balancer_mqtt.judge),
    Check("PUPPET_CA", BALANCER, (), puppet_ca.start, puppet_ca.judge),
    Check("PROXY_REACHABLE", PROXY, (), None, proxy_reachable.judge),
    Check("PROXY_TLS", PROXY, (ANSWERS, KATELLO_CA), proxy_tls.start, proxy_tls.judge),
    Check("PROXY_CONSUMER_RPM", PROXY, (ANSWERS,), None, proxy_consumer_rpm.judge),
    Check("PROXY_REGISTRATION", PROXY, (), None, proxy_registration.judge),
    Check("PROXY_RHSM", PROXY, (ANSWERS, KATELLO_CA), proxy_rhsm.start, proxy_rhsm.judge),
    Check("PROXY_CONTENT", PROXIES, (ANSWERS, KATELLO_CA), proxy_content.start,
          proxy_content.judge),
    Check("PROXY_METADATA", PROXIES, (ANSWERS, KATELLO_CA), proxy_metadata.start,
          proxy_metadata.judge),
    Check("PROXY_PUPPET", PROXIES, (ANSWERS, KATELLO_CA, PUPPET_TRUST), proxy_puppet.start,
          proxy_puppet.judge),
    Check("PROXY_AMQP", PROXIES, (ANSWERS, KATELLO_CA), proxy_amqp.start, proxy_amqp.judge),
    Check("PROXY_FEATURES", PROXIES, (ANSWERS, KATELLO_CA), proxy_features.start,
          proxy_features.judge),
)


def meets(check, known, proxy):
    """Whether proxy has what check needs."""
    have = {ANSWERS: proxy.up, KATELLO_CA: known.katello_ca is not None,
            PUPPET_TRUST: known.puppet_trust is not None}
    return all(have[need] for need in check.needs)
