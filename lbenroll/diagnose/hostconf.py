"""This host's enrollment configuration, read only, and the checks that it names the balancer."""
import os
import re
import socket
import time
import urllib.parse

from lbenroll import consumer, fileio, host, ports
from lbenroll.diagnose.verdicts import (HOST, failed, listing, passed, plural, same_proxy,
                                        skipped, warned)
from lbenroll.ini import IniDocument
from lbenroll.results import Status, exit_code
from lbenroll.urls import host_of, path_of, same_host
from lbenroll.writers.base import decode
from lbenroll.writers.redhat_repo import KATELLO_PATHS, URL_KEYS
from lbenroll.writers.rhsm_conf import read_rhsm
from lbenroll.writers.yggdrasil import broker_urls

DNF_VARS_DIRS = ("/etc/dnf/vars", "/etc/yum/vars")
ENABLED_VALUES = ("1", "true", "yes", "on")
_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


class Repo(object):
    """An enabled repository of redhat.repo: its id, the URL of its repomd.xml, client cert."""

    def __init__(self, id, url, port, path, client_cert):
        self.id = id
        self.url = url
        self.port = port
        self.repomd_path = path
        self.client_cert = client_cert


class HostFacts(object):
    """What the files say; None means the file is absent."""

    def __init__(self):
        self.rhsm = None
        self.repo_hosts = None      # {repository id: [hosts its URLs name]}
        self.repo_urls = None       # {repository id: [(key, host) of each of those URLs]}
        self.repos = []             # enabled repositories whose repomd.xml can be checked
        self.repo_notes = []        # enabled repositories that cannot be checked, and why
        self.puppet = None          # {"server", "ca_server", "ca_port"} as Puppet reads them
        self.puppet_sections = {}   # {key: "agent" or "main", the section it was read from}
        self.gofer_url = None       # "" when the file exists without a url
        self.brokers = None
        self.installed_ca = None

    @property
    def rhsm_port(self):
        port = (self.rhsm or {}).get("port") or "443"
        return int(port) if port.isdigit() else 443


def _text(ctx, path):
    data = fileio.read_bytes(ctx, path)
    return None if data is None else decode(data)


def read_host(ctx):
    """Every file the checks need, read through ctx (re-rooted by --root); nothing is written."""
    facts = HostFacts()
    text = _text(ctx, host.RHSM_CONF)
    facts.rhsm = None if text is None else read_rhsm(text)
    text = _text(ctx, host.REDHAT_REPO)
    if text is not None:
        _read_repos(ctx, facts, IniDocument(text))
    text = _text(ctx, host.PUPPET_CONF)
    if text is not None:
        doc = IniDocument(text, continuation=False)
        # The agent reads [agent] first, then [main] (puppet's settings sections).
        facts.puppet = {key: doc.get("agent", key, doc.get("main", key))
                        for key in ("server", "ca_server", "ca_port")}
        facts.puppet_sections = {key: "agent" if doc.get("agent", key) is not None else "main"
                                 for key, value in facts.puppet.items() if value is not None}
    text = _text(ctx, host.GOFER_KATELLO_CONF)
    if text is not None:
        facts.gofer_url = IniDocument(text).get("messaging", "url") or ""
    text = _text(ctx, host.YGGDRASIL_CONFIG)
    if text is not None:
        facts.brokers = broker_urls(text)
    facts.installed_ca = consumer.installed_ca(ctx)
    return facts


def _read_repos(ctx, facts, doc):
    facts.repo_hosts, facts.repo_urls = {}, {}
    variables = repo_variables(ctx)
    for repo in doc.sections():
        # The URLs Katello serves: a vendor's key URL from a repository override is not ours.
        urls = [(key, url) for key in URL_KEYS
                for url in re.split(r"[\s,]+", doc.get(repo, key) or "")
                if host_of(url) and not url.lower().startswith("file:")
                and path_of(url).startswith(KATELLO_PATHS)]
        facts.repo_hosts[repo] = [host_of(url) for _, url in urls]
        facts.repo_urls[repo] = [(key, host_of(url)) for key, url in urls]
        if (doc.get(repo, "enabled") or "0").strip().lower() not in ENABLED_VALUES:
            continue
        baseurl = (re.split(r"[\s,]+", (doc.get(repo, "baseurl") or "").strip()) or [""])[0]
        checkable = _checkable(ctx, repo, baseurl, variables, doc)
        if isinstance(checkable, Repo):
            facts.repos.append(checkable)
        else:
            facts.repo_notes.append("%s: %s" % (repo, checkable))


