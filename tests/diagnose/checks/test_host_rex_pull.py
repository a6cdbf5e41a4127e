"""HOST_REX_PULL: a host enrolled with --rex-pull has the worker, the unit enabled and
config.toml connecting as the host; without --rex-pull in the record nothing is asked."""
from lbenroll.context import Context
from lbenroll.diagnose import hostconf
from lbenroll.diagnose.checks import host_rex_pull
from tests.conftest import FakeRunner, rpm_answer, rpm_qa, seed
from tests.diagnose.test_hostconf import LB, PROXIES, enrolled

RECORD = "/etc/lbenroll/lbenroll.conf"
CONFIG = "/etc/yggdrasil/config.toml"
RIGHT = ('broker = ["mqtts://%s:1883"]\ncert-file = "/etc/pki/consumer/cert.pem"\n'
         'key-file = "/etc/pki/consumer/key.pem"\n'
         'ca-root = ["/etc/rhsm/ca/katello-server-ca.pem"]\n' % LB)


def facts_with(root, runner, config=RIGHT, recorded="server = %s\nrex-pull = true\n" % LB):
    seed(root, {RECORD: recorded, CONFIG: config})
    return hostconf.read_host(Context(root=str(root), runner=runner))


def runner(root, packages=("foreman_ygg_worker", "yggdrasil"), enabled=True):
    fake = FakeRunner()
    fake.expect(rpm_qa(root), 0, rpm_answer(*packages))
    fake.expect(["systemctl", "--root=%s" % root, "is-enabled"], 0 if enabled else 1)
    return fake


def test_without_rex_pull_recorded_it_is_skipped_and_asks_nothing(root):
    enrolled(root)
    fake = FakeRunner()
    facts = facts_with(root, fake, recorded="server = %s\n" % LB)
    result = host_rex_pull.check_rex_pull(facts, LB, PROXIES)
    assert result.status.value == "skipped" and "not enrolled with --rex-pull" in result.summary
    assert fake.calls == []


def test_a_host_set_up_passes(root):
    enrolled(root)
    facts = facts_with(root, runner(root))
    result = host_rex_pull.check_rex_pull(facts, LB, PROXIES)
    assert result.status.value == "unchanged", result.summary
    assert result.summary == ("foreman_ygg_worker and yggdrasil installed, yggdrasild enabled, "
                              "%s connects as this host (/etc/pki/consumer/cert.pem)" % CONFIG)


def test_a_missing_worker_a_disabled_unit_and_another_identity_fail_each_named(root):
    enrolled(root)
    facts = facts_with(root, runner(root, packages=("yggdrasil",), enabled=False),
                       config=RIGHT.replace("/etc/pki/consumer/cert.pem", "/root/other.pem"))
    result = host_rex_pull.check_rex_pull(facts, LB, PROXIES)
    assert result.status.value == "failed"
    assert result.detail == ["foreman_ygg_worker is not installed", "yggdrasild is not enabled",
                             "%s's cert-file is /root/other.pem, not /etc/pki/consumer/cert.pem"
                             % CONFIG]
    assert "lbenroll repair" in result.remediation


def test_no_config_toml_fails(root):
    enrolled(root)
    seed(root, {RECORD: "server = %s\nrex-pull = true\n" % LB})
    facts = hostconf.read_host(Context(root=str(root), runner=runner(root)))
    result = host_rex_pull.check_rex_pull(facts, LB, PROXIES)
    assert result.status.value == "failed" and "%s does not exist" % CONFIG in result.summary
