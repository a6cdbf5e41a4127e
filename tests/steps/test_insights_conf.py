"""INSIGHTS_CONF: an explicit base_url naming a proxy names the balancer, with or without
--insights; no file, nothing to do."""
from lbenroll import fileio
from lbenroll.results import Status
from lbenroll.steps.insights_conf import InsightsConf
from tests.conftest import seed
from tests.steps.conftest import BALANCER

CONF = "/etc/insights-client/insights-client.conf"
ON_A_PROXY = ("[insights-client]\nauto_config=False\n"
              "base_url=proxy02.example.test:443/redhat_access/r/insights\n")


def test_without_the_file_there_is_nothing_to_do(make_run, fake_runner):
    result = InsightsConf().run(make_run())
    assert result.status == Status.SKIPPED and fake_runner.calls == []


def test_the_base_url_moves_and_a_rerun_changes_nothing(make_run, fake_runner, root, ctx):
    seed(root, {CONF: ON_A_PROXY})
    assert InsightsConf().run(make_run()).status == Status.CHANGED
    assert fileio.read_bytes(ctx, CONF) == ON_A_PROXY.replace(
        "proxy02.example.test", BALANCER).encode()
    assert InsightsConf().run(make_run()).status == Status.UNCHANGED
    assert fake_runner.calls == []
