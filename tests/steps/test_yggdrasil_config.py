"""YGGDRASIL_CONFIG: the broker named in config.toml, and yggdrasil restarted to reconnect."""
from lbenroll import fileio, services
from lbenroll.context import Context
from lbenroll.results import Result, Status
from lbenroll.steps.yggdrasil_config import YggdrasilConfig
from tests.conftest import FakeRunner, seed
from tests.steps.conftest import BALANCER

CONFIG = "/etc/yggdrasil/config.toml"
ON_A_PROXY = 'broker = ["mqtts://proxy02.example.test:1883"]\n'
ON_THE_BALANCER = 'broker = ["mqtts://%s:1883"]\n' % BALANCER


def rhsm_conf(run, status):
    run.results["RHSM_CONF"] = Result("RHSM_CONF", status, "")
    return run


def test_without_config_toml_the_step_is_skipped_and_runs_nothing(make_run, fake_runner):
    result = YggdrasilConfig().run(rhsm_conf(make_run(), Status.CHANGED))
    assert result.status == Status.SKIPPED
    assert result.summary == "%s not present; left alone" % CONFIG
    assert fake_runner.calls == []


def test_the_broker_moves_to_the_balancer_and_the_restart_waits_for_systemd(
        make_run, fake_runner, root, ctx):
    seed(root, {CONFIG: ON_A_PROXY})
    result = YggdrasilConfig().run(rhsm_conf(make_run(), Status.UNCHANGED))
    assert result.status == Status.CHANGED
    assert fileio.read_bytes(ctx, CONFIG) == ON_THE_BALANCER.encode()
    assert result.detail[-1] == "yggdrasild: %s" % services.DEFERRED  # under --root
    assert fake_runner.calls == []


def test_yggdrasil_is_restarted_under_the_name_its_unit_file_has(make_run, fake_runner, root,
                                                                  monkeypatch):
    monkeypatch.setattr(services, "systemd_running", lambda ctx: True)
    seed(root, {CONFIG: ON_A_PROXY, "/usr/lib/systemd/system/yggdrasil.service": ""})
    restart = ["systemctl", "--root=%s" % root, "try-restart", "yggdrasil"]
    fake_runner.expect(restart)
    result = YggdrasilConfig().run(rhsm_conf(make_run(), Status.UNCHANGED))
    assert result.status == Status.CHANGED
    assert result.detail[-1] == "restarted yggdrasil (if it was running) to reconnect"
    assert fake_runner.calls == [restart]


def test_a_right_broker_is_still_restarted_when_rhsm_conf_changed(make_run, fake_runner, root,
                                                                 monkeypatch):
    monkeypatch.setattr(services, "systemd_running", lambda ctx: True)
    seed(root, {CONFIG: ON_THE_BALANCER})
    fake_runner.expect(["systemctl"])
    run = make_run()
    assert YggdrasilConfig().run(rhsm_conf(run, Status.UNCHANGED)).status == Status.UNCHANGED
    assert fake_runner.calls == []  # nothing changed for yggdrasil: no restart
    result = YggdrasilConfig().run(rhsm_conf(run, Status.CHANGED))
    assert result.status == Status.UNCHANGED
    assert fake_runner.calls == [["systemctl", "--root=%s" % root, "try-restart", "yggdrasild"]]


def test_a_dry_run_says_it_would_restart_and_changes_nothing(make_run, root, monkeypatch):
    monkeypatch.setattr(services, "systemd_running", lambda ctx: True)
    seed(root, {CONFIG: ON_A_PROXY})
    dry = Context(root=str(root), runner=FakeRunner(dry_run=True))
    run = make_run()
    run.ctx = dry
    result = YggdrasilConfig().run(rhsm_conf(run, Status.UNCHANGED))
    assert result.status == Status.CHANGED
    assert result.detail[-1] == "would restart yggdrasild if it runs"
    assert fileio.read_bytes(dry, CONFIG) == ON_A_PROXY.encode()
    assert dry.runner.calls == [] and dry.runner.would_run == []


# --rex-pull: config.toml as Global Registration's pull-mode setup writes it, through the
# balancer; the restart is REX_PULL_SERVICE's.

KATELLO_CA = "/etc/rhsm/ca/katello-server-ca.pem"


def pull_host(root, **files):
    from tests.steps.conftest import rhsm_conf as rhsm_conf_text
    seed(root, dict({"/etc/rhsm/rhsm.conf": rhsm_conf_text(), KATELLO_CA: "ca"}, **files))


def test_rex_pull_writes_the_template_keys_and_restarts_nothing(make_run, fake_runner, root,
                                                                 ctx, monkeypatch):
    monkeypatch.setattr(services, "systemd_running", lambda ctx: True)
    pull_host(root)
    seed(root, {CONFIG: '# packaged\nbroker = ["tcp://test.mosquitto.org:1883"]\n'
                        'log-level = "error"\n'})
    run = rhsm_conf(make_run(remote_exec_pull=True), Status.CHANGED)
    result = YggdrasilConfig().run(run)
    assert result.status == Status.CHANGED
    assert fileio.read_bytes(ctx, CONFIG).decode() == (
        '# packaged\nbroker = ["mqtts://%s:1883"]\nlog-level = "error"\n'
        'cert-file = "/etc/pki/consumer/cert.pem"\nkey-file = "/etc/pki/consumer/key.pem"\n'
        'ca-root = ["%s"]\n' % (BALANCER, KATELLO_CA))
    assert fake_runner.calls == []
    assert YggdrasilConfig().run(run).status == Status.UNCHANGED


def test_rex_pull_with_yggdrasil_0_4_sets_server_and_protocol(make_run, root, ctx):
    pull_host(root, **{"/usr/lib/systemd/system/yggdrasil.service": ""})
    YggdrasilConfig().run(rhsm_conf(make_run(remote_exec_pull=True), Status.UNCHANGED))
    text = fileio.read_bytes(ctx, CONFIG).decode()
    assert 'server = ["mqtts://%s:1883"]\nprotocol = "mqtt"\n' % BALANCER in text
    assert "broker" not in text


def test_rex_pull_without_the_katello_ca_fails_naming_it(make_run, root):
    import pytest
    from lbenroll.errors import ExitCode, LbenrollError
    from tests.steps.conftest import rhsm_conf as rhsm_conf_text
    seed(root, {"/etc/rhsm/rhsm.conf": rhsm_conf_text()})
    with pytest.raises(LbenrollError) as raised:
        YggdrasilConfig().run(rhsm_conf(make_run(remote_exec_pull=True), Status.UNCHANGED))
    assert raised.value.exit_code == ExitCode.CONFIG
    assert "%s does not exist" % KATELLO_CA in raised.value.message
    assert not (root / "etc/yggdrasil").exists()


def test_rex_pull_dry_run_before_rhsm_conf_names_the_katello_ca_rhsm_conf_will_have(
        make_run, root, ctx):
    # A fresh host: rhsm.conf still has subscription-manager's own CA.
    seed(root, {"/etc/rhsm/rhsm.conf": "[server]\nhostname = subscription.rhsm.redhat.com\n"})
    ctx.runner = FakeRunner(dry_run=True)
    result = YggdrasilConfig().run(rhsm_conf(make_run(remote_exec_pull=True), Status.CHANGED))
    assert result.status == Status.CHANGED and result.summary == "would create %s" % CONFIG
    assert 'ca-root: set to ["%s"]' % KATELLO_CA in result.detail
    assert not (root / "etc/yggdrasil").exists()