def _checkable(ctx, repo, baseurl, variables, doc):
    """A Repo to fetch repomd.xml of, or why this repository cannot be checked."""
    url, unknown = expand(baseurl, variables)
    if unknown:
        return "cannot expand $%s in its baseurl" % ", $".join(unknown)
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https":
        return "baseurl is not https (%s)" % (url or "none")
    cert, key = doc.get(repo, "sslclientcert"), doc.get(repo, "sslclientkey")
    client_cert = (ctx.path(cert), ctx.path(key)) if cert and key else None
    path = parts.path.rstrip("/") + "/repodata/repomd.xml"
    return Repo(repo, url, parts.port or 443, path, client_cert)


def repo_variables(ctx):
    """dnf's variables: files in /etc/dnf/vars (and yum's), else releasever and basearch."""
    # os.uname, not platform.machine: on Python 3.6 that runs `uname -p` in a subprocess.
    machine = os.uname().machine
    variables = {"basearch": machine, "arch": machine}
    os_release = _text(ctx, host.OS_RELEASE) or ""
    match = re.search(r"^VERSION_ID=\"?([0-9]+)", os_release, re.M)
    if match:
        variables["releasever"] = match.group(1)
    for directory in DNF_VARS_DIRS:
        real = ctx.path(directory)
        if os.path.isdir(real):
            for name in sorted(os.listdir(real)):
                value = _text(ctx, os.path.join(directory, name))
                if value is not None:
                    variables[name] = value.strip()
    return variables


def expand(url, variables):
    """(url with $name and ${name} replaced, names that are not known)."""
    unknown = []

    def replace(match):
        name = match.group(1) or match.group(2)
        if name in variables:
            return variables[name]
        unknown.append(name)
        return match.group(0)
    return _VARIABLE.sub(replace, url), unknown


# -- checks ---------------------------------------------------------------------------------------

def _who(name, proxies):
    """How to describe a host name that is not the balancer's."""
    if any(same_proxy(name, proxy) for proxy in proxies):
        return "%s, one of the proxies, directly" % name
    return name


def _consequence(names, proxies, clients):
    if any(same_proxy(name, proxy) for name in names for proxy in proxies):
        return "%s bypass the balancer and break when that proxy is down or rebuilt" % clients
    return "this host is not enrolled through the balancer"


def _repair(balancer):
    return ("run `lbenroll --server %s --puppet-ca-port 8141 --skip foreman`, which repairs it, "
            "or set it by hand" % balancer)


def check_rhsm_conf(facts, balancer, proxies):
    if facts.rhsm is None:
        return failed("HOST_RHSM_CONF", HOST, "%s is missing: subscription-manager is not "
                      "installed" % host.RHSM_CONF,
                      "install subscription-manager, then enroll this host through the balancer")
    wrong = []
    hostname = facts.rhsm["hostname"]
    if not same_host(hostname, balancer):
        wrong.append("server.hostname names %s" % _who(hostname, proxies))
    baseurl_host = host_of(facts.rhsm["baseurl"] or "")
    if not same_host(baseurl_host, balancer):
        wrong.append("rhsm.baseurl names %s" % _who(baseurl_host or "no host", proxies))
    if wrong:
        return failed("HOST_RHSM_CONF", HOST, "%s: %s, not the balancer %s: %s" % (
            host.RHSM_CONF, "; ".join(wrong), balancer, _consequence(
                [hostname, baseurl_host], proxies, "subscription-manager and dnf")),
            _repair(balancer))
    return passed("HOST_RHSM_CONF", HOST, "%s: server.hostname and rhsm.baseurl name %s "
                  "(port %s, prefix %s)" % (host.RHSM_CONF, balancer, facts.rhsm["port"],
                                           facts.rhsm["prefix"]))


def check_redhat_repo(facts, balancer, proxies):
    if facts.repo_hosts is None:
        return skipped("HOST_REDHAT_REPO", HOST, "%s does not exist (not registered, or "
                       "manage_repos = 0)" % host.REDHAT_REPO)
    wrong = {}
    for repo, hosts in facts.repo_hosts.items():
        for name in hosts:
            if not same_host(name, balancer):
                wrong.setdefault(name, []).append(repo)
    if wrong:
        detail = ["%s: %s" % (_who(name, proxies), listing(repos)) for name, repos in
                  sorted(wrong.items())]
        count = len({repo for repos in wrong.values() for repo in repos})
        return failed("HOST_REDHAT_REPO", HOST, "%s: %s %s instead of the balancer" % (
                          host.REDHAT_REPO, plural(count, "repository names",
                                                   "repositories name"), listing(sorted(wrong))),
                      _repair(balancer) + " (then `subscription-manager refresh`)",
                      detail=detail)
    return passed("HOST_REDHAT_REPO", HOST, "%s: %s through %s" % (
        host.REDHAT_REPO, plural(len(facts.repo_hosts), "repository goes",
                                 "repositories go"), balancer))


