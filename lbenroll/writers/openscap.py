"""foreman_scap_client's config.yaml: the proxy it uploads reports to is the balancer.

foreman_scap_client (theforeman/foreman_scap_client, lib/foreman_scap_client/base_client.rb)
reads /etc/foreman_scap_client/config.yaml and uploads each report to
https://<:server:>:<:port:>/compliance/arf/<policy>: foreman-proxy's HTTPS API, which the
balancer forwards on ports.SMART_PROXY_API. Foreman's puppet or Ansible configuration writes
the OpenSCAP proxy's own name and port there (foreman_openscap,
openscap_proxy_core_extensions.rb: `openscap_proxy.hostname`, `openscap_proxy.port`).

No YAML library (the runtime has none): the file is edited line by line, and only the values of
the top-level `:server:` and `:port:` keys change, each in its own quoting; every other byte
stays. A value this parser cannot read as one scalar (a flow, an anchor, a multi-line value) is
left alone with a note.
"""
import re

from lbenroll import host, ports
from lbenroll.urls import same_host
from lbenroll.writers.base import Target, Writer

SERVER_KEY, PORT_KEY = ":server:", ":port:"
# A top-level key, its separator, then one scalar: single-quoted ('' is a quote), double-quoted
# (no escapes read), or plain (up to a comment); then blanks, a comment and the line break.
_LINE = re.compile(
    r"(?P<key>:server:|:port:)(?P<sep>[ \t]+)"
    r"(?:'(?P<single>(?:[^'\n]|'')*)'|\"(?P<double>[^\"\\\n]*)\"|"
    r"(?P<plain>[^\s'\"#&*!|>{\[][^#\n]*?))"
    r"(?P<rest>[ \t]*(?:#[^\n]*)?\r?\n?)\Z")
_KEY_ONLY = re.compile(r"(:server:|:port:)(?:[ \t]|\r?\n?\Z)")


def _lines(text):
    return re.findall(r"[^\n]*\n|[^\n]+", text)


def _value(match):
    if match.group("single") is not None:
        return match.group("single").replace("''", "'")
    if match.group("double") is not None:
        return match.group("double")
    return match.group("plain").rstrip()


def _written(match, value):
    """value in the quoting the line had."""
    if match.group("single") is not None:
        return "'%s'" % value.replace("'", "''")
    if match.group("double") is not None:
        return '"%s"' % value
    return value


def settings(text):
    """{":server:": value, ":port:": value} as the file sets them (the last line wins, as in
    Ruby's YAML); a key this parser cannot read is None; an absent key is missing."""
    found = {}
    for line in _lines(text):
        match = _LINE.match(line)
        if match is not None:
            found[match.group("key")] = _value(match)
        else:
            key = _KEY_ONLY.match(line)
            if key is not None:
                found[key.group(1)] = None
    return found


class OpenscapWriter(Writer):
    """Points `:server:` at the balancer and `:port:` at its Smart Proxy API port."""

    id = "OPENSCAP_CONFIG"
    target = Target(host.OPENSCAP_CONFIG, 0o644, "root", "root",
                    "foreman_scap_client (OpenSCAP): the proxy its reports go to")

    def __init__(self, balancer):
        self.balancer = balancer
        self.wanted = {SERVER_KEY: balancer, PORT_KEY: str(ports.SMART_PROXY_API)}

    def render(self, current_text):
        if current_text is None:
            return None  # foreman_scap_client is not configured on this host
        lines, notes, seen = _lines(current_text), [], set()
        for i, line in enumerate(lines):
            match = _LINE.match(line)
            if match is None:
                key = _KEY_ONLY.match(line)
                if key is not None:
                    seen.add(key.group(1))
                    notes.append("%s not a single value this parser reads; left as it is"
                                 % key.group(1))
                continue
            key, value = match.group("key"), _value(match)
            seen.add(key)
            wanted = self.wanted[key]
            if (same_host(value, wanted) if key == SERVER_KEY else value == wanted):
                continue
            lines[i] = (line[:match.start("sep")] + match.group("sep")
                        + _written(match, wanted) + match.group("rest"))
            notes.append("%s %s -> %s" % (key, value, wanted))
        for key in (SERVER_KEY, PORT_KEY):
            if key not in seen:
                notes.append("%s is not set; left as it is" % key)
        return "".join(lines), notes
