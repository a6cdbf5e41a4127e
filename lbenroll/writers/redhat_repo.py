"""redhat.repo: move every repository URL that names a Smart Proxy over to the balancer."""
import re

from lbenroll import host
from lbenroll.urls import host_of, path_of, retarget
from lbenroll.writers.base import Plan, Spliced, Target, Writer, decode, encode

URL_KEYS = ("baseurl", "gpgkey", "mirrorlist")
# What Katello serves: content (/pulp/content, /pulp/repos) and GPG keys (/katello/api/...).
KATELLO_PATHS = ("/pulp/", "/katello/")
# A section header, or a line setting one of URL_KEYS (group 3: up to the start of its value).
# Keys are case-insensitive, as subscription-manager and dnf read them.
_HEADER_OR_URL_KEY = re.compile(
    br"^[ \t]*(?:\[([^\]\n]+)\][^\n]*$|(?:(%s)[ \t]*[=:][ \t]*))" % b"|".join(
        key.encode() for key in URL_KEYS), re.M | re.I)
# yum and dnf split these values on commas and whitespace; the separators are kept as written.
_TOKEN = re.compile(r"[^\s,]+")
# One note per moved key line up to this many, then one line for the rest: a file of 20,000
# repositories would otherwise bring 40,000 lines to the report (and ~6 MiB to the process).
# The result's data lists every repository changed (fixed_repos).
NOTES_SHOWN = 100


class RedhatRepoWriter(Writer):
    """Rewrites the host of baseurl/gpgkey/mirrorlist URLs to the balancer, line by line.

    subscription-manager regenerates this file from rhsm.baseurl (resetting baseurl and gpgkey on
    every dnf run as root), so the lasting fix is in rhsm.conf; this makes the file right at once,
    before any dnf run, instead of leaving it on whichever proxy served the consumer RPM.

    The file can hold tens of thousands of repositories, so it is not parsed into a document:
    one scan finds the section headers and the URL lines (with their indented continuation
    lines), and the plan keeps only the changed lines next to the bytes read. Every such line
    moves, including a repeated key that a reader would ignore.

    known_hosts: the names whose URLs move to the balancer (the Smart Proxies, the Katello
    server); None moves every URL whose path Katello serves (/pulp/..., /katello/...), so that
    a vendor's GPG key URL set by a repository override stays where it is. file:// URLs never
    move.
    """

    id = "REDHAT_REPO"
    target = Target(host.REDHAT_REPO, 0o644, "root", "root",
                    "subscription-manager's repositories: baseurl, gpgkey and mirrorlist hosts")

    def __init__(self, balancer, known_hosts=None):
        self.balancer = balancer
        self.known_hosts = (None if known_hosts is None
                            else set(h.rstrip(".").lower() for h in known_hosts))

    def plan(self, current):
        if current is None:
            return Plan(self.target, None, None)  # subscription-manager creates it
        edits, notes, fixed = self.edits(current)
        return Plan(self.target, current, Spliced(current, edits), notes,
                    {"fixed_repos": fixed} if fixed else {})

    def render(self, current_text):
        if current_text is None:
            return None
        data = encode(current_text)
        edits, notes, fixed = self.edits(data)
        return (decode(Spliced(data, edits).join()), notes,
                {"fixed_repos": fixed} if fixed else {})

    def edits(self, data):
        """Pure: ([(start, end, new bytes)] in file order, notes, ids of the repos changed)."""
        edits, notes, fixed = [], [], []
        repo, unshown = None, 0
        for match in _HEADER_OR_URL_KEY.finditer(data):
            if match.group(1) is not None:
                repo = decode(match.group(1))
                continue
            if repo is None:
                continue  # a URL before any section belongs to no repository
            moved = []
            for start, end in _value_lines(data, match.end()):
                old = decode(data[start:end])
                new = self._move_urls(old, moved)
                if new != old:
                    edits.append((start, end, encode(new)))
            if moved:
                if len(notes) < NOTES_SHOWN:
                    notes.append("repo %s: %s host %s -> %s" % (
                        repo, match.group(2).decode().lower(), ", ".join(moved), self.balancer))
                else:
                    unshown += 1
                if not fixed or fixed[-1] != repo:
                    fixed.append(repo)
        if unshown:
            notes.append("and %d more URL lines moved to %s (%d repositories in all)" % (
                unshown, self.balancer, len(fixed)))
        return edits, notes, fixed

    def _move_urls(self, text, moved):
        """text with every movable URL on the balancer; their old hosts are added to moved."""
        def move(match):
            url = match.group(0)
            old = host_of(url)
            new = retarget(url, self.balancer) if self._chosen(url, old) else None
            if new is None:
                return url  # not this writer's to move, or already on the balancer
            if old not in moved:
                moved.append(old)
            return new

        return _TOKEN.sub(move, text)

    def _chosen(self, url, url_host):
        """Whether this file's URL is one to move; how it moves is urls.retarget's rule."""
        if not url_host or url.lower().startswith("file:"):
            return False  # not a URL, or a local file (even file://localhost/)
        if self.known_hosts is None:
            return path_of(url).startswith(KATELLO_PATHS)
        return url_host.rstrip(".").lower() in self.known_hosts


def _value_lines(data, value_start):
    """(start, end) of a value's text on its key line, then of each continuation line: the
    following lines indented deeper than the key, neither blank nor comments (as dnf and
    configparser read them). Ends exclude the line break."""
    key_start = data.rfind(b"\n", 0, value_start) + 1
    key_indent = len(data[key_start:value_start]) - len(data[key_start:value_start].lstrip(b" \t"))
    end = _line_end(data, value_start)
    yield value_start, end
    while end < len(data):
        start = data.find(b"\n", end) + 1
        if start == 0 or start >= len(data):
            return
        end = _line_end(data, start)
        line = data[start:end]
        content = line.lstrip(b" \t")
        if not content.strip() or content[:1] in b"#;" or len(line) - len(content) <= key_indent:
            return
        yield start, end


def _line_end(data, start):
    end = data.find(b"\n", start)
    end = len(data) if end < 0 else end
    return end - 1 if data[end - 1:end] == b"\r" else end
