"""yggdrasil's config.toml: MQTT broker URLs (remote execution pull mode) name the balancer."""
import re

from lbenroll import host
from lbenroll.urls import retarget
from lbenroll.writers.base import Target, Writer

# Foreman's registration writes `broker = ["mqtts://<server.hostname>:1883"]`; older yggdrasil
# calls the key `server` and may hold a single string. No TOML library: the file is edited line by
# line and only the string literals inside those top-level keys' values change.
BROKER_KEYS = ("broker", "server")

_KEY = re.compile(r"\s*(?:\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_.-]+))\s*=")
_TABLE = re.compile(r"\s*\[")
# A TOML basic string (escapes allowed), a literal string, a comment, an array bracket, or a
# basic string that is not closed on its line, taken whole to the line's end: without that
# last one, each quote of such a line starts a new scan to its end (quadratic: 17 s for a
# 40 kB line).
_TOKEN = re.compile(r"\"((?:[^\"\\]|\\.)*)\"|'([^']*)'|#.*|[\[\]]|\"(?:[^\"\\]|\\.)*")


def _lines(text):
    # Split on "\n" only: str.splitlines also splits on form feeds and other separators.
    return re.findall(r"[^\n]*\n|[^\n]+", text)


def _value_span(lines, i, column):
    """(line index, start column) of each line of the value starting at lines[i][column].

    That is one line, or for an array spread over several lines, every line up to its closing
    bracket.
    """
    span, depth = [], 0
    while i < len(lines):
        span.append((i, column))
        for token in _TOKEN.finditer(lines[i], column):
            if token.group(0) == "[":
                depth += 1
            elif token.group(0) == "]":
                depth -= 1
        i, column = i + 1, 0
        if depth <= 0:
            break
    return span


def _top_level_entries(lines):
    """(key, line index, column where its value starts, [(line, column) of its value]) of each
    key before the first [table], in order, repeated keys included: a key inside a [table] is
    not one of yggdrasil's top-level settings."""
    i = 0
    while i < len(lines):
        if _TABLE.match(lines[i]):
            return
        match = _KEY.match(lines[i])
        if match is None:
            i += 1
            continue
        span = _value_span(lines, i, match.end())
        yield match.group(1) or match.group(2) or match.group(3), i, match.end(), span
        i = span[-1][0] + 1


def _broker_values(lines):
    """(line index, start column) of every piece of the broker keys' values."""
    return [piece for name, _, _, span in _top_level_entries(lines) if name in BROKER_KEYS
            for piece in span]


def _strings(line, column):
    """(start, end, text) of each string literal in line from column, up to a comment."""
    for token in _TOKEN.finditer(line, column):
        if token.group(0).startswith("#"):
            return
        if token.group(1) is not None:
            yield token.start(1), token.end(1), token.group(1)
        elif token.group(2) is not None:
            yield token.start(2), token.end(2), token.group(2)


def broker_urls(text):
    """The broker URLs configured in config.toml text, in order."""
    lines = _lines(text)
    return [url for i, column in _broker_values(lines) for _, _, url in _strings(lines[i], column)]


class YggdrasilWriter(Writer):
    """Points every broker URL's host at the balancer, keeping scheme and port."""

    id = "YGGDRASIL_CONFIG"
    target = Target(host.YGGDRASIL_CONFIG, 0o644, "root", "root",
                    "yggdrasil (remote execution pull mode): MQTT broker URLs")

    def __init__(self, balancer):
        self.balancer = balancer

    def render(self, current_text):
        if current_text is None:
            return None  # pull mode is not set up on this host
        lines = _lines(current_text)
        notes = []
        for i, column in _broker_values(lines):
            lines[i] = self._fix_line(lines[i], column, notes)
        return "".join(lines), notes

    def _fix_line(self, line, column, notes):
        pieces, last = [], 0
        for start, end, url in _strings(line, column):
            new_url = retarget(url, self.balancer)
            if new_url is None:
                continue
            notes.append("broker: %s -> %s" % (url, new_url))
            pieces.append(line[last:start] + new_url)
            last = end
        return "".join(pieces) + line[last:]


def toml_string(text):
    """text as a TOML basic string."""
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


def _render_value(value):
    if isinstance(value, (list, tuple)):
        return "[%s]" % ", ".join(toml_string(item) for item in value)
    return toml_string(value)


def _top_level_keys(lines):
    """{key: (line index, column where its value starts, [(line, column) of its value])} of the
    keys before the first [table] (the first of a repeated key)."""
    keys = {}
    for name, i, column, span in _top_level_entries(lines):
        keys.setdefault(name, (i, column, span))
    return keys


