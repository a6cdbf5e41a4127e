"""lbenroll.conf: what an enrollment records (never secrets), how it is rendered and read back."""
import os
import stat

import pytest

from lbenroll import enroll
from lbenroll import options as option_table
from lbenroll.errors import ConfigError, DataError, ExitCode, UsageError
from lbenroll.writers import lbenroll_conf
from lbenroll.writers.lbenroll_conf import LbenrollConfWriter
from tests.writers.golden import assert_cycle

BALANCER = "smartproxy.example.test"
FINGERPRINT = "ab" * 32
EXPECTED_BODY = """\
server = smartproxy.example.test
fqdn = client01.example.test
timeout = 60
download-method = http
puppet-ca-port = 8141
puppet-noop = true
skip = foreman, puppet
ca-fingerprint = %s
""" % FINGERPRINT


def parsed(values, **kwargs):
    """What the command line makes of values: validated, then completed from the machine."""
    return enroll.complete(option_table.validate(values, **kwargs))


def enrolled_with(**given):
    values = {"balancer": BALANCER, "skip": ["foreman"], "fqdn": "client01.example.test"}
    values.update(given)
    return parsed(values)


def full_enrollment():
    return enrolled_with(
        org="ACME", activationkey="ak-secret-key", release="9.4", timeout=60,
        smargs="--password hunter2-pw", force=True, ignore_registration_failures=True,
        download_method="http", puppet_ca_port="8141", puppet_noop=True, no_puppet=True,
        ca_fingerprint=[FINGERPRINT.upper()], dry_run=True, json=True, verbose=True,
        log_file="/tmp/x.log")


def test_records_the_given_host_options_in_table_order_and_nothing_secret():
    text = lbenroll_conf.render(lbenroll_conf.recorded_values(full_enrollment()))
    header = [line for line in text.splitlines(True) if line.startswith("#")]
    assert header[0].startswith("# Managed by lbenroll")
    assert text == "".join(header) + EXPECTED_BODY
    assert "ak-secret-key" not in text and "hunter2-pw" not in text


def test_defaults_are_not_recorded_but_server_and_skip_always_are():
    rows = lbenroll_conf.recorded_values(enrolled_with(content_only=True, skip=[]))
    assert rows == [("server", BALANCER), ("fqdn", "client01.example.test"),
                    ("skip", "foreman")]


def test_foreman_mode_records_its_host_options_and_no_empty_skip_nor_password():
    options = enrolled_with(skip=[], hostgroup="lab/web", location="Lab", login="api",
                            password="Pa55word!")
    rows = lbenroll_conf.recorded_values(options)
    assert rows == [("server", BALANCER), ("login", "api"), ("fqdn", "client01.example.test"),
                    ("location", "Lab"), ("hostgroup", "lab/web")]
    assert "Pa55word!" not in lbenroll_conf.render(rows)


def test_deprecated_and_negated_flags_are_recorded_as_their_skip_values():
    options = enrolled_with(no_puppet=True, removepkgs=False)
    assert dict(lbenroll_conf.recorded_values(options))["skip"] == (
        "foreman, puppet, remove-obsolete-packages")


def test_round_trip_through_validate_gives_the_same_options():
    rows = lbenroll_conf.recorded_values(full_enrollment())
    values = lbenroll_conf.option_values(lbenroll_conf.parse(lbenroll_conf.render(rows)))
    again = parsed(values)
    assert lbenroll_conf.recorded_values(again) == rows
    assert again.puppet_noop is True and again.timeout == 60
    assert again.skip == {"foreman", "puppet"} and again.ca_fingerprint == [FINGERPRINT]


def test_plan_apply_plan_creates_a_root_owned_0644_file(ctx, root):
    writer = LbenrollConfWriter(lbenroll_conf.recorded_values(full_enrollment()))
    expected = lbenroll_conf.render(writer.rows)
    result = assert_cycle(writer, ctx, root, None, expected)
    assert result.summary == "created /etc/lbenroll/lbenroll.conf"
    assert "server: (unset) -> smartproxy.example.test" in result.detail
    st = os.stat(str(root / "etc/lbenroll/lbenroll.conf"))
    assert stat.S_IMODE(st.st_mode) == 0o644


def test_notes_name_the_options_that_changed():
    old = lbenroll_conf.render([("server", BALANCER), ("puppet-ca-port", "8141"),
                                ("skip", "foreman")])
    writer = LbenrollConfWriter([("server", BALANCER), ("skip", "foreman, puppet")])
    _text, notes = writer.render(old)
    assert notes == ["puppet-ca-port: 8141 -> (unset)", "skip: foreman -> foreman, puppet"]


