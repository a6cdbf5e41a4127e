"""The temporary repository for subscription-manager (--deps-repository-url), as bootstrap.py."""
from lbenroll.writers.base import Target, Writer

TEXT = """\
# Written by lbenroll for --deps-repository-url and removed when the step ends.
[kt-bootstrap]
name = subscription-manager and its dependencies (lbenroll, temporary)
baseurl = %s
enabled = 1
gpgcheck = 1
gpgkey = %s
"""


class DepsRepoWriter(Writer):
    id = "PREREQUISITES"
    target = Target("/etc/yum.repos.d/katello-client-bootstrap-deps.repo", 0o644, "root", "root",
                    "temporary repository of --deps-repository-url, present only during the run")

    def __init__(self, url, gpg_key):
        self.url = url
        self.gpg_key = gpg_key

    def render(self, current_text):
        return TEXT % (self.url, self.gpg_key), ["repository %s (gpgkey %s)" % (
            self.url, self.gpg_key)]
