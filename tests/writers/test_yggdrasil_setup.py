"""YggdrasilSetupWriter (--rex-pull): the keys Global Registration's pull-mode setup writes, set
through the balancer; every other byte kept; a file already right is left as it is."""
import pytest

from lbenroll.results import Status
from lbenroll.writers.yggdrasil import YggdrasilSetupWriter
from tests.writers.golden import assert_cycle, crlf, data, render_text

BALANCER = "smartproxy.example.test"
CERT, KEY = "/etc/pki/consumer/cert.pem", "/etc/pki/consumer/key.pem"
CA = "/etc/rhsm/ca/katello-server-ca.pem"
# (golden name, the key for the broker when the file has none): the template's own output on a
# proxy, yggdrasil 0.2's packaged file, yggdrasil 0.4's comment-only one.
GOLDEN = (("setup-proxy", "broker"), ("setup-package", "broker"), ("setup-0.4", "server"))


def writer(broker_key="broker"):
    return YggdrasilSetupWriter(BALANCER, 1883, CERT, KEY, CA, broker_key=broker_key)


def golden(name):
    return data("yggdrasil", name + ".toml"), data("yggdrasil", name + ".expected.toml")


@pytest.mark.parametrize("name,key", GOLDEN)
def test_golden(name, key):
    before, after = golden(name)
    assert render_text(writer(key), before) == after


@pytest.mark.parametrize("name,key", GOLDEN)
def test_plan_apply_plan(ctx, root, name, key):
    before, after = golden(name)
    assert_cycle(writer(key), ctx, root, before, after)


@pytest.mark.parametrize("name,key", GOLDEN)
def test_crlf_is_kept(name, key):
    before, after = golden(name)
    assert render_text(writer(key), crlf(before)) == crlf(after)


def test_a_right_file_is_left_byte_for_byte(ctx, root):
    _, right = golden("setup-proxy")
    # Spacing and a comment of its own: still right, not rewritten.
    text = right.replace('cert-file = "', 'cert-file   =   "').replace(
        'key-file = "/etc/pki/consumer/key.pem"', 'key-file = "/etc/pki/consumer/key.pem" # mine')
    assert render_text(writer(), text) == text
    assert_cycle(writer(), ctx, root, text, text)


def test_a_missing_file_is_created_with_the_keys(ctx, root):
    first = assert_cycle(writer(), ctx, root, None, (
        "# yggdrasil configuration: remote execution pull mode (lbenroll --rex-pull)\n"
        'broker = ["mqtts://smartproxy.example.test:1883"]\n'
        'cert-file = "/etc/pki/consumer/cert.pem"\n'
        'key-file = "/etc/pki/consumer/key.pem"\n'
        'ca-root = ["/etc/rhsm/ca/katello-server-ca.pem"]\n'))
    assert first.summary == "created /etc/yggdrasil/config.toml"


def test_notes_name_each_change():
    _, notes = writer().render(data("yggdrasil", "setup-package.toml"))
    assert notes == [
        'broker: ["tcp://test.mosquitto.org:1883"] -> ["mqtts://smartproxy.example.test:1883"]',
        'cert-file: set to "/etc/pki/consumer/cert.pem"',
        'key-file: set to "/etc/pki/consumer/key.pem"',
        'ca-root: set to ["/etc/rhsm/ca/katello-server-ca.pem"]']


def test_a_multiline_broker_array_and_both_broker_keys_become_the_balancer():
    text = ('log-level = "info"\nbroker = [\n  "mqtts://proxy01.example.test:1883",\n'
            '  "mqtts://proxy02.example.test:1883",\n]\nserver = "mqtts://proxy03:1883"\n'
            '\n[tags]\nserver = "not a broker"\n')
    out = render_text(writer(), text)
    assert out.startswith('log-level = "info"\n'
                          'broker = ["mqtts://smartproxy.example.test:1883"]\n'
                          'server = ["mqtts://smartproxy.example.test:1883"]\n'
                          'protocol = "mqtt"\n')
    assert out.endswith('ca-root = ["/etc/rhsm/ca/katello-server-ca.pem"]\n'
                        '\n[tags]\nserver = "not a broker"\n')
    assert render_text(writer(), out) == out


def test_a_string_where_an_array_is_written_is_made_an_array():
    text = 'ca-root = "/etc/rhsm/ca/katello-server-ca.pem"\n'
    assert 'ca-root = ["/etc/rhsm/ca/katello-server-ca.pem"]\n' in render_text(writer(), text)


def test_a_file_without_final_newline_gets_one_before_the_added_keys():
    assert render_text(writer(), 'log-level = "error"').startswith(
        'log-level = "error"\nbroker = ["mqtts://smartproxy.example.test:1883"]\n')


def test_dry_run_changes_nothing(root, ctx):
    from tests.conftest import FakeRunner, seed
    before, _ = golden("setup-package")
    seed(root, {"/etc/yggdrasil/config.toml": before.encode()})
    ctx.runner = FakeRunner(dry_run=True)
    result = writer().run(ctx)
    assert result.status == Status.CHANGED and result.summary.startswith("would update")
    assert (root / "etc/yggdrasil/config.toml").read_text() == before
