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


def _broker_values(lines):
    """(line index, start column) of every piece of the broker keys' values.

    Only top-level keys count: a key inside a [table] is not yggdrasil's broker setting.
    """
    found, i = [], 0
    while i < len(lines):
        if _TABLE.match(lines[i]):
            break
        match = _KEY.match(lines[i])
        if match is None:
            i += 1
            continue
        span = _value_span(lines, i, match.end())
        if (match.group(1) or match.group(2) or match.group(3)) in BROKER_KEYS:
            found.extend(span)
        i = span[-1][0] + 1
    return found


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
