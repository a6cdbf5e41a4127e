"""PUPPET_CONF: the options that reach puppet.conf, and --skip puppet."""
from lbenroll import fileio
from lbenroll.results import Status
from lbenroll.steps.puppet_conf import PuppetConf
from tests.conftest import seed
from tests.steps.conftest import BALANCER, writes_golden
from tests.writers.golden import data

CONF = "/etc/puppetlabs/puppet/puppet.conf"


def test_server_ca_server_and_the_ca_port_name_the_balancer(make_run, ctx, root):
    writes_golden(PuppetConf(), make_run(), ctx, root, CONF, "puppet_conf", "puppet.conf",
                  "puppet.expected.conf")


def test_puppet_noop_is_written_and_the_certname_kept(make_run, ctx, root):
    seed(root, {CONF: data("puppet_conf", "puppet.expected.conf").encode()})
    assert PuppetConf().run(make_run(puppet_noop=True)).status == Status.CHANGED
    agent = fileio.read_bytes(ctx, CONF).decode().split("[agent]\n")[1].split("\n\n")[0]
    assert agent.splitlines()[-5:] == [
        "certname        = client01.example.test", "environment     = production",
        "server          = %s" % BALANCER, "ca_port         = 8141", "noop            = true"]


def test_skip_puppet_leaves_puppet_conf_alone(make_run, ctx, root):
    seed(root, {CONF: data("puppet_conf", "puppet.conf").encode()})
    result = PuppetConf().run(make_run(skip=["foreman", "puppet"]))
    assert (result.status, result.summary) == (Status.SKIPPED, "skipped with --skip puppet")
    assert fileio.read_bytes(ctx, CONF) == data("puppet_conf", "puppet.conf").encode()