def check_puppet_conf(facts, balancer, proxies):
    if facts.puppet is None:
        return skipped("HOST_PUPPET_CONF", HOST, "%s does not exist (Puppet not set up)"
                       % host.PUPPET_CONF)
    server = facts.puppet["server"] or "puppet"  # Puppet's default server name
    ca_server = facts.puppet["ca_server"] or server
    wrong = ["%s names %s" % (key, _who(value, proxies))
             for key, value in (("server", server), ("ca_server", ca_server))
             if not same_host(value, balancer)]
    if wrong:
        return failed("HOST_PUPPET_CONF", HOST, "%s: %s, not the balancer %s" % (
            host.PUPPET_CONF, "; ".join(wrong), balancer), _repair(balancer))
    ca_port = facts.puppet["ca_port"] or str(ports.PUPPET)
    if ca_port != str(ports.PUPPET_CA):
        return warned("HOST_PUPPET_CONF", HOST, "%s: ca_port is %s: certificate requests go to "
                      "the balancer's round-robin Puppet port and reach the one proxy with the "
                      "Puppet CA only some of the time" % (host.PUPPET_CONF, ca_port),
                      "set ca_port = 8141 in [agent] (lbenroll --puppet-ca-port 8141), the "
                      "balancer port that leads to the Puppet CA")
    return passed("HOST_PUPPET_CONF", HOST, "%s: server and ca_server name %s, ca_port %s" % (
        host.PUPPET_CONF, balancer, ca_port))


def check_gofer(facts, balancer, proxies):
    if facts.gofer_url is None:
        return skipped("HOST_GOFER_CONF", HOST, "%s does not exist (katello-agent not "
                       "installed)" % host.GOFER_KATELLO_CONF)
    if not facts.gofer_url:
        return passed("HOST_GOFER_CONF", HOST, "%s: no url, so goferd follows rhsm.conf's "
                      "server.hostname" % host.GOFER_KATELLO_CONF)
    url_host = host_of(facts.gofer_url)
    if not same_host(url_host, balancer):
        return failed("HOST_GOFER_CONF", HOST, "%s: [messaging] url names %s, not the balancer"
                      % (host.GOFER_KATELLO_CONF, _who(url_host or facts.gofer_url, proxies)),
                      _repair(balancer))
    return passed("HOST_GOFER_CONF", HOST, "%s: [messaging] url names %s" % (
        host.GOFER_KATELLO_CONF, balancer))


def check_yggdrasil(facts, balancer, proxies):
    if facts.brokers is None:
        return skipped("HOST_YGGDRASIL_CONF", HOST, "%s does not exist (pull-mode remote "
                       "execution not set up)" % host.YGGDRASIL_CONFIG)
    if not facts.brokers:
        return warned("HOST_YGGDRASIL_CONF", HOST,
                      "%s names no MQTT broker" % host.YGGDRASIL_CONFIG,
                      "set broker = [\"mqtts://%s:1883\"]" % balancer)
    wrong = [url for url in facts.brokers if not same_host(host_of(url), balancer)]
    if wrong:
        return failed("HOST_YGGDRASIL_CONF", HOST, "%s: broker %s does not name the balancer" % (
            host.YGGDRASIL_CONFIG, ", ".join("%s (%s)" % (url, _who(host_of(url) or "", proxies))
                                             for url in wrong)),
            _repair(balancer))
    return passed("HOST_YGGDRASIL_CONF", HOST, "%s: every broker names %s" % (
        host.YGGDRASIL_CONFIG, balancer))


