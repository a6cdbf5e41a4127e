"""insights-client.conf: a hard-coded base_url that names a proxy names the balancer instead.

insights-client finds its Satellite by itself (insights-core insights/client/auto_config.py,
`_try_satellite6_configuration`): with `auto_config` on (the default) and the host registered
with subscription-manager, base_url becomes `<rhsm.conf server.hostname>:<server.port>
/redhat_access/r/insights`, so it follows rhsm.conf, which RHSM_CONF points at the balancer. A
`base_url` written in the file is used instead when `auto_config=False`, and is what the client
falls back to when the auto-configured URL does not answer (`set_auto_configuration` restores
it). Such a base_url that names a proxy is the one place insights-client bypasses the balancer.

Moving its host to the balancer is what auto_config itself would compute from rhsm.conf, so
this writes nothing upstream would not: only the host of an explicit base_url changes (port and
path kept). A base_url naming Red Hat's own service (a *.redhat.com host: the host talks to Red
Hat directly, not through Satellite) is the admin's choice and stays.
"""
import re

from lbenroll import host
from lbenroll.ini import IniDocument
from lbenroll.urls import same_host
from lbenroll.writers.base import Target, Writer

# insights-core reads the [insights-client] section, else the old [redhat-access-insights].
SECTIONS = ("insights-client", "redhat-access-insights")
RED_HAT_DOMAIN = "redhat.com"
# base_url is host[:port]/path, without a scheme (insights-core prepends https://).
_BASE_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)?(?P<host>[^:/\s]+)(?P<rest>.*)\Z",
                       re.S)


def section_of(doc):
    """The section insights-core reads, or None when the file has neither."""
    for section in SECTIONS:
        if section in doc.sections():
            return section
    return None


def base_url_of(text):
    """(base_url or None, auto_config as written or None) as insights-core reads the file."""
    doc = IniDocument(text)
    section = section_of(doc)
    if section is None:
        return None, None
    base_url = (doc.get(section, "base_url") or "").strip() or None
    return base_url, doc.get(section, "auto_config")


def base_url_host(base_url):
    match = _BASE_URL.match(base_url or "")
    return None if match is None else match.group("host")


def red_hat_host(name):
    name = (name or "").rstrip(".").lower()
    return name == RED_HAT_DOMAIN or name.endswith("." + RED_HAT_DOMAIN)


def auto_config_on(value):
    """insights-core's default is True; a boolean ConfigParser reads as false turns it off."""
    return (value or "true").strip().lower() not in ("0", "false", "no", "off")


def retarget_base_url(base_url, balancer):
    """base_url with its host replaced by balancer, or None when it is right as it is (no
    base_url, the balancer already, or Red Hat's own service)."""
    match = _BASE_URL.match(base_url or "")
    if match is None:
        return None
    name = match.group("host")
    if same_host(name, balancer) or red_hat_host(name):
        return None
    return (match.group("scheme") or "") + balancer + match.group("rest")


class InsightsWriter(Writer):
    """Moves an explicit base_url's host to the balancer; leaves everything else alone."""

    id = "INSIGHTS_CONF"
    target = Target(host.INSIGHTS_CONF, 0o644, "root", "root",
                    "insights-client: an explicit base_url")

    def __init__(self, balancer):
        self.balancer = balancer

    def render(self, current_text):
        if current_text is None:
            return None  # insights-client is not installed
        doc = IniDocument(current_text)
        section = section_of(doc)
        if section is None:
            return current_text, []
        base_url = (doc.get(section, "base_url") or "").strip()
        new_url = retarget_base_url(base_url, self.balancer) if base_url else None
        if new_url is None:
            return current_text, []
        doc.set(section, "base_url", new_url)
        return doc.text(), ["base_url: %s -> %s" % (base_url, new_url)]
