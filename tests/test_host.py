import pytest

from lbenroll import app, host
from lbenroll.context import Context


def test_reroot_maps_absolute_paths_into_the_root():
    assert host.reroot("/", "/etc/rhsm/rhsm.conf") == "/etc/rhsm/rhsm.conf"
    assert host.reroot("/mnt/sysimage", "/etc/rhsm/rhsm.conf") == "/mnt/sysimage/etc/rhsm/rhsm.conf"
    with pytest.raises(ValueError):
        host.reroot("/mnt/sysimage", "etc/rhsm/rhsm.conf")


def test_commands_are_rerooted_the_way_each_tool_needs():
    assert host.rpm_argv("/", "-qa") == ["rpm", "-qa"]
    assert host.rpm_argv("/mnt/sysimage", "-qa") == ["rpm", "--root", "/mnt/sysimage", "-qa"]
    assert host.in_root_argv("/", "subscription-manager", "identity") == [
        "subscription-manager", "identity"]
    assert host.in_root_argv("/mnt/sysimage", "subscription-manager", "identity") == [
        "chroot", "/mnt/sysimage", "subscription-manager", "identity"]


class Opts(object):
    log_file = host.DEFAULT_LOG_FILE


def test_default_log_lands_inside_the_managed_root_but_an_explicit_one_does_not():
    ctx = Context(root="/mnt/sysimage")
    assert app.log_file_path(Opts(), ctx) == "/mnt/sysimage/var/log/lbenroll.log"
    explicit = Opts()
    explicit.log_file = "/tmp/ks-lbenroll.log"
    assert app.log_file_path(explicit, ctx) == "/tmp/ks-lbenroll.log"
