"""hoststate: what a host is before a run (enrolled, registered, fresh) and what a command line
means on it; options.validate's checks against that state."""
import os
import socket

import pytest

from lbenroll import credentials, enroll
from lbenroll import hoststate, options
from lbenroll.errors import ConfigError, ExitCode, UsageError
from lbenroll.writers import lbenroll_conf
from tests.conftest import seed

BALANCER = "smartproxy.example.test"
RECORD = "/etc/lbenroll/lbenroll.conf"
CONSUMER_CERT = "/etc/pki/consumer/cert.pem"
FOREMAN_RECORD = [("server", BALANCER), ("location", "Lab"), ("hostgroup", "lab/web"),
                  ("puppet-server", "puppet.example.test"), ("puppet-ca-port", "8141"),
                  ("rex", "true"), ("rex-user", "ansible")]
CONTENT_RECORD = [("server", BALANCER), ("skip", "foreman, puppet")]


def parsed(values, **kwargs):
    """What the command line makes of values: validated, then completed from the machine."""
    return enroll.complete(options.validate(values, **kwargs))


@pytest.fixture(autouse=True)
def no_password(monkeypatch):
    """No password from anywhere: not in the environment, stdin not a terminal."""
    monkeypatch.delenv(options.PASSWORD_ENV, raising=False)
    monkeypatch.setattr(credentials.sys, "stdin", None)
    monkeypatch.setattr(socket, "getfqdn", lambda *a: "client01.example.test")


def record(root, rows):
    seed(root, {RECORD: lbenroll_conf.render(rows)})


def registered(root):
    seed(root, {CONSUMER_CERT: "-----BEGIN CERTIFICATE-----\n"})


# -- read ---------------------------------------------------------------------------------------


def test_a_fresh_host(root):
    state = hoststate.read(str(root))
    assert state.record is None and not state.enrolled
    assert state.registered is False
    assert state.record_path == RECORD
    assert state.root == str(root)


def test_a_host_registered_by_something_else(root):
    registered(root)
    state = hoststate.read(str(root))
    assert state.registered is True and not state.enrolled


def test_a_host_enrolled_by_lbenroll(root):
    record(root, FOREMAN_RECORD)
    registered(root)
    state = hoststate.read(str(root))
    assert state.enrolled and state.registered
    assert state.record == dict(FOREMAN_RECORD)


def test_a_record_that_is_a_directory_is_a_config_error(root):
    os.makedirs(os.path.join(str(root), RECORD.lstrip("/")))
    with pytest.raises(ConfigError) as error:
        hoststate.read(str(root))
    assert error.value.exit_code == ExitCode.CONFIG
    assert error.value.message == "%s is a directory, where lbenroll expects a file" % RECORD
    assert "move %s away" % RECORD in error.value.fix


def test_a_record_that_is_a_fifo_is_a_config_error_not_a_hang(root):
    path = os.path.join(str(root), RECORD.lstrip("/"))
    os.makedirs(os.path.dirname(path))
    os.mkfifo(path)  # nothing ever writes to it: reading it would wait forever
    with pytest.raises(ConfigError) as error:
        hoststate.read(str(root))
    assert error.value.message == "%s is a FIFO, where lbenroll expects a file" % RECORD


def test_a_record_configobj_cannot_read_is_a_config_error(root):
    seed(root, {RECORD: "server = a\nserver = b\n"})  # a duplicate key
    with pytest.raises(ConfigError) as error:
        hoststate.read(str(root))
    assert error.value.exit_code == ExitCode.CONFIG
    assert error.value.message.startswith("%s cannot be read" % RECORD)


def test_a_record_with_sections_is_a_config_error(root):
    seed(root, {RECORD: "server = a\n[extra]\nk = v\n"})
    with pytest.raises(ConfigError) as error:
        hoststate.read(str(root))
    assert "[extra]" in error.value.message


def test_a_record_root_may_not_read_is_left_to_the_root_check(root, monkeypatch):
    record(root, FOREMAN_RECORD)

    def denied(real, path):
        raise PermissionError(13, "Permission denied", real)
    monkeypatch.setattr(lbenroll_conf.diskio, "read_file", denied)
    assert hoststate.read(str(root)).record is None


