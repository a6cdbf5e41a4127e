"""OPENSCAP_CONFIG: foreman_scap_client's config.yaml names the balancer; no file, no change."""
from lbenroll import fileio
from lbenroll.context import Context
from lbenroll.results import Status
from lbenroll.steps.openscap_config import OpenscapConfig
from tests.conftest import FakeRunner, seed
from tests.steps.conftest import BALANCER

CONFIG = "/etc/foreman_scap_client/config.yaml"
ON_A_PROXY = ":server: 'proxy02.example.test'\n:port: 9090\n:timeout: 60\n"
ON_THE_BALANCER = ":server: '%s'\n:port: 9090\n:timeout: 60\n" % BALANCER


def test_without_config_yaml_there_is_nothing_to_do(make_run, fake_runner):
    result = OpenscapConfig().run(make_run())
    assert result.status == Status.SKIPPED
    assert result.summary == "%s not present; left alone" % CONFIG
    assert fake_runner.calls == []


def test_the_server_moves_to_the_balancer_and_a_rerun_changes_nothing(make_run, fake_runner,
                                                                       root, ctx):
    seed(root, {CONFIG: ON_A_PROXY})
    result = OpenscapConfig().run(make_run())
    assert result.status == Status.CHANGED
    assert result.detail == [":server: proxy02.example.test -> %s" % BALANCER]
    assert fileio.read_bytes(ctx, CONFIG) == ON_THE_BALANCER.encode()
    assert OpenscapConfig().run(make_run()).status == Status.UNCHANGED
    assert fake_runner.calls == []  # nothing to restart: the client reads it on each run


def test_a_dry_run_shows_the_change_and_writes_nothing(make_run, root):
    seed(root, {CONFIG: ON_A_PROXY})
    run = make_run()
    run.ctx = Context(root=str(root), runner=FakeRunner(dry_run=True))
    result = OpenscapConfig().run(run)
    assert result.status == Status.CHANGED and result.summary == "would update %s" % CONFIG
    assert "+:server: '%s'" % BALANCER in result.diff
    assert fileio.read_bytes(run.ctx, CONFIG) == ON_A_PROXY.encode()
