"""One diagnosis: find the proxies, two rounds of concurrent requests, then the comparisons.

Nothing here writes: files are only read, the consumer RPM is read in memory (rpm2cpio on
stdin), and no log file or lock is opened.
"""
import concurrent.futures
import time

from lbenroll import ports
from lbenroll.diagnose import balancer, hostconf, proxies, sources, trust
from lbenroll.diagnose.balancer import MAX_PROBES_PER_PORT
from lbenroll.diagnose.checks import BALANCER, CHECKS, HOST, PROXIES, Known, host_results, meets
from lbenroll.diagnose.fetch import consumer_rpm, puppet_ca
from lbenroll.diagnose.verdicts import failed, passed, same_proxy, skipped, warned
from lbenroll.errors import ExitCode
from lbenroll.results import exit_code
from lbenroll.probe import tls_probe
from lbenroll.urls import same_host

WORKERS = 32


class Settings(object):
    """What the command line asked for."""

    def __init__(self, balancer, proxies=None, foreman=None, login=None, password=None,
                 timeout=5.0, ca_fingerprint=None):
        self.balancer = balancer
        self.proxies = proxies
        self.foreman = foreman
        self.login = login
        self.password = password
        self.timeout = timeout
        self.ca_fingerprint = ca_fingerprint


class Diagnosis(object):
    """Everything found: the proxies and where their names came from, the Katello CA, results."""

    def __init__(self, balancer):
        self.balancer = balancer
        self.address = None
        self.source = None
        self.proxies = []
        self.katello_ca = None
        self.results = []
        self.duration = None

    @property
    def exit_code(self):
        return exit_code(self.results)


def run(settings, ctx):
    """Diagnose from the host behind ctx (its root: --root); returns a Diagnosis."""
    started = time.monotonic()
    diagnosis = Diagnosis(settings.balancer)
    facts = hostconf.read_host(ctx)
    with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        _Run(settings, ctx, facts, pool, diagnosis).go()
    diagnosis.duration = time.monotonic() - started
    return diagnosis


def unresolved(balancer, results):
    """The checks of this host's files when the balancer's name does not resolve: each fix that
    would enroll through that name (issue 19) says to make it resolve first instead."""
    for result in results:
        if result.remediation:
            result.remediation = (
                "first make %s resolve (BALANCER_ADDRESS), or give the balancer's right name to "
                "diagnose; enrolling through a name that does not resolve cannot work" % balancer)
    return results


