"""rhsm.conf: point subscription-manager's server and content base URL at the balancer."""
import posixpath
import re

from lbenroll import host
from lbenroll.ini import IniDocument
from lbenroll.urls import host_of, path_of, retarget, same_host
from lbenroll.writers.base import Target, Writer

# subscription-manager's built-in defaults for the keys lbenroll reads (src/rhsm/config.py).
DEFAULTS = {
    ("server", "hostname"): "subscription.rhsm.redhat.com",
    ("server", "port"): "443",
    ("server", "prefix"): "/subscription",
    ("rhsm", "baseurl"): "https://cdn.redhat.com",
    ("rhsm", "repo_ca_cert"): "%(ca_cert_dir)sredhat-uep.pem",
    ("rhsm", "ca_cert_dir"): "/etc/rhsm/ca/",
}
CDN_HOST = "cdn.redhat.com"
CONTENT_PATH = "/pulp/content/"
# What the consumer RPM's configuration script sets besides the server and content URLs, all in
# [rhsm] (puppet-foreman_proxy_content:
# lib/puppet/provider/rhsm_reconfigure_script/rhsm_reconfigure_script.rb). lbenroll installs the
# package without running that script and writes these itself.
KATELLO_RHSM_KEYS = (("package_profile_on_trans", "1"), ("report_package_profile", "1"),
                     ("full_refresh_on_yum", "1"))
CA_CERT_DIR_REF = "%(ca_cert_dir)s"
# proxy_password is shown as changed, never with its value.
SECRET_KEYS = ("proxy_password",)
# Global Registration sets rhsm.manage_repos = 1 since Foreman 3.17 (theforeman/foreman pull
# request 10740, docs/katello-client-facts.md "Parity with Global Registration"): a cloud image
# registered to Red Hat ships 0, and with 0 subscription-manager writes no redhat.repo at all.
MANAGE_REPOS_ON = "1"

_REFERENCE = re.compile(r"%\(([^)]+)\)s|%%")


def read_rhsm(text):
    """The settings lbenroll needs, raw (not interpolated), with subscription-manager's defaults.

    As in subscription-manager, a key that is present but empty reads as "" (not the default).
    """
    return _settings(IniDocument(text))


def _settings(doc):
    return {key: doc.get(section, key, default) for (section, key), default in DEFAULTS.items()}


def read_proxy_settings(text):
    """The `[server] proxy*` keys as written, for bootstrap's --preserve-rhsm-proxy."""
    return {key: value for key, value in IniDocument(text).items("server")
            if key.startswith("proxy")}


def interpolate(value, settings):
    """A value as subscription-manager reads it, for readers that need a real path.

    `%(name)s` is expanded from settings (read_rhsm's dict) and `%%` becomes `%`; unknown names
    stay as written. Writers never call this: rhsm.conf keeps the reference verbatim.
    """
    def expand(match):
        if match.group(0) == "%%":
            return "%"
        return settings.get(match.group(1).lower(), match.group(0))
    return _REFERENCE.sub(expand, value)


