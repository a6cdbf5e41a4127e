"""CLEAN_PUPPET: Puppet's ssl and cache directories are set aside, unless --skip puppet."""
import os


from lbenroll.results import Status
from tests.steps.conftest import real
from lbenroll.steps.clean_puppet import CleanPuppet


def test_puppet_ssl_and_cache_are_set_aside(remove_run, ctx, root):
    for directory in ("/etc/puppetlabs/puppet/ssl/certs", "/opt/puppetlabs/puppet/cache/state"):
        os.makedirs(real(root, directory))
    result = CleanPuppet().run(remove_run())
    assert result.status == Status.CHANGED
    assert not os.path.exists(real(root, "/etc/puppetlabs/puppet/ssl"))
    assert not os.path.exists(real(root, "/opt/puppetlabs/puppet/cache"))
    assert len(ctx.undo) == 0  # a removal is finished by running it again, never undone
    assert CleanPuppet().run(remove_run()).status == Status.UNCHANGED


def test_puppet_left_alone_with_skip_puppet(remove_run, root):
    os.makedirs(real(root, "/etc/puppetlabs/puppet/ssl"))
    result = CleanPuppet().run(remove_run(skip=["foreman", "puppet"]))
    assert result.status == Status.SKIPPED
    assert os.path.isdir(real(root, "/etc/puppetlabs/puppet/ssl"))