def test_a_record_path_below_a_file_is_no_record(root):
    seed(root, {"/etc/lbenroll": "a file where the directory should be\n"})
    assert hoststate.read(str(root)).record is None


# -- with_record --------------------------------------------------------------------------------


def state_of(root, rows=None, is_registered=True):
    if rows is not None:
        record(root, rows)
    if is_registered:
        registered(root)
    return hoststate.read(str(root))


def test_without_a_record_the_command_line_is_all(root):
    values = {"balancer": BALANCER, "activationkey": "ak"}
    merged, taken = hoststate.with_record(values, state_of(root))
    assert (merged, taken) == (values, [])
    assert merged is not values
    assert hoststate.with_record(values, None) == (values, [])


def test_record_values_are_defaults_and_the_command_line_wins(root):
    state = state_of(root, FOREMAN_RECORD)
    merged, taken = hoststate.with_record(
        {"balancer": BALANCER, "location": "Other", "puppet_noop": True}, state)
    assert merged == {"balancer": BALANCER, "location": "Other", "puppet_noop": True,
                      "hostgroup": "lab/web", "puppet_server": "puppet.example.test",
                      "puppet_ca_port": "8141", "remote_exec": True,
                      "remote_exec_user": "ansible"}
    assert taken == ["hostgroup", "puppet_ca_port", "puppet_server", "remote_exec",
                     "remote_exec_user"]


def test_a_bare_rerun_is_the_recorded_enrollment(root):
    merged, taken = hoststate.with_record({}, state_of(root, CONTENT_RECORD))
    assert merged == {"balancer": BALANCER, "skip": ["foreman", "puppet"]}
    assert taken == ["balancer", "skip"]


def test_the_same_balancer_spelt_otherwise_is_no_move(root):
    merged, _ = hoststate.with_record({"balancer": "SmartProxy.Example.Test."},
                                      state_of(root, CONTENT_RECORD))
    assert merged["balancer"] == "SmartProxy.Example.Test."


def test_another_balancer_needs_new_capsule(root):
    with pytest.raises(UsageError) as error:
        hoststate.with_record({"balancer": "lb2.example.test"},
                              state_of(root, FOREMAN_RECORD))
    message = error.value.format_message()
    assert error.value.exit_code == ExitCode.USAGE
    assert "enrolled through %s (%s), not lb2.example.test" % (BALANCER, RECORD) in message
    assert "add --new-capsule" in message and "give -s %s" % BALANCER in message


def test_a_removal_may_name_another_balancer(root):
    merged, _ = hoststate.with_record({"balancer": "lb2.example.test", "remove": True},
                                      state_of(root, FOREMAN_RECORD))
    assert merged["balancer"] == "lb2.example.test"


def test_a_move_takes_balancer_and_puppet_settings_from_the_command_line_only(root):
    merged, taken = hoststate.with_record(
        {"balancer": "lb2.example.test", "new_capsule": True},
        state_of(root, FOREMAN_RECORD))
    for dest in lbenroll_conf.MOVED:
        assert dest not in taken
    assert merged["balancer"] == "lb2.example.test"
    assert "puppet_server" not in merged and "puppet_ca_port" not in merged
    assert merged["hostgroup"] == "lab/web" and merged["location"] == "Lab"
    assert taken == ["hostgroup", "location", "remote_exec", "remote_exec_user"]


def test_a_record_option_lbenroll_does_not_record_is_a_usage_error(root):
    seed(root, {RECORD: "server = %s\nactivationkey = ak\n" % BALANCER})
    with pytest.raises(UsageError) as error:
        hoststate.with_record({}, state_of(root))
    assert "'activationkey' is not an option lbenroll records" in error.value.message


# -- validate against the host's state ----------------------------------------------------------


def validate_on(state, **given):
    merged, taken = hoststate.with_record(dict(given), state)
    return parsed(merged, host_state=state, from_record=taken)


def refused_on(state, **given):
    with pytest.raises(UsageError) as error:
        validate_on(state, **given)
    assert error.value.exit_code == ExitCode.USAGE
    return error.value