def test_an_unreadable_file_is_replaced_whole():
    writer = LbenrollConfWriter([("server", BALANCER), ("skip", "foreman")])
    text, notes = writer.render("[broken\nserver = other\n")
    assert text == lbenroll_conf.render(writer.rows)
    assert "server: (unset) -> %s" % BALANCER in notes


def test_a_value_that_would_not_read_back_is_refused():
    with pytest.raises(DataError) as exc:
        lbenroll_conf.render([("server", BALANCER), ("fqdn", "a # b")])
    assert "fqdn" in exc.value.message


@pytest.mark.parametrize("text,message", [
    ("server = a\nserver = b\n", "Duplicate keyword"),
    ("server = a\n[enroll]\nfqdn = b\n", "has sections ([enroll])"),
])
def test_parse_errors_name_the_file(text, message):
    with pytest.raises(ConfigError) as exc:
        lbenroll_conf.parse(text, "/x/lbenroll.conf")
    assert exc.value.exit_code == ExitCode.CONFIG
    assert "/x/lbenroll.conf" in exc.value.message and message in exc.value.message


@pytest.mark.parametrize("key,value,message", [
    ("activationkey", "ak-lab", "'activationkey' is not an option lbenroll records"),
    ("dry-run", "true", "'dry-run' is not an option lbenroll records"),
    ("password", "Pa55word", "'password' is not an option lbenroll records"),
    ("puppet-noop", "maybe", "puppet-noop = 'maybe' is neither true nor false"),
])
def test_hand_edited_values_are_checked(key, value, message):
    with pytest.raises(UsageError) as exc:
        lbenroll_conf.option_values({"server": BALANCER, key: value}, "/x/lbenroll.conf")
    assert message in exc.value.message


def test_values_read_back_are_what_validate_takes():
    values = lbenroll_conf.option_values({"server": BALANCER, "skip": " foreman ,puppet,",
                                          "preserve-rhsm-proxy": "False", "timeout": "30"})
    assert values == {"balancer": BALANCER, "skip": ["foreman", "puppet"],
                      "preserve_rhsm_proxy": False, "timeout": "30"}


def test_one_off_actions_are_not_recorded_for_the_repair_timer():
    from lbenroll.writers import lbenroll_conf
    recorded = {spec.dest for spec in lbenroll_conf.RECORDED}
    assert not recorded & {"update", "enablerepos", "deps_repository_url",
                           "deps_repository_gpg_key", "activationkey", "password"}


def test_every_recordable_option_declares_whether_the_record_keeps_it():
    kinds = (option_table.GIVEN, option_table.ALWAYS) + option_table.NOT_RECORDED
    for spec in option_table.OPTIONS:
        assert spec.record in kinds, spec.label
    kept = [spec.dest for spec in option_table.OPTIONS
            if spec.dest and spec.status == option_table.SUPPORTED and not spec.secret
            and spec.record in (option_table.GIVEN, option_table.ALWAYS)]
    assert [spec.dest for spec in lbenroll_conf.RECORDED] == kept
    assert option_table.BY_DEST["update"].record == option_table.ONE_OFF  # the timer never updates
    assert option_table.BY_DEST["balancer"].record == option_table.ALWAYS


def test_read_is_the_record_or_none(tmp_path):
    path = tmp_path / "lbenroll.conf"
    assert lbenroll_conf.read(str(path)) is None
    assert lbenroll_conf.read(str(path / "below-a-missing-file")) is None
    path.write_bytes(b"server = smartproxy.example.test\nskip = foreman\nfqdn = h\xff.example\n")
    # A stray byte reads as U+FFFD, which validation names as a bad value.
    assert lbenroll_conf.read(str(path)) == {"server": BALANCER, "skip": "foreman",
                                             "fqdn": "h\ufffd.example"}
    assert lbenroll_conf.read(str(path / "below-a-file")) is None


def test_read_names_the_record_as_shown_and_leaves_other_read_errors_to_its_caller(
        tmp_path, monkeypatch):
    path = tmp_path / "lbenroll.conf"
    path.write_text("server = a\n[enroll]\n")
    with pytest.raises(ConfigError) as exc:
        lbenroll_conf.read(str(path), "/etc/lbenroll/lbenroll.conf")
    assert exc.value.message.startswith("/etc/lbenroll/lbenroll.conf has sections")
    (tmp_path / "dir.conf").mkdir()
    with pytest.raises(ConfigError) as exc:
        lbenroll_conf.read(str(tmp_path / "dir.conf"), "/etc/lbenroll/lbenroll.conf")
    assert "is a directory" in exc.value.message

    def denied(real, path):
        raise PermissionError(13, "Permission denied", real)
    monkeypatch.setattr(lbenroll_conf.diskio, "read_file", denied)
    with pytest.raises(PermissionError):
        lbenroll_conf.read(str(path))
