"""The dnf/yum plugin configs: [main] enabled = 1, created when missing, comments kept."""
import pytest

from lbenroll.writers.yum_plugins import (DnfProductIdConf, DnfSubscriptionManagerConf,
                                          YumProductIdConf, YumSubscriptionManagerConf)
from tests.writers.golden import assert_cycle

DISABLED = "# Managed by subscription-manager\n[main]\nenabled=0\n# keep\ndisable_system_repos=0\n"
ENABLED = "# Managed by subscription-manager\n[main]\nenabled=1\n# keep\ndisable_system_repos=0\n"

WRITERS = [DnfProductIdConf, DnfSubscriptionManagerConf, YumProductIdConf,
           YumSubscriptionManagerConf]


@pytest.mark.parametrize("writer", WRITERS)
def test_disabled_plugin_is_enabled_in_place(ctx, root, writer):
    result = assert_cycle(writer(), ctx, root, DISABLED, ENABLED)
    assert result.detail == ["%s: set [main] enabled = 1" % writer.target.path]


@pytest.mark.parametrize("writer", WRITERS)
def test_missing_file_is_created_instead_of_a_traceback(ctx, root, writer):
    result = assert_cycle(writer(), ctx, root, None, "[main]\nenabled = 1\n")
    assert result.summary == "created %s" % writer.target.path


def test_missing_main_section_is_added():
    text, notes = DnfProductIdConf().render("# only a comment\n")
    assert text == "# only a comment\n\n[main]\nenabled = 1\n" and notes


def test_enabled_plugin_is_left_alone(ctx, root):
    assert_cycle(DnfSubscriptionManagerConf(), ctx, root, ENABLED, ENABLED)


def test_targets_are_the_package_managers_plugin_dirs():
    assert DnfProductIdConf.target.path == "/etc/dnf/plugins/product-id.conf"
    assert YumSubscriptionManagerConf.target.path == \
        "/etc/yum/pluginconf.d/subscription-manager.conf"
