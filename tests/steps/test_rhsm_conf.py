"""RHSM_CONF: rhsm.conf names the balancer with the layout of the balancer's consumer RPM, and
keeps the proxy settings only when asked to."""
from lbenroll import fileio
from lbenroll.consumer import Layout
from lbenroll.ini import IniDocument
from lbenroll.results import Status
from lbenroll.steps.rhsm_conf import RhsmConf
from lbenroll.writers.rhsm_conf import read_proxy_settings, read_rhsm
from tests.conftest import seed
from tests.steps.conftest import BALANCER, rhsm_conf

CONF = "/etc/rhsm/rhsm.conf"
# What a consumer RPM whose script never ran leaves: Red Hat's defaults, a proxy's name.
RED_HAT_DEFAULTS = """\
[server]
hostname = proxy02.example.test
prefix = /subscription
port = 443
proxy_hostname =
proxy_port =

[rhsm]
baseurl = https://cdn.redhat.com
ca_cert_dir = /etc/rhsm/ca/
repo_ca_cert = %(ca_cert_dir)sredhat-uep.pem
"""


class Consumer(object):
    """The balancer's consumer RPM, as far as RHSM_CONF reads it."""
    layout = Layout(443, "/rhsm", "/pulp/content/")


def rhsm_run(make_run, **given):
    run = make_run(**given)
    run.consumer = Consumer()
    # What INSTALL_CONSUMER_RPM read from rhsm.conf before the consumer RPM's script ran.
    run.proxy_settings = {"proxy_hostname": "squid.example.test", "proxy_port": "3128"}
    return run


def settings(ctx):
    return read_rhsm(fileio.read_bytes(ctx, CONF).decode())


def proxy(ctx):
    return read_proxy_settings(fileio.read_bytes(ctx, CONF).decode())


def test_the_layout_is_the_consumer_rpm_s_never_what_the_file_holds(make_run, ctx, root):
    seed(root, {CONF: RED_HAT_DEFAULTS})
    run = rhsm_run(make_run)
    result = RhsmConf().run(run)
    assert (result.id, result.status) == ("RHSM_CONF", Status.CHANGED)
    found = settings(ctx)
    assert (found["hostname"], found["prefix"], found["port"]) == (BALANCER, "/rhsm", "443")
    assert found["baseurl"] == "https://%s/pulp/content/" % BALANCER
    # Not put back without --preserve-rhsm-proxy: what the file holds stays.
    assert proxy(ctx) == {"proxy_hostname": "", "proxy_port": ""}
    assert RhsmConf().run(run).status == Status.UNCHANGED


def test_preserve_rhsm_proxy_puts_back_the_proxy_settings_from_before(make_run, ctx, root):
    seed(root, {CONF: rhsm_conf()})
    RhsmConf().run(rhsm_run(make_run, preserve_rhsm_proxy=True))
    assert proxy(ctx) == {"proxy_hostname": "squid.example.test", "proxy_port": "3128"}
    assert settings(ctx)["hostname"] == BALANCER


def test_manage_repos_0_is_set_to_1_and_the_summary_says_it_was_0(make_run, ctx, root):
    seed(root, {CONF: rhsm_conf().replace("[rhsm]\n", "[rhsm]\nmanage_repos = 0\n")})
    run = rhsm_run(make_run)
    result = RhsmConf().run(run)
    assert result.status == Status.CHANGED
    assert "rhsm.manage_repos was 0, now 1" in result.summary
    assert manage_repos(ctx) == "1"
    again = RhsmConf().run(run)
    assert again.status == Status.UNCHANGED and "manage_repos" not in again.summary


def test_preserve_manage_repos_keeps_0_on_every_run_and_says_so(make_run, ctx, root):
    seed(root, {CONF: rhsm_conf().replace("[rhsm]\n", "[rhsm]\nmanage_repos = 0\n")})
    run = rhsm_run(make_run, preserve_manage_repos=True)
    RhsmConf().run(run)
    result = RhsmConf().run(run)
    assert result.status == Status.UNCHANGED
    assert "rhsm.manage_repos = 0 kept (--preserve-manage-repos)" in result.summary
    assert manage_repos(ctx) == "0"


def manage_repos(ctx):
    return IniDocument(fileio.read_bytes(ctx, CONF).decode()).get("rhsm", "manage_repos")
