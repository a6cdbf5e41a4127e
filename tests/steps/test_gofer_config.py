"""GOFER_CONFIG: goferd's katello plugin's broker URL is pointed at the balancer."""
from lbenroll import fileio
from lbenroll.results import Status
from lbenroll.steps.gofer_config import GoferConfig
from tests.steps.conftest import writes_golden

CONF = "/etc/gofer/plugins/katello.conf"


def test_a_broker_url_on_a_proxy_moves_to_the_balancer_once(make_run, ctx, root, fake_runner):
    writes_golden(GoferConfig(), make_run(), ctx, root, CONF, "gofer", "katello.conf",
                  "katello.expected.conf")
    assert fake_runner.calls == []  # goferd is restarted by KATELLO_AGENT, not here


def test_without_katello_agent_the_step_is_skipped(make_run, ctx):
    result = GoferConfig().run(make_run())
    assert (result.id, result.status) == ("GOFER_CONFIG", Status.SKIPPED)
    assert fileio.read_bytes(ctx, CONF) is None