class _Run(object):
    def __init__(self, settings, ctx, facts, pool, diagnosis):
        self.settings = settings
        self.balancer = settings.balancer
        self.timeout = settings.timeout
        self.ctx = ctx
        self.facts = facts
        self.pool = pool
        self.diagnosis = diagnosis
        self.results = diagnosis.results
        self._via_8141 = None  # future of the Puppet CA that the balancer's 8141 serves
        # Foreman's Smart Proxy records (read once, with --login) or why they could not be read,
        # and the CA its server was verified against (or why the password was not sent).
        self._listed, self._api_problem, self._foreman_trust = None, None, None

    def go(self):
        address, problem = sources.resolve(self.balancer)
        if problem:
            self.results.append(failed(
                "BALANCER_ADDRESS", self.balancer, "the balancer name %s %s" % (
                    self.balancer, problem), "check the name, DNS and /etc/hosts on this host",
                exit_code=ExitCode.UNAVAILABLE))
            self.results.extend(unresolved(self.balancer, host_results(
                Known(self.balancer, self.timeout, self.facts, self.pool.submit, []))))
            return
        self.diagnosis.address = address
        self.results.append(passed("BALANCER_ADDRESS", self.balancer, "%s resolves to %s" % (
            self.balancer, address), address=address))
        first = consumer_rpm(self.balancer, self.timeout, self.ctx.runner)
        names = self._proxy_names(first)
        states = self._resolve(names)
        self.diagnosis.proxies = states
        self._survey(states)
        served = [(p.name, p.consumer.rpm.server_ca_pem) for p in states
                  if p.consumer and p.consumer.rpm]
        if not served and first.rpm:
            served = [("the balancer", first.rpm.server_ca_pem)]
        katello_ca, result = trust.choose(self.balancer, served, self.facts.installed_ca,
                                          self.settings.ca_fingerprint)
        self.diagnosis.katello_ca = katello_ca
        self.results.append(result)
        self.results.extend(host_results(self._round_two(states, katello_ca)))

    # -- which proxies -----------------------------------------------------------------------

    def _proxy_names(self, first):
        settings = self.settings
        if settings.login:
            self._read_foreman(first)
        if settings.proxies:
            source = sources.ProxySource(sources.OPTION, sources.from_option(settings.proxies),
                                         "named with --proxies")
            return self._source_result(source)
        note = None
        if self._listed is None and self._api_problem:
            note = "the Foreman API gave no proxies (%s); discovered them instead" % (
                self._api_problem)
        elif self._listed is not None:
            source = self._from_foreman()
            if source.names:
                return self._source_result(source)
            note = "%s; discovered them instead" % source.detail
        return self._source_result(self._discover(first), note)

    def _read_foreman(self, first):
        """Every Smart Proxy record of the Foreman API, once: the source of the proxy names
        (without --proxies) and of their registration URLs (PROXY_REGISTRATION).

        The password goes only to a server verified against a CA this host has installed or
        --ca-fingerprint pins (trust.foreman_trust), never against one that only came over
        plain HTTP on port 80: whoever answers there for the balancer would get it."""
        settings = self.settings
        self._foreman_trust = trust.foreman_trust(
            self.facts.installed_ca, first.rpm.server_ca_pem if first.rpm else None,
            settings.ca_fingerprint)
        if self._foreman_trust.ca is None:
            self._api_problem = "the password was not sent to %s: %s" % (
                settings.foreman, self._foreman_trust.why)
            return
        try:
            get_json = sources.foreman_api(settings.foreman, settings.login, settings.password,
                                           self._foreman_trust.ca.pem, self.timeout)
            self._listed = sources.smart_proxies(get_json)
        except sources.SourceError as exc:
            self._api_problem = str(exc)

    def _from_foreman(self):
        names = sources.names_behind(self._listed, self.balancer)
        detail = ("%d of the %d smart proxies in the Foreman API at %s have a registration or "
                  "template URL on %s" % (len(names), len(self._listed), self.settings.foreman,
                                          self.balancer))
        return sources.ProxySource(sources.FOREMAN, sorted(names), detail)

    def _discover(self, first):
        ca_pem = first.rpm.server_ca_pem if first.rpm else self.facts.installed_ca
        seeds = [first.proxy] if first.proxy else []

        def one_round():
            rpm = self.pool.submit(consumer_rpm, self.balancer, self.timeout)
            api = self.pool.submit(tls_probe, self.balancer, ports.SMART_PROXY_API, ca_pem,
                                   self.timeout) if ca_pem else None
            names = [rpm.result().proxy] + (api.result().other_names() if api else [])
            while seeds:
                names.append(seeds.pop())
            return [n for n in names if n and not n.startswith("*.")
                    and not same_host(n, self.balancer)]
        names, rounds = sources.discover(one_round)
        detail = ("discovered through the balancer in %d rounds (the consumer RPM's name on "
                  "port 80, the certificate on 9090)" % rounds)
        return sources.ProxySource(sources.DISCOVERY, sorted(names), detail)

    def _source_result(self, source, note=None):
        self.diagnosis.source = source
        target = self.balancer
        summary = "%d proxies %s: %s" % (len(source.names), source.detail,
                                         ", ".join(source.names) or "none")
        data = {"source": source.kind, "names": source.names}
        if not source.names:
            self.results.append(failed("PROXY_SOURCE", target, summary, "name the proxies with "
                                       "--proxies", detail=[note] if note else [],
                                       exit_code=ExitCode.UNAVAILABLE, **data))
        elif note or (source.kind == sources.DISCOVERY and len(source.names) == 1):
            self.results.append(warned(
                "PROXY_SOURCE", target, summary, "name every proxy with --proxies: discovery "
                "only finds proxies the balancer sends requests to (a stopped proxy is not "
                "found, nor any proxy if port 80 is not round-robin)",
                detail=[note] if note else [], **data))
        else:
            self.results.append(passed("PROXY_SOURCE", target, summary, **data))
        return source.names

    def _resolve(self, names):
        resolved = list(self.pool.map(sources.resolve, names))
        return [proxies.ProxyState(name, address, problem)
                for name, (address, problem) in zip(names, resolved)]

    # -- round one: what is up, each proxy's consumer RPM and Puppet CA ----------------------

    def _survey(self, states):
        live = [p for p in states if not p.problem]
        rpms = [self.pool.submit(consumer_rpm, self.balancer, self.timeout, self.ctx.runner,
                                 p.address) for p in live]
        https = [self.pool.submit(proxies.connect_443, p, self.balancer, self.timeout)
                 for p in live]
        cas = [self.pool.submit(puppet_ca, self.balancer, ports.PUPPET, self.timeout, p.address)
               for p in live]
        self._via_8141 = self.pool.submit(puppet_ca, self.balancer, ports.PUPPET_CA, self.timeout)
        for proxy, rpm, connected, ca in zip(live, rpms, https, cas):
            proxy.consumer, proxy.https = rpm.result(), connected.result()
            proxy.puppet_ca_pem = ca.result()[0]

    # -- round two: every check of the table, all at once ----------------------------------

    def _round_two(self, states, katello_ca):
        """Every check of the balancer and the proxies; returns what they read."""
        known = self._known(states, katello_ca)
        started = {}
        for check in CHECKS:
            if check.subject == HOST:
                continue
            if check.subject == BALANCER:
                started[check.id] = check.start(known) if check.start else None
                continue
            for proxy in states:
                # Checks that read the same requests (PROXY_CONTENT, PROXY_METADATA) share
                # their start function, and the requests are made once.
                if check.start and meets(check, known, proxy) and (
                        (check.start, proxy.name) not in started):
                    started[(check.start, proxy.name)] = check.start(known, proxy)
        for check in CHECKS:
            if check.subject == BALANCER:
                self.results.extend(check.judge(known, _gathered(started[check.id])))
            elif check.subject != HOST:
                self.results.extend(self._proxy_results(check, known, started))
        return known

    def _known(self, states, katello_ca):
        """What round one found, as every check of round two reads it."""
        known = Known(self.balancer, self.timeout, self.facts, self.pool.submit, states)
        known.katello_ca = katello_ca
        known.katello_pem = katello_ca.pem if katello_ca else None
        known.via_8141 = self._via_8141.result()[0]
        known.puppet_trust = trust.puppet_trust(
            katello_ca, [p.puppet_ca_pem for p in states] + [known.via_8141])
        known.used = balancer.used_ports(self.facts)
        known.attempts = min(max(len(known.up), 1), MAX_PROBES_PER_PORT)
        known.rhsm_port, known.rhsm_prefix = self._rhsm_endpoint(states)
        known.listed, known.api_problem = self._listed, self._api_problem
        if self.settings.login:
            known.foreman, known.foreman_trust = self.settings.foreman, self._foreman_trust
        return known

    def _proxy_results(self, check, known, started):
        """check's result for every proxy, in the order of the proxies."""
        judged = [p for p in known.states if meets(check, known, p)]
        answers = {p.name: _gathered(started.get((check.start, p.name))) for p in judged}
        if check.subject == PROXIES:
            rows = check.judge(known, judged, answers) if judged else {}
        else:
            rows = {p.name: check.judge(known, p, answers[p.name]) for p in judged}
        results = []
        for proxy in known.states:
            result = rows.get(proxy.name)
            if result is None and proxy.up:
                result = skipped(check.id, proxy.name, "not checked: no Katello CA to verify "
                                 "against")
            results.append(result or proxies.not_checked(check.id, proxy))
        return results

    def _rhsm_endpoint(self, states):
        """The RHSM port and prefix: rhsm.conf's when it names the balancer or a proxy, else
        the consumer RPM's port and /rhsm."""
        rhsm = self.facts.rhsm
        if rhsm and (same_host(rhsm["hostname"], self.balancer)
                     or any(same_proxy(rhsm["hostname"], p.name) for p in states)):
            return self.facts.rhsm_port, rhsm["prefix"] or "/rhsm"
        rpms = [p.consumer.rpm for p in states if p.consumer and p.consumer.rpm]
        return (rpms[0].rhsm_port if rpms else 443), "/rhsm"


def _gathered(started):
    """What a check's start returned, every future replaced by its result."""
    if isinstance(started, concurrent.futures.Future):
        return started.result()
    if isinstance(started, dict):
        return {key: _gathered(value) for key, value in started.items()}
    if isinstance(started, (list, tuple)):
        return type(started)(_gathered(value) for value in started)
    return started