def check_installed_ca(facts, katello_ca, balancer):
    """The CA subscription-manager and dnf trust here is the one the proxies serve."""
    if katello_ca is None:
        return skipped("HOST_KATELLO_CA", HOST, "no Katello CA to compare with (no proxy served "
                       "a readable consumer RPM)")
    if facts.installed_ca is None:
        return failed("HOST_KATELLO_CA", HOST, "%s is missing: subscription-manager cannot verify "
                      "the balancer" % host.KATELLO_SERVER_CA,
                      "install the consumer RPM from the balancer (lbenroll --server %s)"
                      % balancer)
    installed = consumer.fingerprint(facts.installed_ca)
    if installed != katello_ca.fingerprint:
        return failed("HOST_KATELLO_CA", HOST, "%s (SHA-256 %s) is not the Katello CA (%s, %s): "
                      "subscription-manager and dnf will refuse the balancer's certificate" % (
                          host.KATELLO_SERVER_CA, consumer.pretty_fingerprint(installed),
                          consumer.pretty_fingerprint(katello_ca.fingerprint), katello_ca.origin),
                      "if the Katello CA was replaced, reinstall the consumer RPM from the "
                      "balancer (lbenroll --server %s); otherwise find out which CA is right"
                      % balancer)
    return passed("HOST_KATELLO_CA", HOST, "%s is the Katello CA the balancer serves" %
                  host.KATELLO_SERVER_CA)


def check_files(facts, balancer, proxies):
    """The checks of this host's files alone, in the order the report shows them."""
    return [check_rhsm_conf(facts, balancer, proxies),
            check_redhat_repo(facts, balancer, proxies),
            check_puppet_conf(facts, balancer, proxies),
            check_gofer(facts, balancer, proxies),
            check_yggdrasil(facts, balancer, proxies)]


def check_host(facts, balancer, proxies, katello_ca):
    """Every host check, in the order the report shows them."""
    return check_files(facts, balancer, proxies) + [
        check_installed_ca(facts, katello_ca, balancer)]


# -- the host check alone (diagnose --host-only, the fleet audit) --------------------------------

def pinned(facts, balancer):
    """Every setting in this host's files that names a host other than the balancer, as
    [{"file", "key", "names", "repositories"}] (--host-only's "pinned"): key is "section.key"
    (for redhat.repo the option, for yggdrasil's TOML "broker"), names the host it names, and
    repositories the redhat.repo sections whose key names it ([] in the other files). A setting
    that is absent (Puppet's default server) or names no host fails its check but pins nothing."""
    found = []

    def pin(path, key, name, repositories=()):
        if name and not same_host(name, balancer):
            found.append({"file": path, "key": key, "names": name,
                          "repositories": list(repositories)})
    if facts.rhsm is not None:
        pin(host.RHSM_CONF, "server.hostname", facts.rhsm["hostname"])
        pin(host.RHSM_CONF, "rhsm.baseurl", host_of(facts.rhsm["baseurl"] or ""))
    by_setting = {}  # {(key, host): [repository ids, in the file's order]}
    for repo, urls in (facts.repo_urls or {}).items():
        for key, name in urls:
            repos = by_setting.setdefault((key, name.rstrip(".").lower()), [])
            if repo not in repos:
                repos.append(repo)
    for (key, name), repos in sorted(by_setting.items()):
        pin(host.REDHAT_REPO, key, name, repos)
    for key in ("server", "ca_server"):
        if facts.puppet is not None and facts.puppet[key] is not None:
            pin(host.PUPPET_CONF, "%s.%s" % (facts.puppet_sections[key], key), facts.puppet[key])
    if facts.gofer_url:
        pin(host.GOFER_KATELLO_CONF, "messaging.url", host_of(facts.gofer_url))
    for url in facts.brokers or ():
        pin(host.YGGDRASIL_CONFIG, "broker", host_of(url))
    return found


class HostCheck(object):
    """The host check alone: this host's files against the balancer, without a connection."""

    def __init__(self, balancer, host_name, results, pinned, duration):
        self.balancer = balancer
        self.host = host_name
        self.results = results
        self.pinned = pinned
        self.duration = duration

    @property
    def exit_code(self):
        return exit_code(self.results)

    @property
    def clean(self):
        """Nothing pinned and no check failed (a warning, such as Puppet's ca_port, is not a
        pin)."""
        return not self.pinned and all(r.status != Status.FAILED for r in self.results)


def host_name(ctx):
    """This host's name without a DNS lookup: under --root the installed system's
    /etc/hostname, else the kernel's."""
    if ctx.root != "/":
        return (_text(ctx, "/etc/hostname") or "").strip() or None
    return socket.gethostname()


def check_host_only(ctx, balancer):
    """The checks of this host's files, and what they pin; files are only read, nothing else."""
    started = time.monotonic()
    facts = read_host(ctx)
    return HostCheck(balancer, host_name(ctx), check_files(facts, balancer, []),
                     pinned(facts, balancer), time.monotonic() - started)
