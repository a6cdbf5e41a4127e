"""sshd_config: read as sshd reads it (Include, first value wins, Match ends the global part) to
find where TrustedUserCAKeys comes from; on a host whose sshd_config does not include
sshd_config.d (EL8's), the one line `TrustedUserCAKeys /etc/ssh/foreman-user-ca.pub` at its top.

sshd_config(5): "For each keyword, the first obtained value will be used"; Include "files
without absolute paths are assumed to be in /etc/ssh", glob patterns expanded in lexical order;
a Match block holds until the next Match or the end of the file, an Include inside it included
only for the connections it matches.
"""
import collections
import fnmatch
import glob
import os
import re
import shlex

from lbenroll import diskio, host
from lbenroll.writers.base import Target, Writer

DIRECTIVE = "TrustedUserCAKeys %s" % host.REX_USER_CA
MARK = "# Added by lbenroll: remote execution logins signed by the Smart Proxies' SSH CA"

TARGET = Target(host.SSHD_CONFIG, 0o600, "root", "root",
                "With --rex, when the Smart Proxies publish an SSH CA and sshd_config does not "
                "include sshd_config.d (EL8): the TrustedUserCAKeys line at its top, lbenroll's "
                "only edit there")

MAX_DEPTH = 8  # sshd's own limit on nested Include is 16; a loop is cut off earlier here

# What the global part of the configuration says about the CA:
# includes_dropin: whether sshd reads host.REX_USER_CA_DROPIN (when it exists);
# trust: [(file, value)] every TrustedUserCAKeys outside Match, in the order sshd reads them;
# readable: False when there is no sshd_config at all.
Trust = collections.namedtuple("Trust", "includes_dropin trust readable")


_LINE = re.compile(r"^([A-Za-z]+)(?:\s*=\s*|\s+)(.*)$")


def _words(line):
    """A configuration line's words: `Key value`, `Key=value`, quoted arguments; [] for a
    blank or comment line."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return []
    match = _LINE.match(stripped)
    if match is None:
        return [stripped]
    try:
        args = shlex.split(match.group(2))
    except ValueError:
        args = match.group(2).split()
    return [match.group(1)] + args


def _pattern(arg):
    return arg if os.path.isabs(arg) else "/etc/ssh/" + arg


def _read_text(ctx, path):
    data = diskio.read_bytes(ctx, path)
    return None if data is None else data.decode("utf-8", "surrogateescape")


def _walk(ctx, path, text, found, depth):
    """Follow the global part of one file; returns False when a Match ended it."""
    for line in text.splitlines():
        words = _words(line)
        if not words:
            continue
        keyword = words[0].lower()
        if keyword == "match":
            return False
        if keyword == "trustedusercakeys" and len(words) > 1:
            found["trust"].append((path, words[1]))
        elif keyword == "include" and depth < MAX_DEPTH:
            for arg in words[1:]:
                pattern = _pattern(arg)
                if fnmatch.fnmatchcase(host.REX_USER_CA_DROPIN, pattern):
                    found["includes_dropin"] = True
                for real in sorted(glob.glob(ctx.path(pattern))):
                    included = "/" + os.path.relpath(real, ctx.path("/"))
                    if included == host.REX_USER_CA_DROPIN:
                        continue  # lbenroll's own file: what trust is there is ours
                    sub = _read_text(ctx, included)
                    if sub is not None and not _walk(ctx, included, sub, found, depth + 1):
                        return False  # a Match in an included file holds to the end
    return True


def read_trust(ctx, main_text=None):
    """Trust of the host's sshd configuration (main_text: sshd_config's text when read
    already). lbenroll's own line in sshd_config and its drop-in are not counted in trust."""
    text = _read_text(ctx, host.SSHD_CONFIG) if main_text is None else main_text
    found = {"includes_dropin": False, "trust": []}
    if text is None:
        return Trust(False, [], False)
    _walk(ctx, host.SSHD_CONFIG, _without_ours(text), found, 0)
    return Trust(found["includes_dropin"], found["trust"], True)


def _without_ours(text):
    lines = text.splitlines(True)
    return "".join(line for line in lines if line.strip() not in (MARK, DIRECTIVE))


def foreign(trust):
    """The TrustedUserCAKeys settings that are not lbenroll's file (nor `none`)."""
    return [(path, value) for path, value in trust.trust
            if value != host.REX_USER_CA and value.lower() != "none"]


class SshdConfigWriter(Writer):
    """Only for a sshd_config that does not include sshd_config.d: the line and its comment go
    at the very top, before any Match block, so that sshd takes them for every connection.
    Every other byte stays; --remove and a rollback take the two lines back out (revert.py)."""

    id = "SSHD_CONFIG"
    target = TARGET

    def render(self, current_text):
        if current_text is None:
            return None  # no sshd_config: sshd is not installed, nothing to trust the CA
        if _has_ours(current_text):
            return current_text, []
        return "%s\n%s\n%s" % (MARK, DIRECTIVE, current_text), [
            "%s does not include %s: the line goes into it" % (host.SSHD_CONFIG,
                                                               host.SSHD_CONFIG_DIR)]


def _has_ours(text):
    """Whether the global part of text already holds lbenroll's line."""
    for line in text.splitlines():
        words = _words(line)
        if not words:
            continue
        if words[0].lower() == "match":
            return False
        if words[0].lower() == "trustedusercakeys" and words[1:2] == [host.REX_USER_CA]:
            return True
    return False
