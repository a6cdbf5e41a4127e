import os

from lbenroll.context import Context
from lbenroll.diagnose import hostconf
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
    return {r.id: r.status.value for r in hostconf.check_host(
        facts, LB, PROXIES, KatelloCa(katello, "served by proxy01") if katello else None)}


def test_an_enrolled_host_passes_and_unused_services_are_skipped(root):
    facts = enrolled(root)
    assert verdicts(facts) == {
        "HOST_RHSM_CONF": "unchanged", "HOST_REDHAT_REPO": "unchanged",
        "HOST_PUPPET_CONF": "skipped", "HOST_GOFER_CONF": "skipped",
        "HOST_YGGDRASIL_CONF": "skipped", "HOST_KATELLO_CA": "unchanged"}


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


def test_rhsm_conf_naming_a_proxy_is_the_bypass_and_says_how_to_repair(root):
    facts = enrolled(root, rhsm_host="proxy02.example.test")
    result = hostconf.check_rhsm_conf(facts, LB, PROXIES)
    assert result.status.value == "failed"
    assert "server.hostname names proxy02.example.test, one of the proxies, directly" in (
        result.summary)
    assert "bypass the balancer" in result.summary
    assert "lbenroll --server %s" % LB in result.remediation


def test_short_proxy_names_from_the_option_are_recognised(root):
    facts = enrolled(root, rhsm_host="proxy02.example.test")
    assert "one of the proxies" in hostconf.check_rhsm_conf(facts, LB, ["proxy02"]).summary


def test_redhat_repo_lists_the_hosts_that_are_not_the_balancer(root):
    facts = enrolled(root, repo_host="proxy01.example.test")
    result = hostconf.check_redhat_repo(facts, LB, PROXIES)
    assert result.status.value == "failed"
    assert "3 repositories name proxy01.example.test instead of the balancer" in result.summary
    assert result.detail == ["proxy01.example.test, one of the proxies, directly: "
                             "ACME_Lab_hello, ACME_Lab_el, ACME_Lab_off"]


def test_puppet_without_the_ca_port_warns_and_names_the_fix(root):
    facts = enrolled(root, **{"/etc/puppetlabs/puppet/puppet.conf":
                              "[main]\nserver = %s\n[agent]\nca_server = %s\n" % (LB, LB)})
    result = hostconf.check_puppet_conf(facts, LB, PROXIES)
    assert result.status.value == "warning" and "ca_port is 8140" in result.summary
    assert "ca_port = 8141" in result.remediation


def test_puppet_naming_a_proxy_fails(root):
    facts = enrolled(root, **{"/etc/puppetlabs/puppet/puppet.conf":
                              "[agent]\nserver = proxy01.example.test\nca_port = 8141\n"})
    result = hostconf.check_puppet_conf(facts, LB, PROXIES)
    assert result.status.value == "failed"
    assert "server names proxy01.example.test" in result.summary
    assert "ca_server names proxy01.example.test" in result.summary


def test_goferd_and_yggdrasil_must_name_the_balancer(root):
    facts = enrolled(root, **{
        "/etc/gofer/plugins/katello.conf": "[messaging]\nurl = proxy+amqps://proxy03.example.test:5647\n",
        "/etc/yggdrasil/config.toml": 'broker = ["mqtts://%s:1883"]\n' % LB})
    assert hostconf.check_gofer(facts, LB, PROXIES).status.value == "failed"
    assert hostconf.check_yggdrasil(facts, LB, PROXIES).status.value == "unchanged"


def test_an_installed_ca_that_is_not_the_katello_ca_fails(root):
    facts = enrolled(root)
    result = hostconf.check_installed_ca(facts, KatelloCa(OTHER_CA, "served by proxy01"), LB)
    assert result.status.value == "failed"
    assert "refuse the balancer's certificate" in result.summary


def test_reading_the_host_writes_nothing(root):
    enrolled(root)
    before = {p: os.stat(p).st_mtime_ns for p in map(str, root.rglob("*"))}
    hostconf.read_host(Context(root=str(root)))
    assert {p: os.stat(p).st_mtime_ns for p in map(str, root.rglob("*"))} == before
