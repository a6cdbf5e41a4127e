import os

from lbenroll.context import Context
from lbenroll.diagnose import checks, hostconf
from lbenroll.diagnose.proxies import ProxyState
from lbenroll.diagnose.trust import KatelloCa
from tests.conftest import DATA, seed

CA = open(os.path.join(DATA, "pki", "ca.pem")).read()
OTHER_CA = open(os.path.join(DATA, "pki", "other-ca.pem")).read()
LB = "smartproxy.example.test"
PROXIES = ["proxy01.example.test", "proxy02.example.test", "proxy03.example.test"]

RHSM_CONF = """\
[server]
hostname = %(host)s
prefix = /rhsm
port = 443

[rhsm]
baseurl = https://%(host)s/pulp/content/
ca_cert_dir = /etc/rhsm/ca/
repo_ca_cert = %%(ca_cert_dir)skatello-server-ca.pem
"""

REDHAT_REPO = """\
[ACME_Lab_hello]
name = hello
baseurl = https://%(host)s/pulp/content/ACME/Library/custom/Lab/hello
enabled = 1
sslclientcert = /etc/pki/entitlement/1.pem
sslclientkey = /etc/pki/entitlement/1-key.pem

[ACME_Lab_el]
baseurl = https://%(host)s/pulp/content/ACME/Library/el/$releasever/$basearch/$stream
enabled = 1
sslclientcert = /etc/pki/entitlement/1.pem
sslclientkey = /etc/pki/entitlement/1-key.pem

[ACME_Lab_off]
baseurl = https://%(host)s/pulp/content/ACME/Library/off
enabled = 0

[local]
baseurl = file:///srv/repo
enabled = 1
"""

OS_RELEASE = 'NAME="Red Hat Enterprise Linux"\nVERSION_ID="9.4"\n'


def enrolled(root, rhsm_host=LB, repo_host=LB, **extra):
    files = {"/etc/rhsm/rhsm.conf": RHSM_CONF % {"host": rhsm_host},
             "/etc/yum.repos.d/redhat.repo": REDHAT_REPO % {"host": repo_host},
             "/etc/rhsm/ca/katello-server-ca.pem": CA,
             "/etc/os-release": OS_RELEASE,
             "/etc/dnf/vars/stream": "stable\n"}
    files.update(extra)
    seed(root, files)
    return hostconf.read_host(Context(root=str(root)))


def verdicts(facts, katello=CA):
    known = checks.Known(LB, 5, facts, None, [ProxyState(name) for name in PROXIES])
    known.katello_ca = KatelloCa(katello, "served by proxy01") if katello else None
    return {r.id: r.status.value for r in checks.host_results(known)}


def test_an_enrolled_host_passes_and_unused_services_are_skipped(root):
    facts = enrolled(root)
    assert verdicts(facts) == {
        "HOST_RHSM_CONF": "unchanged", "HOST_MANAGE_REPOS": "unchanged",
        "HOST_REDHAT_REPO": "unchanged", "HOST_PUPPET_CONF": "skipped",
        "HOST_GOFER_CONF": "skipped", "HOST_YGGDRASIL_CONF": "skipped",
        "HOST_REX_PULL": "skipped", "HOST_OPENSCAP_CONF": "skipped",
        "HOST_INSIGHTS_CONF": "skipped", "HOST_KATELLO_CA": "unchanged"}


def test_enabled_https_repositories_are_checked_with_dnf_variables_expanded(root):
    facts = enrolled(root)
    assert [(r.id, r.port, r.repomd_path) for r in facts.repos] == [
        ("ACME_Lab_hello", 443, "/pulp/content/ACME/Library/custom/Lab/hello/repodata/repomd.xml"),
        ("ACME_Lab_el", 443, "/pulp/content/ACME/Library/el/9/%s/stable/repodata/repomd.xml"
         % os.uname().machine)]
    assert facts.repos[0].client_cert == (str(root / "etc/pki/entitlement/1.pem"),
                                          str(root / "etc/pki/entitlement/1-key.pem"))


def test_an_unknown_variable_makes_a_repository_uncheckable_with_the_reason(root):
    seed(root, {"/etc/yum.repos.d/redhat.repo": "[x]\nbaseurl = https://%s/c/$nope\n"
                                                  "enabled = 1\n" % LB})
    facts = hostconf.read_host(Context(root=str(root)))
    assert facts.repos == [] and facts.repo_notes == ["x: cannot expand $nope in its baseurl"]


def test_reading_the_host_writes_nothing(root):
    enrolled(root)
    before = {p: os.stat(p).st_mtime_ns for p in map(str, root.rglob("*"))}
    hostconf.read_host(Context(root=str(root)))
    assert {p: os.stat(p).st_mtime_ns for p in map(str, root.rglob("*"))} == before