def test_a_fresh_host_lists_everything_registering_needs(root):
    error = refused_on(state_of(root, is_registered=False), balancer=BALANCER)
    assert error.message == ("-g HOSTGROUP (or --skip foreman) and -a KEY are needed to "
                             "register this host")
    assert error.fix == ("add -g HOSTGROUP (or --skip foreman) -a KEY; a host that is "
                         "registered already needs none of them")


def test_a_fresh_content_only_host_needs_a_key_and_an_org_label(root):
    error = refused_on(state_of(root, is_registered=False), balancer=BALANCER,
                       skip=["foreman"])
    assert error.message == "-a KEY and -o ORG_LABEL are needed to register this host"
    error = refused_on(state_of(root, is_registered=False), balancer=BALANCER,
                       content_only=True, activationkey="ak")
    assert error.message == "-o ORG_LABEL is needed to register this host"


def test_a_fresh_host_with_everything_is_accepted(root):
    validated = validate_on(state_of(root, is_registered=False), balancer=BALANCER,
                            skip=["foreman"], activationkey="ak", org="ACME")
    assert validated.foreman_skipped and validated.notes == []


def test_a_registered_host_without_a_hostgroup_is_content_only_with_a_note(root):
    validated = validate_on(state_of(root), balancer=BALANCER)
    # Content-only because of the host's state: not a --skip foreman, which nobody typed.
    assert validated.foreman_skipped and validated.skip == set()
    assert validated.foreman_left_alone == "no -g"
    assert validated.notes == ["no -g/--hostgroup: the Foreman host record is left as it is "
                               "(give -g and the API password to create or update it)"]
    assert validated.activationkey is None and validated.password is None


def adopted_report_and_record(validated):
    """What FOREMAN_HOST reports and RECORD_OPTIONS writes for validated options."""
    import types
    from lbenroll.steps.foreman_host import ForemanHost
    from lbenroll.steps.record_options import RecordOptions
    run = types.SimpleNamespace(options=validated)
    writer = RecordOptions().writer(run)
    text, _ = writer.render(None)
    return ForemanHost().run(run), text


def test_an_adopted_host_without_a_hostgroup_says_so_and_records_no_skip(root):
    """Issue 19: adopting a registered host without -g is not a --skip foreman nobody typed: the
    report says why the host record is left alone, and the record keeps the user's choices apart
    from that fact, which is a comment that is never read back as an option."""
    result, text = adopted_report_and_record(validate_on(state_of(root), balancer=BALANCER))
    assert result.summary == "Foreman host record left alone (no -g)"
    assert "--skip" not in result.summary
    assert lbenroll_conf.parse(text) == {"server": BALANCER}
    assert ("# Found by lbenroll on this host, not chosen (informative; never read back):\n"
            "#   Foreman host record left alone (no -g)\n"
            "# Chosen: the options given to lbenroll (on its command line, or kept from this "
            "file).\nserver = %s\n" % BALANCER) in text


def test_a_chosen_skip_foreman_is_reported_and_recorded_as_chosen(root):
    result, text = adopted_report_and_record(validate_on(state_of(root), balancer=BALANCER,
                                                         skip=["foreman"]))
    assert result.summary == "--skip foreman: no host record"
    assert lbenroll_conf.parse(text) == {"server": BALANCER, "skip": "foreman"}
    assert "Found by lbenroll" not in text


def test_a_foreman_mode_record_without_a_password_stays_foreman_mode_in_the_record(root):
    # Left content-only for want of a password, the record must not turn into --skip foreman:
    # the next run with the password checks the host record again.
    validated = validate_on(state_of(root, FOREMAN_RECORD), balancer=BALANCER)
    result, text = adopted_report_and_record(validated)
    assert result.summary == "Foreman host record left alone (no API password)"
    recorded = lbenroll_conf.parse(text)
    assert "skip" not in recorded and recorded["hostgroup"] == "lab/web"


def test_an_older_record_with_skip_foreman_still_reads_as_content_only(root):
    # Records written before issue 19 hold skip = foreman for adopted hosts. They read as the
    # choice they state: the host stays content-only, as it was enrolled.
    validated = validate_on(state_of(root, [("server", BALANCER), ("skip", "foreman")]),
                            balancer=BALANCER)
    assert validated.skip == {"foreman"} and validated.foreman_left_alone is None
    result, text = adopted_report_and_record(validated)
    assert result.summary == "--skip foreman: no host record"
    assert lbenroll_conf.parse(text) == {"server": BALANCER, "skip": "foreman"}