def _insertion_line(lines):
    """Where a new top-level key goes: before the first [table] and the blank lines above it,
    else at the end."""
    at = next((i for i, line in enumerate(lines) if _TABLE.match(line)), None)
    if at is None:
        return len(lines)
    while at > 0 and not lines[at - 1].strip():
        at -= 1
    return at


def _value_of(lines, span):
    """(is an array, [its string literals]) of a value spread over span."""
    first, column = span[0]
    is_array = lines[first][column:].lstrip().startswith("[")
    strings = [text for i, start in span for _, _, text in _strings(lines[i], start)]
    return is_array, strings


def _comment_of(line, column):
    """The comment ending a one-line value, without the line end, or ""."""
    for token in _TOKEN.finditer(line, column):
        if token.group(0).startswith("#"):
            return token.group(0).rstrip("\r\n")
    return ""


class YggdrasilSetupWriter(Writer):
    """--rex-pull: the keys Global Registration's remote_execution_pull_setup writes (broker,
    cert-file, key-file, ca-root), each set to its value; every other byte of the file is kept.

    The template (theforeman/foreman, app/views/unattended/provisioning_templates/registration/
    remote_execution_pull_setup.erb) replaces the whole file, log-level = "error" included;
    lbenroll owns only the keys that make the worker reach the balancer as this host, and
    leaves the rest, log-level too, to whoever set it. yggdrasil 0.3 and later read the broker
    from `server` with `protocol = "mqtt"` (RedHatInsights/yggdrasil internal/config/config.go);
    the key a file already has is the one set, else broker_key.
    """

    id = "YGGDRASIL_CONFIG"
    target = YggdrasilWriter.target

    def __init__(self, balancer, port, cert_file, key_file, ca_root, broker_key="broker"):
        self.broker_url = "mqtts://%s:%d" % (balancer, port)
        self.cert_file = cert_file
        self.key_file = key_file
        self.ca_root = ca_root
        self.broker_key = broker_key

    def settings(self, keys):
        """[(key, value)] the file must hold, keys being those it has now."""
        brokers = [key for key in BROKER_KEYS if key in keys] or [self.broker_key]
        wanted = [(key, [self.broker_url]) for key in brokers]
        if "server" in brokers:
            wanted.append(("protocol", "mqtt"))
        return wanted + [("cert-file", self.cert_file), ("key-file", self.key_file),
                         ("ca-root", [self.ca_root])]

    def render(self, current_text):
        text = current_text or ""
        lines = _lines(text)
        eol = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
        keys = _top_level_keys(lines)
        notes, added = [], []
        replaced = {}
        for key, value in self.settings(keys):
            wanted = (isinstance(value, list), value if isinstance(value, list) else [value])
            wanted = (wanted[0], [toml_string(item)[1:-1] for item in wanted[1]])
            if key not in keys:
                added.append("%s = %s%s" % (key, _render_value(value), eol))
                notes.append("%s: set to %s" % (key, _render_value(value)))
                continue
            first, column, span = keys[key]
            if _value_of(lines, span) == wanted:
                continue
            old = "".join(lines[i][start:] for i, start in span)
            notes.append("%s: %s -> %s" % (key, " ".join(old.split()), _render_value(value)))
            comment = _comment_of(lines[first], column) if len(span) == 1 else ""
            last = lines[span[-1][0]]
            ending = "\r\n" if last.endswith("\r\n") else "\n" if last.endswith("\n") else ""
            replaced[first] = (span[-1][0], "%s %s%s%s" % (
                lines[first][:column].rstrip(), _render_value(value),
                "  " + comment if comment else "", ending or eol))
        out, i = [], 0
        insert_at = _insertion_line(lines)
        while i <= len(lines):
            if i == insert_at and added:
                if out and not out[-1].endswith("\n"):
                    out[-1] += eol
                if current_text is None:
                    out.append("# yggdrasil configuration: remote execution pull mode "
                               "(lbenroll --rex-pull)" + eol)
                out.extend(added)
            if i == len(lines):
                break
            if i in replaced:
                end, line = replaced[i]
                out.append(line)
                i = end + 1
                continue
            out.append(lines[i])
            i += 1
        return "".join(out), notes


def top_level_strings(text):
    """{key: [its string literals]} of config.toml's keys before the first [table]."""
    lines = _lines(text)
    return {key: _value_of(lines, span)[1] for key, (_, _, span) in
            _top_level_keys(lines).items()}
