"""redhat.repo: move every repository URL that names a Smart Proxy over to the balancer."""
import re

from lbenroll import host
from lbenroll.ini import IniDocument
from lbenroll.urls import host_of, replace_host, same_host
from lbenroll.writers.base import Target, Writer

URL_KEYS = ("baseurl", "gpgkey", "mirrorlist")
# yum and dnf split these values on commas and whitespace; the separators are kept as written.
_TOKEN = re.compile(r"[^\s,]+")


class RedhatRepoWriter(Writer):
    """Rewrites the host of baseurl/gpgkey/mirrorlist URLs to the balancer, section by section.

    subscription-manager regenerates this file from rhsm.baseurl (resetting baseurl and gpgkey on
    every dnf run as root), so the lasting fix is in rhsm.conf; this makes the file right at once,
    before any dnf run, instead of leaving it on whichever proxy served the consumer RPM.

    known_hosts: the names whose URLs move to the balancer (the Smart Proxies, the Katello
    server); None moves every host that is not the balancer. file:// URLs never move.
    """

    id = "REDHAT_REPO"
    target = Target(host.REDHAT_REPO, 0o644, "root", "root",
                    "subscription-manager's repositories: baseurl, gpgkey and mirrorlist hosts")

    def __init__(self, balancer, known_hosts=None):
        self.balancer = balancer
        self.known_hosts = (None if known_hosts is None
                            else set(h.rstrip(".").lower() for h in known_hosts))

    def rewrite(self, text):
        """Pure: (new text, notes, ids of the repositories changed)."""
        doc = IniDocument(text)
        notes, fixed = [], []
        for repo in doc.sections():
            repo_fixed = False
            for key in URL_KEYS:
                value = doc.get(repo, key)
                if value is None:
                    continue
                new_value, moved = self._move_urls(value)
                if moved:
                    doc.set(repo, key, new_value)
                    notes.append("repo %s: %s host %s -> %s"
                                 % (repo, key, ", ".join(moved), self.balancer))
                    repo_fixed = True
            if repo_fixed:
                fixed.append(repo)
        return doc.text(), notes, fixed

    def render(self, current_text):
        if current_text is None:
            return None  # subscription-manager creates it when repositories are managed
        text, notes, fixed = self.rewrite(current_text)
        return text, notes, {"fixed_repos": fixed} if fixed else {}

    def _move_urls(self, value):
        """(value with every movable URL on the balancer, old hosts in order of appearance)."""
        moved = []

        def move(match):
            url = match.group(0)
            old = host_of(url)
            if not self._movable(url, old):
                return url
            if old not in moved:
                moved.append(old)
            return replace_host(url, self.balancer)

        return _TOKEN.sub(move, value), moved

    def _movable(self, url, url_host):
        if not url_host or url.lower().startswith("file:") or same_host(url_host, self.balancer):
            return False  # not a URL, a local file (even file://localhost/), or already right
        if self.known_hosts is None:
            return True
        return url_host.rstrip(".").lower() in self.known_hosts