class RhsmConfWriter(Writer):
    """Sets server.hostname and the host of rhsm.baseurl to the balancer and the repo CA file.

    With a layout (consumer.Layout: what the balancer's consumer RPM would set) it also sets the
    RHSM port and prefix, the content path of rhsm.baseurl and the Katello [rhsm] keys, so that
    the file is right whatever it held before: the Red Hat defaults (a consumer RPM whose script
    never ran or was killed), another proxy's layout, or a hand edit. Without one, the port,
    prefix and path found in the file are kept.
    """

    id = "RHSM_CONF"
    target = Target(host.RHSM_CONF, 0o644, "root", "root",
                    "subscription-manager: server hostname, port and prefix, content base URL, "
                    "repository CA")

    def __init__(self, balancer, ca_file="katello-server-ca.pem", port=None, prefix=None,
                 proxy_settings=None, layout=None, manage_repos=True):
        self.balancer = balancer
        # False (--preserve-manage-repos): rhsm.manage_repos is left as the file has it.
        self.manage_repos = manage_repos
        self.ca_file = ca_file
        self.layout = layout
        self.port = layout.port if layout is not None and port is None else port
        self.prefix = layout.prefix if layout is not None and prefix is None else prefix
        self.proxy_settings = dict(proxy_settings or {})

    def render(self, current_text):
        if current_text is None:
            return None  # rhsm.conf belongs to subscription-manager; never create it
        doc = IniDocument(current_text)
        settings = _settings(doc)
        notes, data = [], {}

        def put(section, key, value, secret=False):
            old = doc.get(section, key)
            if doc.set(section, key, value):
                if secret:
                    notes.append("%s.%s: changed" % (section, key))
                else:
                    notes.append("%s.%s: %s -> %s" % (section, key, _shown(old), value))

        if not same_host(settings["hostname"], self.balancer):
            put("server", "hostname", self.balancer)
        if self.port is not None:
            put("server", "port", str(self.port))
        if self.prefix is not None:
            put("server", "prefix", self.prefix)
        wanted_baseurl = self._baseurl(doc.get("rhsm", "baseurl"))
        if wanted_baseurl is not None:
            put("rhsm", "baseurl", wanted_baseurl)
        if not self._ca_is_right(settings):
            put("rhsm", "repo_ca_cert", CA_CERT_DIR_REF + self.ca_file)
        if self.layout is not None:
            for key, value in KATELLO_RHSM_KEYS:
                if (doc.get("rhsm", key) or "").strip() != value:
                    put("rhsm", key, value)
        for key, value in self.proxy_settings.items():
            # Absent and empty mean the same to subscription-manager: no churn for an empty key.
            if (doc.get("server", key) or "") != value:
                put("server", key, value, secret=key in SECRET_KEYS)
        was = manage_repos_off(doc.get("rhsm", "manage_repos"))
        if was is not None:
            data["manage_repos_was"] = was
            if self.manage_repos:
                put("rhsm", "manage_repos", MANAGE_REPOS_ON)
        return (doc.text(), notes, data) if data else (doc.text(), notes)

    def _baseurl(self, current):
        """The baseurl to write, or None when the current one is already right."""
        if self.layout is not None:
            # Not urls.retarget on purpose: the layout is the consumer RPM's whole URL (https,
            # no port of its own, its content path), so nothing of the current one is kept.
            wanted = "https://%s%s" % (self.balancer, self.layout.content_path)
            return None if _same_url(current, wanted) else wanted
        current_host = host_of(current or "")
        if not current_host or same_host(current_host, CDN_HOST):
            return "https://%s%s" % (self.balancer, CONTENT_PATH)
        return retarget(current, self.balancer)

    def _ca_is_right(self, settings):
        """`%(ca_cert_dir)s<file>` and the path it resolves to are both right: no churn."""
        current = interpolate(settings["repo_ca_cert"], settings)
        wanted = interpolate(CA_CERT_DIR_REF + self.ca_file, settings)
        return posixpath.normpath(current) == posixpath.normpath(wanted)


def manage_repos_off(value):
    """The value of rhsm.manage_repos as written when it turns repository management off, else
    None. subscription-manager reads it as an integer and manages repositories unless it is 0:
    absent, empty or not a number all mean on (candlepin/subscription-manager
    src/subscription_manager/repolib.py, manage_repos_enabled)."""
    try:
        off = value is not None and int(value.strip()) == 0
    except ValueError:
        off = False
    return value.strip() if off else None


def _same_url(current, wanted):
    """The same https URL but for the host name's case and a trailing slash: no churn for those."""
    if not current or not current.lower().startswith("https://"):
        return False
    authority = current[len("https://"):].split("/", 1)[0]
    if ":" in authority.rsplit("]", 1)[-1] or not same_host(host_of(current) or "",
                                                             host_of(wanted)):
        return False  # a port of its own, or another host
    return (path_of(current) or "/").rstrip("/") == (path_of(wanted) or "/").rstrip("/")


def _shown(value):
    return "(unset)" if value is None else value or "(empty)"