def test_a_registered_host_with_a_hostgroup_still_needs_the_password(root):
    error = refused_on(state_of(root), balancer=BALANCER, hostgroup="lab/web")
    assert "password is missing" in error.message


def test_a_foreman_mode_record_without_a_password_is_content_only_with_a_note(root):
    state = state_of(root, FOREMAN_RECORD)
    validated = validate_on(state, balancer=BALANCER)
    assert "hostgroup" in validated.from_record
    assert validated.hostgroup == "lab/web"
    assert validated.foreman_skipped and "foreman" not in validated.skip
    assert validated.foreman_left_alone == "no API password"
    assert validated.notes == ["no Foreman API password: the Foreman host record is left as it "
                               "is (give --password-file or LBENROLL_PASSWORD to check it too)"]
    assert validated.puppet_ca_port == "8141" and validated.remote_exec_user == "ansible"


def test_a_foreman_mode_record_with_a_password_stays_in_foreman_mode(root, monkeypatch):
    monkeypatch.setenv(options.PASSWORD_ENV, "FromEnv99")
    validated = validate_on(state_of(root, FOREMAN_RECORD), balancer=BALANCER)
    assert not validated.foreman_skipped and validated.notes == []
    assert validated.password == "FromEnv99"


def test_a_hostgroup_given_again_without_a_password_is_refused(root):
    error = refused_on(state_of(root, FOREMAN_RECORD), balancer=BALANCER,
                       hostgroup="lab/web")
    assert "password is missing" in error.message


def test_a_content_only_record_reruns_without_anything_else(root):
    validated = validate_on(state_of(root, CONTENT_RECORD))
    assert validated.balancer == BALANCER
    assert validated.skip >= {"foreman", "puppet"}
    assert validated.from_record == ("balancer", "skip")


def test_an_enrolled_host_whose_identity_is_lost_needs_a_key(root):
    error = refused_on(state_of(root, CONTENT_RECORD, is_registered=False))
    assert error.message == "-a KEY and -o ORG_LABEL are needed to register this host"


def test_a_foreman_record_that_turns_content_only_still_needs_an_org_label(root):
    refused_on(state_of(root, FOREMAN_RECORD, is_registered=False), balancer=BALANCER,
               activationkey="ak")


def test_a_removal_and_a_move_need_nothing_for_registering(root):
    state = state_of(root, is_registered=False)
    assert validate_on(state, balancer=BALANCER, remove=True, skip=["foreman"]).remove
    moved = validate_on(state_of(root, FOREMAN_RECORD), balancer="lb2.example.test",
                        new_capsule=True, skip=["foreman"])
    assert moved.puppet_server == "lb2.example.test"  # not the recorded puppet.example.test
    assert moved.puppet_ca_port is None


def test_a_url_on_an_enrolled_host_is_refused_as_a_url_not_as_a_move(root):
    # Issue 19: the value's syntax first; "enrolled through X, not https://y/" and its fix
    # (--new-capsule) would not fit.
    error = refused_on(state_of(root, CONTENT_RECORD), balancer="https://lb2.example.test/")
    assert error.message == "-s/--server: 'https://lb2.example.test/' is not a host name"
    assert error.fix == ("give the name only, without a scheme, port or path: "
                         "-s lb2.example.test")


def test_an_older_record_with_skip_foreman_gives_way_to_a_hostgroup_on_the_command_line(
        root, monkeypatch):
    # An adopted host recorded by an older lbenroll has skip = foreman; enrolling it again with
    # -g asks for the host record, which the recorded skip must not silently refuse.
    monkeypatch.setenv(options.PASSWORD_ENV, "FromEnv99")
    state = state_of(root, [("server", BALANCER), ("skip", "foreman, puppet")])
    validated = validate_on(state, balancer=BALANCER, hostgroup="lab/web")
    assert not validated.foreman_skipped and validated.skip == {"puppet"}
    assert "skip" in validated.from_record
