"""One diagnosis: find the proxies, two rounds of concurrent requests, then the comparisons.

Nothing here writes: files are only read, the consumer RPM is read in memory (rpm2cpio on
stdin), and no log file or lock is opened.
"""
import concurrent.futures
import time

from lbenroll.diagnose import (balancer, hostconf, metadata, proxies, pullmode, puppet, sources,
                               trust)
from lbenroll.diagnose.checks import failed, passed, same_proxy, skipped, warned
from lbenroll.diagnose.fetch import consumer_rpm, puppet_ca
from lbenroll.errors import ExitCode
from lbenroll.results import exit_code
from lbenroll.probe import tls_probe
from lbenroll.urls import same_host

WORKERS = 32
MAX_PROBES_PER_PORT = 8
PROXY_CHECKS = ("PROXY_REACHABLE", "PROXY_TLS", "PROXY_CONSUMER_RPM", "PROXY_REGISTRATION",
                "PROXY_RHSM",
                "PROXY_CONTENT", "PROXY_METADATA", "PROXY_PUPPET", "PROXY_AMQP",
                "PROXY_FEATURES")


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
        # Foreman's Smart Proxy records (read once, with --login) or why they could not be read.
        self._listed, self._api_problem = None, None

    def go(self):
        address, problem = sources.resolve(self.balancer)
        if problem:
            self.results.append(failed(
                "BALANCER_ADDRESS", self.balancer, "the balancer name %s %s" % (
                    self.balancer, problem), "check the name, DNS and /etc/hosts on this host",
                exit_code=ExitCode.UNAVAILABLE))
            self._host_checks([], None)
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
        self._round_two(states, katello_ca)
        self._host_checks([p.name for p in states], katello_ca)

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
        (without --proxies) and of their registration URLs (PROXY_REGISTRATION)."""
        settings = self.settings
        ca_pem = self.facts.installed_ca or (first.rpm.server_ca_pem if first.rpm else None)
        try:
            if ca_pem is None:
                raise sources.SourceError("no Katello CA to verify %s against" % settings.foreman)
            get_json = sources.foreman_api(settings.foreman, settings.login, settings.password,
                                           ca_pem, self.timeout)
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
            api = self.pool.submit(tls_probe, self.balancer, 9090, ca_pem, self.timeout) \
                if ca_pem else None
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
        cas = [self.pool.submit(puppet_ca, self.balancer, 8140, self.timeout, p.address)
               for p in live]
        self._via_8141 = self.pool.submit(puppet_ca, self.balancer, puppet.CA_PORT, self.timeout)
        for proxy, rpm, connected, ca in zip(live, rpms, https, cas):
            proxy.consumer, proxy.https = rpm.result(), connected.result()
            proxy.puppet_ca_pem = ca.result()[0]

    # -- round two: everything else, all at once ---------------------------------------------

    def _round_two(self, states, katello_ca):
        facts, submit = self.facts, self.pool.submit
        up = [p for p in states if p.up]
        used = balancer.used_ports(facts)
        katello_pem = katello_ca.pem if katello_ca else None
        puppet_pems = [p.puppet_ca_pem for p in states] + [self._via_8141.result()[0]]
        puppet_trust = trust.puppet_trust(katello_ca, puppet_pems)
        attempts = min(max(len(up), 1), MAX_PROBES_PER_PORT)
        port, prefix = self._rhsm_endpoint(states)
        ports = [submit(balancer.check_port, spec, self.balancer,
                        puppet_trust if spec.kind == balancer.PUPPET else katello_pem,
                        1 if spec.number == puppet.CA_PORT else attempts, self.timeout,
                        spec.need == "always" or spec.number in used, prefix)
                 for spec in balancer.PORTS]
        repo = facts.repos[0] if facts.repos else None
        sticky = submit(balancer.check_sticky, self.balancer, katello_ca, repo,
                        min(max(len(up) + 1, 3), MAX_PROBES_PER_PORT), self.timeout)
        probe_8141 = submit(puppet.probe_8141, self.balancer, puppet_trust, self.timeout) \
            if puppet_trust else None
        per_proxy = {p.name: self._submit_proxy(p, katello_ca, puppet_trust, port, prefix)
                     for p in up}
        mqtt = self._submit_pull_mode(states, katello_pem, attempts)
        self.results.extend(f.result() for f in ports)
        self.results.append(sticky.result())
        self.results.append(mqtt())
        self.results.append(puppet.check_puppet_ca(
            self.balancer, up, self._via_8141.result()[0],
            probe_8141.result() if probe_8141 else None, facts.puppet is not None))
        self.results.extend(self._proxy_results(states, up, per_proxy, katello_ca, used))

    def _submit_pull_mode(self, states, katello_pem, attempts):
        """BALANCER_MQTT's connections, started now; returns what waits for them."""
        brokers, submit = self.facts.brokers, self.pool.submit
        port = pullmode.broker_port(brokers, self.balancer)
        if brokers is None or katello_pem is None:
            return lambda: pullmode.check_brokers(self.balancer, brokers, port, None, {})
        # At least one more connection than proxies, so a round-robin shows a second broker.
        through = submit(pullmode.through_balancer, self.balancer, port, katello_pem,
                         min(max(len(states) + 1, 4), MAX_PROBES_PER_PORT), self.timeout)
        # Every proxy that resolves: its broker may answer while its web services do not.
        directs = {p.name: submit(pullmode.direct, p, self.balancer, port, katello_pem,
                                  self.timeout) for p in states if not p.problem}
        return lambda: pullmode.check_brokers(
            self.balancer, brokers, port, through.result(),
            {name: future.result() for name, future in directs.items()})

    def _rhsm_endpoint(self, states):
        """The RHSM port and prefix: rhsm.conf's when it names the balancer or a proxy, else
        the consumer RPM's port and /rhsm."""
        rhsm = self.facts.rhsm
        if rhsm and (same_host(rhsm["hostname"], self.balancer)
                     or any(same_proxy(rhsm["hostname"], p.name) for p in states)):
            return self.facts.rhsm_port, rhsm["prefix"] or "/rhsm"
        rpms = [p.consumer.rpm for p in states if p.consumer and p.consumer.rpm]
        return (rpms[0].rhsm_port if rpms else 443), "/rhsm"

    def _submit_proxy(self, proxy, katello_ca, puppet_trust, port, prefix):
        submit, balancer_name, timeout = self.pool.submit, self.balancer, self.timeout
        futures = {"PROXY_TLS": submit(proxies.check_tls, proxy, balancer_name, katello_ca,
                                       timeout),
                   "PROXY_RHSM": submit(proxies.check_rhsm, proxy, balancer_name, katello_ca,
                                        port, prefix, timeout)}
        if katello_ca is not None:
            futures["content"] = {repo.id: submit(proxies.fetch_repomd, proxy, balancer_name,
                                                  katello_ca, repo, timeout)
                                  for repo in self.facts.repos}
            futures["amqp"] = submit(proxies.probe_service, proxy, balancer_name, 5647,
                                     katello_ca.pem, timeout)
            futures["features"] = submit(proxies.fetch_features, proxy, balancer_name,
                                         katello_ca, timeout)
        if puppet_trust is not None:
            futures["puppet"] = submit(proxies.probe_service, proxy, balancer_name, 8140,
                                       puppet_trust, timeout)
        return futures

    def _proxy_results(self, states, up, per_proxy, katello_ca, used):
        rows = {p.name: {"PROXY_REACHABLE": proxies.check_reachable(p)} for p in states}
        for proxy in states:
            # From the consumer RPM of round one and the API records read already: no request
            # of its own, so a proxy that is down is still judged by its Foreman record.
            if proxy.up or self._listed is not None:
                rows[proxy.name]["PROXY_REGISTRATION"] = proxies.check_registration(
                    proxy, self.balancer, self._listed, self._api_problem)
        for proxy in up:
            futures, row = per_proxy[proxy.name], rows[proxy.name]
            row["PROXY_CONSUMER_RPM"] = proxies.check_consumer_rpm(proxy, katello_ca)
            row["PROXY_TLS"] = futures["PROXY_TLS"].result()
            row["PROXY_RHSM"] = futures["PROXY_RHSM"].result()
        self._compare(up, per_proxy, rows, katello_ca, used)
        ordered = []
        for check_id in PROXY_CHECKS:
            for proxy in states:
                result = rows[proxy.name].get(check_id)
                if result is None and proxy.up:
                    result = skipped(check_id, proxy.name, "not checked: no Katello CA to "
                                     "verify against")
                ordered.append(result or proxies.not_checked(check_id, proxy))
        return ordered

    def _compare(self, up, per_proxy, rows, katello_ca, used):
        """The checks whose verdict depends on what the other proxies answered."""
        if katello_ca is None or not up:
            return
        found = {(p.name, repo_id): future.result() for p in up
                 for repo_id, future in per_proxy[p.name]["content"].items()}
        for name, result in proxies.content_results(up, self.facts.repos, found,
                                                    self.facts.repo_notes).items():
            rows[name]["PROXY_CONTENT"] = result
        for name, result in metadata.metadata_results(up, self.facts.repos, found).items():
            rows[name]["PROXY_METADATA"] = result
        amqp = {p.name: per_proxy[p.name]["amqp"].result() for p in up}
        for name, result in proxies.service_results("PROXY_AMQP", 5647, "AMQP (goferd)", up, amqp,
                                                    5647 in used, self.balancer).items():
            rows[name]["PROXY_AMQP"] = result
        if all("puppet" in per_proxy[p.name] for p in up):
            found_puppet = {p.name: per_proxy[p.name]["puppet"].result() for p in up}
            for name, result in proxies.service_results("PROXY_PUPPET", 8140, "Puppet", up,
                                                        found_puppet, 8140 in used,
                                                        self.balancer).items():
                rows[name]["PROXY_PUPPET"] = result
        features = {p.name: per_proxy[p.name]["features"].result() for p in up}
        for name, result in proxies.features_results(up, features).items():
            rows[name]["PROXY_FEATURES"] = result

    # -- this host ---------------------------------------------------------------------------

    def _host_checks(self, names, katello_ca):
        self.results.extend(hostconf.check_host(self.facts, self.balancer, names, katello_ca))

