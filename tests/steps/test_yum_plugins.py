"""YUM_PLUGINS: the product-id and subscription-manager plugins of dnf or yum are enabled."""
import pytest

from lbenroll import fileio
from lbenroll.results import Status
from lbenroll.steps.yum_plugins import YumPlugins
from tests.conftest import seed

pytestmark = pytest.mark.usefixtures("dnf_host")


def test_yum_plugins_created_then_unchanged(make_run, ctx):
    run = make_run()
    first = YumPlugins().run(run)
    assert first.status == Status.CHANGED
    assert fileio.read_bytes(ctx, "/etc/dnf/plugins/product-id.conf") == b"[main]\nenabled = 1\n"
    assert "+enabled = 1" in first.diff
    assert YumPlugins().run(run).status == Status.UNCHANGED


def test_yum_plugins_on_a_yum_host(make_run, ctx, root):
    (root / "usr" / "bin" / "dnf").unlink()
    seed(root, {"/etc/yum/pluginconf.d/product-id.conf": "[main]\nenabled=0\n"})
    assert YumPlugins().run(make_run()).status == Status.CHANGED
    assert fileio.read_bytes(ctx, "/etc/yum/pluginconf.d/product-id.conf") == \
        b"[main]\nenabled=1\n"
    assert fileio.read_bytes(ctx, "/etc/yum/pluginconf.d/subscription-manager.conf")
