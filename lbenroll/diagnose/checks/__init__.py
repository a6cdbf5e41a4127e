"""The checks of the diagnosis's second round, one module each, in the order of the report.

A check declares its id, its subject, what it needs and its two functions; diagnosis.py runs the
table and knows no check by name. Adding a check is one module here and one line in CHECKS.

- BALANCER: `start(known)` asks the balancer (known.submit returns futures; None: no request
  of its own); `judge(known, answer)` returns the check's results, answer being start's value
  with every future replaced by its result.
- PROXY: `start(known, proxy)` for each proxy that meets the needs (None: no request of its
  own); `judge(known, proxy, answer)` returns that proxy's result.
- PROXIES: the proxies compared, a pair or more: `start(known, proxy)` as for PROXY, then one
  `judge(known, proxies, {proxy name: answer})` returns {proxy name: result}.
- HOST: this host's files, read already (known.facts): no start; `judge(known, None)` returns
  the check's results. They run last, and alone with --host-only. A check of the files alone
  is a function of (facts, balancer, proxy names) that returns one result (of_files).

A proxy that does not meet a check's needs gets a skipped result, which says why.
"""
import collections

from lbenroll.diagnose.checks import (balancer_mqtt, balancer_port, balancer_sticky,
                                      foreman_api, host_gofer_conf, host_insights_conf,
                                      host_katello_ca,
                                      host_manage_repos, host_openscap_conf, host_puppet_conf,
                                      host_redhat_repo, host_rex_pull, host_rhsm_conf,
                                      host_yggdrasil_conf,
                                      proxy_amqp, proxy_consumer_rpm, proxy_content,
                                      proxy_features, proxy_metadata, proxy_puppet,
                                      proxy_reachable, proxy_registration, proxy_rex_ca,
                                      proxy_rhsm, proxy_tls, puppet_ca)

BALANCER, PROXY, PROXIES, HOST = "balancer", "proxy", "the proxies compared", "this host"
# What a check needs: the proxy answering on 80 or 443, a Katello CA to verify certificates
# against, a CA (Katello's or the Puppet CA) for Puppet's ports, a diagnosis that connects
# (not --host-only).
ANSWERS, KATELLO_CA, PUPPET_TRUST, CONNECTION = ("answers", "katello_ca", "puppet_trust",
                                                 "connection")

Check = collections.namedtuple("Check", "id subject needs start judge")


def of_files(check):
    """The judge of a check of this host's files alone: check(facts, balancer, proxy names)."""
    return lambda known, answer: [check(known.facts, known.balancer, known.names)]


CHECKS = (
    Check("FOREMAN_API", BALANCER, (), None, foreman_api.judge),
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
    Check("PROXY_REX_CA", PROXIES, (ANSWERS, KATELLO_CA), proxy_rex_ca.start,
          proxy_rex_ca.judge),
    Check("HOST_RHSM_CONF", HOST, (), None, of_files(host_rhsm_conf.check_rhsm_conf)),
    Check("HOST_MANAGE_REPOS", HOST, (), None, of_files(host_manage_repos.check_manage_repos)),
    Check("HOST_REDHAT_REPO", HOST, (), None, of_files(host_redhat_repo.check_redhat_repo)),
    Check("HOST_PUPPET_CONF", HOST, (), None, of_files(host_puppet_conf.check_puppet_conf)),
    Check("HOST_GOFER_CONF", HOST, (), None, of_files(host_gofer_conf.check_gofer)),
    Check("HOST_YGGDRASIL_CONF", HOST, (), None, of_files(host_yggdrasil_conf.check_yggdrasil)),
    Check("HOST_REX_PULL", HOST, (), None, of_files(host_rex_pull.check_rex_pull)),
    Check("HOST_OPENSCAP_CONF", HOST, (), None, of_files(host_openscap_conf.check_openscap)),
    Check("HOST_INSIGHTS_CONF", HOST, (), None, of_files(host_insights_conf.check_insights)),
    Check("HOST_KATELLO_CA", HOST, (CONNECTION,), None, host_katello_ca.judge),
)


def meets(check, known, proxy=None):
    """Whether known (and proxy, for a check of the proxies) has what check needs."""
    have = {ANSWERS: proxy is not None and proxy.up, KATELLO_CA: known.katello_ca is not None,
            PUPPET_TRUST: known.puppet_trust is not None, CONNECTION: known.connected}
    return all(have[need] for need in check.needs)


def host_results(known):
    """The results of the checks of this host, in the table's order."""
    return [result for check in CHECKS if check.subject == HOST and meets(check, known)
            for result in check.judge(known, None)]


class Known(object):
    """What the first round found, which every check reads: the table's one argument."""

    def __init__(self, balancer, timeout, facts, submit, states):
        self.balancer = balancer
        self.timeout = timeout
        self.facts = facts          # hostconf.HostFacts: this host's configuration
        self.submit = submit        # starts a request on the diagnosis's threads; a future
        self.states = states        # every proxy, as ProxyStates
        self.up = [p for p in states if p.up]
        self.katello_ca = None      # trust.KatelloCa, or None when there is none
        self.katello_pem = None
        self.via_8141 = None        # the Puppet CA PEM that the balancer's 8141 served
        self.puppet_trust = None    # PEMs for Puppet's ports (trust.puppet_trust)
        self.used = set()           # the ports this host's configuration uses
        self.attempts = 1           # connections per balancer port
        self.rhsm_port, self.rhsm_prefix = 443, "/rhsm"
        self.listed = None          # Foreman's Smart Proxy records, when they were read
        self.api_problem = None     # why they could not be, when they were asked for
        self.foreman = None         # the Foreman server asked (--foreman with --login), or None
        self.foreman_trust = None   # trust.ForemanTrust: what it was verified against, or why not
        self.connected = True       # False for --host-only, which makes no connection

    @property
    def names(self):
        """The names of the proxies, which the checks of this host's files recognize."""
        return [p.name for p in self.states]
