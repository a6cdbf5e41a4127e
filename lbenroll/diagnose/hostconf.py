"""This host's enrollment configuration, read only, and how the checks of it name what they find."""
import os
import re
import socket
import urllib.parse

from lbenroll import brokers, consumer, fileio, host, packages, services
from lbenroll.diagnose.verdicts import HOST, same_proxy, skipped
from lbenroll.errors import LbenrollError
from lbenroll.ini import IniDocument
from lbenroll.results import Status, exit_code
from lbenroll.urls import host_of, path_of, same_host
from lbenroll.writers import lbenroll_conf
from lbenroll.writers.base import decode
from lbenroll.writers.insights import base_url_host, base_url_of, red_hat_host
from lbenroll.writers.openscap import SERVER_KEY
from lbenroll.writers.openscap import settings as openscap_settings
from lbenroll.writers.redhat_repo import KATELLO_PATHS, URL_KEYS
from lbenroll.writers.rhsm_conf import manage_repos_off, read_rhsm
from lbenroll.writers.yggdrasil import broker_urls, top_level_strings

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
        self.manage_repos_off = None  # rhsm.manage_repos as written when it is 0, else None
        self.repo_hosts = None      # {repository id: [hosts its URLs name]}
        self.repo_urls = None       # {repository id: [(key, host) of each of those URLs]}
        self.repos = []             # enabled repositories whose repomd.xml can be checked
        self.repo_notes = []        # enabled repositories that cannot be checked, and why
        self.puppet = None          # {"server", "ca_server", "ca_port"} as Puppet reads them
        self.puppet_sections = {}   # {key: "agent" or "main", the section it was read from}
        self.gofer_url = None       # "" when the file exists without a url
        self.brokers = None
        self.yggdrasil_keys = None  # {key: [strings]} of config.toml's top-level keys
        self.mqtt_identity = None   # brokers.Identity: what yggdrasil presents to its broker
        # With --rex-pull recorded: {"installed": [names], "unit", "enabled"}, or {"error"}.
        self.rex_pull = None
        self.openscap = None        # foreman_scap_client's {":server:", ":port:"} as written
        self.insights = None        # insights-client.conf's (base_url or None, auto_config)
        self.installed_ca = None
        self.rex_user_ca = None     # the text of /etc/ssh/foreman-user-ca.pub (PROXY_REX_CA)

    @property
    def rhsm_port(self):
        port = (self.rhsm or {}).get("port") or "443"
        return int(port) if port.isdigit() else 443


def text_of(ctx, path):
    data = fileio.read_bytes(ctx, path)
    return None if data is None else decode(data)


def read_host(ctx):
    """Every file the checks need, read through ctx (re-rooted by --root); nothing is written."""
    facts = HostFacts()
    text = text_of(ctx, host.RHSM_CONF)
    facts.rhsm = None if text is None else read_rhsm(text)
    if text is not None:
        facts.manage_repos_off = manage_repos_off(IniDocument(text).get("rhsm", "manage_repos"))
    text = text_of(ctx, host.REDHAT_REPO)
    if text is not None:
        _read_repos(ctx, facts, IniDocument(text))
    text = text_of(ctx, host.PUPPET_CONF)
    if text is not None:
        doc = IniDocument(text, continuation=False)
        # The agent reads [agent] first, then [main] (puppet's settings sections).
        facts.puppet = {key: doc.get("agent", key, doc.get("main", key))
                        for key in ("server", "ca_server", "ca_port")}
        facts.puppet_sections = {key: "agent" if doc.get("agent", key) is not None else "main"
                                 for key, value in facts.puppet.items() if value is not None}
    text = text_of(ctx, host.GOFER_KATELLO_CONF)
    if text is not None:
        facts.gofer_url = IniDocument(text).get("messaging", "url") or ""
    text = text_of(ctx, host.YGGDRASIL_CONFIG)
    if text is not None:
        facts.brokers = broker_urls(text)
        facts.yggdrasil_keys = top_level_strings(text)
    # Named here, opened (read only, through diskio's walk) when a probe presents it.
    facts.mqtt_identity = brokers.yggdrasil_identity(ctx, facts.yggdrasil_keys)
    text = text_of(ctx, host.OPENSCAP_CONFIG)
    if text is not None:
        facts.openscap = openscap_settings(text)
    text = text_of(ctx, host.INSIGHTS_CONF)
    if text is not None:
        facts.insights = base_url_of(text)
    facts.installed_ca = consumer.installed_ca(ctx)
    facts.rex_user_ca = text_of(ctx, host.REX_USER_CA)
    if _rex_pull_recorded(ctx):
        facts.rex_pull = _read_rex_pull(ctx)
    return facts


def _rex_pull_recorded(ctx):
    """Whether the enrollment record holds --rex-pull (an unreadable record: no)."""
    try:
        recorded = lbenroll_conf.read(ctx.path(host.LBENROLL_CONF)) or {}
        return bool(lbenroll_conf.option_values({key: value for key, value in recorded.items()
                                                 if key == "rex-pull"}).get("remote_exec_pull"))
    except (LbenrollError, OSError):
        return False


def _read_rex_pull(ctx):
    """The worker's packages (one rpm query) and whether yggdrasil's unit is enabled."""
    unit = services.first_unit(ctx, host.YGGDRASIL_UNITS)
    try:
        return {"installed": packages.installed_names(ctx, host.REX_PULL_PACKAGES),
                "unit": unit, "enabled": services.is_enabled(ctx, unit)}
    except LbenrollError as exc:
        return {"error": exc.message}


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
    os_release = text_of(ctx, host.OS_RELEASE) or ""
    match = re.search(r"^VERSION_ID=\"?([0-9]+)", os_release, re.M)
    if match:
        variables["releasever"] = match.group(1)
    for directory in DNF_VARS_DIRS:
        real = ctx.path(directory)
        if os.path.isdir(real):
            for name in sorted(os.listdir(real)):
                value = text_of(ctx, os.path.join(directory, name))
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


# -- how the checks of this host name what they find ---------------------------------------

def who(name, proxies):
    """How to describe a host name that is not the balancer's."""
    if any(same_proxy(name, proxy) for proxy in proxies):
        return "%s, one of the proxies, directly" % name
    return name


def consequence(names, proxies, clients):
    """What a setting naming these hosts does to the clients that read it."""
    if any(same_proxy(name, proxy) for name in names for proxy in proxies):
        return "%s bypass the balancer and break when that proxy is down or rebuilt" % clients
    return "this host is not enrolled through the balancer"


def absent(check_id, path, why):
    """The result of a check of a file this host does not have: skipped, and why that is."""
    return skipped(check_id, HOST, "%s does not exist (%s)" % (path, why))


def repair_fix(balancer):
    """The fix of a file that names another host than the balancer."""
    return ("run `lbenroll --server %s --puppet-ca-port 8141 --skip foreman`, which repairs it, "
            "or set it by hand" % balancer)


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
    if facts.openscap is not None:
        pin(host.OPENSCAP_CONFIG, SERVER_KEY, facts.openscap.get(SERVER_KEY))
    if facts.insights is not None and facts.insights[0]:
        name = base_url_host(facts.insights[0])
        if not red_hat_host(name):
            pin(host.INSIGHTS_CONF, "base_url", name)
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
        return (text_of(ctx, "/etc/hostname") or "").strip() or None
    return socket.gethostname()
