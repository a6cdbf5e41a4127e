"""The option table's consistency and validate()'s rules, without the parser."""
import os
import shlex
import socket

import pytest

from lbenroll import credentials, enroll, options
from lbenroll.errors import ExitCode, UsageError

SERVER = "lb.example.com"
KEY = "AK-Sup3rSecretKey"
FINGERPRINT = "0123456789abcdef" * 4


def parsed(values, **kwargs):
    """What the command line makes of values: validated, then completed from the machine."""
    return enroll.complete(options.validate(values, **kwargs))


@pytest.fixture(autouse=True)
def fqdn(monkeypatch):
    monkeypatch.setattr(socket, "getfqdn", lambda *args: "client.example.com")


def check(**values):
    """validate() in the supported mode: --server given and Foreman skipped."""
    values.setdefault("balancer", SERVER)
    values.setdefault("skip", ["foreman"])
    return parsed(values)


def refusal(**values):
    with pytest.raises(UsageError) as error:
        check(**values)
    assert error.value.exit_code == ExitCode.USAGE
    return error.value.format_message()


# The table


def test_dests_and_names_are_unique():
    dests = [spec.dest for spec in options.OPTIONS if spec.dest]
    names = [name for spec in options.OPTIONS for name in spec.names]
    assert len(dests) == len(set(dests))
    assert len(names) == len(set(names))


def test_every_spec_is_documented_and_grouped():
    groups = [group for group, _ in options.GROUPS]
    for spec in options.OPTIONS:
        assert spec.group in groups, spec.label
        assert spec.help and spec.help.endswith("."), spec.label
        assert spec.longs and all(name.startswith("--") for name in spec.longs), spec.label
        assert spec.metavar or not spec.takes_value, spec.label


def test_status_notes():
    for spec in options.OPTIONS:
        if spec.status == options.DEPRECATED:
            assert spec.note.startswith("--skip "), spec.label
            assert spec.note.split()[1] in options.SKIP_CHOICES


def test_choices_only_on_choice_options():
    for spec in options.OPTIONS:
        assert bool(spec.choices) == (spec.type == options.CHOICE), spec.label


@pytest.mark.parametrize("keys, said", [
    ("ak-secret,", "item 2 of the 2 comma-separated keys is empty"),
    ("ak-secret,,ak-other", "item 2 of the 3 comma-separated keys is empty"),
    (",ak-secret, ", "items 1 and 3 of the 3 comma-separated keys are empty"),
    (" ", "-a/--activationkey is empty")])
def test_an_empty_activation_key_is_refused_without_showing_the_keys(keys, said):
    message = refusal(activationkey=keys)
    assert said in message and "-a ak-base,ak-web" in message
    assert "ak-secret" not in message and "ak-other" not in message


def test_secret_options():
    secret = set(spec.dest for spec in options.OPTIONS if spec.secret)
    assert secret == {"activationkey", "password", "legacy_password"}


def test_every_option_is_supported_but_the_retired_migration_ones_and_old_spellings():
    statuses = set(spec.status for spec in options.OPTIONS)
    assert statuses == {options.SUPPORTED, options.RETIRED, options.DEPRECATED}
    retired = set(spec.longs[0] for spec in options.OPTIONS if spec.status == options.RETIRED)
    assert retired == {"--legacy-login", "--legacy-password", "--legacy-purge",
                       "--rhn-migrate-args"}
    assert all(spec.note for spec in options.OPTIONS if spec.status == options.DEPRECATED)


def test_help_text_shows_status_choices_and_default():
    assert options.help_text(options.BY_DEST["login"]).endswith("[default: admin]")
    assert options.help_text(options.BY_DEST["remote_exec_user"]).endswith("[default: root]")
    text = options.help_text(options.BY_DEST["download_method"])
    assert "One of: http, https." in text and "[default: https]" in text
    text = options.help_text(options.BY_DEST["no_puppet"])
    assert text.startswith("[deprecated: use --skip puppet]")
    assert options.help_text(options.BY_DEST["legacy_purge"]).startswith("[retired: ")


def test_flags_default_to_false_except_remove_obsolete_packages():
    flags = [spec for spec in options.OPTIONS if spec.type == options.FLAG]
    assert [spec.dest for spec in flags if spec.default is not False] == ["removepkgs"]


# validate()


def test_unknown_dest_is_a_programming_error():
    with pytest.raises(ValueError):
        parsed({"server": SERVER})


def test_defaults_and_derived_fields():
    result = check()
    assert result.skip == {"foreman"} and result.foreman_skipped
    assert result.puppet_server == SERVER and result.puppet_ca_server == SERVER
    assert result.fqdn == "client.example.com"
    assert (result.fqdn_hostname, result.fqdn_domain) == ("client", "example.com")
    assert result.smargs == []
    assert result.org == "Default Organization" and result.login == "admin"
    assert result.timeout == 900 and result.download_method == "https"
    assert result.root == "/" and result.log_file == "/var/log/lbenroll.log"
    assert result.warnings == [] and result.secrets == []


def test_server_is_required():
    with pytest.raises(UsageError) as error:
        parsed({"skip": ["foreman"]})
    assert "-s/--server is required" in error.value.format_message()


@pytest.mark.parametrize("values", [{}, {"skip": ["puppet"]}, {"no_puppet": True}])
def test_foreman_mode_needs_a_hostgroup(values):
    values["balancer"] = SERVER
    with pytest.raises(UsageError) as error:
        parsed(values)
    assert "-g/--hostgroup is required" in error.value.format_message()
    assert "add --skip foreman" in error.value.format_message()


@pytest.fixture
def no_password_env(monkeypatch):
    monkeypatch.delenv(options.PASSWORD_ENV, raising=False)


def foreman_mode(**values):
    values.update(balancer=SERVER, hostgroup="lab/web")
    return parsed(values)


def test_foreman_mode_password_option_wins(monkeypatch, tmp_path):
    monkeypatch.setenv(options.PASSWORD_ENV, "FromEnv99")
    path = tmp_path / "pw"
    path.write_text("FromFile77\n")
    result = foreman_mode(password="Given123", password_file=str(path))
    assert result.password == "Given123" and result.secrets == ["Given123"]


def users_home(tmp_path):
    """A directory of a user other than root (uid 1234), where links are that user's."""
    home = tmp_path / "alice"
    home.mkdir()
    os.chown(str(home), 1234, 1234)
    return home


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a directory to a user")
def test_a_password_file_in_a_users_directory_is_never_read_through_her_link(tmp_path):
    # The repair timer reads --password-file as root, again and again: the user whose
    # directory holds it must not point it at another file and have its first line sent.
    home = users_home(tmp_path)
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$hash:19000::::::\n")
    os.symlink(str(secret), str(home / "pw"))
    with pytest.raises(UsageError) as caught:
        foreman_mode(password_file=str(home / "pw"))
    assert caught.value.message.startswith("--password-file: ")
    assert "symbolic link in a directory root does not own" in caught.value.message
    assert "$6$hash" not in caught.value.message


def test_a_password_file_that_is_a_fifo_is_refused_not_waited_on(tmp_path):
    os.mkfifo(str(tmp_path / "pw"))
    with pytest.raises(UsageError) as caught:
        foreman_mode(password_file=str(tmp_path / "pw"))
    assert caught.value.message.startswith("--password-file: ")


def test_foreman_mode_password_file_before_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(options.PASSWORD_ENV, "FromEnv99")
    path = tmp_path / "pw"
    path.write_text("FromFile77\r\nignored\n")
    assert foreman_mode(password_file=str(path)).password == "FromFile77"


def test_foreman_mode_password_from_environment(monkeypatch):
    monkeypatch.setenv(options.PASSWORD_ENV, "FromEnv99")
    assert foreman_mode().secrets == ["FromEnv99"]


def test_foreman_mode_password_prompt_on_a_terminal(monkeypatch, no_password_env):
    prompts = []
    monkeypatch.setattr(credentials.sys, "stdin", type("Tty", (), {"isatty": lambda self: True})())
    monkeypatch.setattr(credentials.getpass, "getpass",
                        lambda prompt: prompts.append(prompt) or "Typed456")
    result = foreman_mode(login="api")
    assert result.password == "Typed456" and "Typed456" in result.secrets
    assert prompts == ["Foreman password for api: "]


def test_foreman_mode_without_any_password_is_refused(monkeypatch, no_password_env):
    monkeypatch.setattr(credentials.sys, "stdin", None)
    with pytest.raises(UsageError) as error:
        foreman_mode()
    assert "password is missing" in error.value.format_message()


def test_unreadable_password_file_is_refused(tmp_path, no_password_env):
    with pytest.raises(UsageError) as error:
        foreman_mode(password_file=str(tmp_path / "missing"))
    assert "--password-file: cannot read" in error.value.format_message()


def test_skipped_foreman_needs_no_password(monkeypatch, no_password_env):
    monkeypatch.setattr(credentials.sys, "stdin", None)
    assert check().password is None


@pytest.mark.parametrize("values", [{"skip": ["foreman"]}, {"no_foreman": True},
                                    {"content_only": True}])
def test_skipping_foreman_does_not_skip_puppet(values):
    values["balancer"] = SERVER
    result = parsed(values)
    assert result.skip == {"foreman"} and result.foreman_skipped


def test_deprecated_flags_fold_into_skip_with_warnings():
    result = parsed({"balancer": SERVER, "no_foreman": True, "no_puppet": True})
    assert result.skip == {"foreman", "puppet"}
    assert result.warnings == ["--skip-foreman is deprecated; use --skip foreman",
                               "-P/--skip-puppet is deprecated; use --skip puppet"]
    assert result.no_foreman is True and result.no_puppet is True  # kept as parsed


def test_no_remove_obsolete_packages_adds_skip():
    assert "remove-obsolete-packages" in check(removepkgs=False).skip
    assert "remove-obsolete-packages" not in check(removepkgs=True).skip


def test_skip_katello_agent_warns():
    result = check(skip=["foreman", "katello-agent"])
    assert len(result.warnings) == 1 and "katello-agent" in result.warnings[0]


def test_skip_value_outside_choices():
    assert "'bogus' is not a valid choice" in refusal(skip=["foreman", "bogus"])


def test_choice_outside_choices():
    assert "--download-method" in refusal(download_method="ftp")


def test_retired_option_refused_even_with_default_value():
    message = refusal(legacy_purge=False)
    assert message.startswith("--legacy-purge: the RHN Classic migration path is retired")


def test_secret_values_never_in_messages():
    for values in ({"password": "Pa55word!", "timeout": 0},
                   {"legacy_password": "Pa55word!"}):
        assert "Pa55word!" not in refusal(**values)


def test_activation_keys_are_secrets():
    assert check(activationkey="key-one,key-two").secrets == ["key-one,key-two", "key-one",
                                                              "key-two"]


@pytest.mark.parametrize("variable", ["https_proxy", "HTTP_PROXY"])
def test_a_password_in_a_proxy_setting_is_a_secret(monkeypatch, variable):
    # requests and urllib put the proxy URL into their errors ("Failed to parse: http://svc:
    # Fu11Secret@127.0.0.1:99999"), and those reach messages, --json and the log.
    monkeypatch.setenv(variable, "http://svc:Fu11Secret@webproxy.example.test:99999")
    secrets = check().secrets
    assert "Fu11Secret" in secrets and "svc:Fu11Secret" in secrets
    from lbenroll.redact import Redactor
    assert Redactor(secrets)("Failed to parse: http://svc:Fu11Secret@webproxy:99999") == \
        "Failed to parse: http://******@webproxy:99999"


def test_a_password_in_the_rex_key_file_url_is_a_secret():
    url = "https://keys:T0kenS3cret@git.example.test/ops/keys.pub"
    assert "T0kenS3cret" in check(remote_exec=True, remote_exec_url=url).secrets


def test_a_proxy_setting_without_a_password_adds_no_secret(monkeypatch):
    monkeypatch.setenv("https_proxy", "http://webproxy.example.test:3128")
    assert check().secrets == []


@pytest.mark.parametrize("smargs, secret", [
    ("--password Hunter22", "Hunter22"),
    ("--username=u --password=Hunter22", "Hunter22"),
    ("--activationkey 'two words'", "two words"),
    ("--proxypassword=Hunter22 --auto-attach", "Hunter22"),
])
def test_smargs_split_and_secrets(smargs, secret):
    result = check(smargs=smargs)
    assert secret in result.secrets
    assert result.smargs == shlex.split(smargs)


def test_smargs_that_cannot_be_split_are_refused_without_their_text():
    message = refusal(smargs="--password 'Hunter22")
    assert "-S/--subscription-manager-args" in message and "Hunter22" not in message


@pytest.mark.parametrize("port", ["0", "65536", "http", "-1", "", "81 41"])
def test_puppet_ca_port_must_be_a_port(port):
    assert "--puppet-ca-port" in refusal(puppet_ca_port=port)


@pytest.mark.parametrize("port, kept", [("8141", "8141"), ("1", "1"), ("65535", "65535"),
                                        ("08141", "8141")])
def test_puppet_ca_port_stays_a_string(port, kept):
    assert check(puppet_ca_port=port).puppet_ca_port == kept


def test_puppet_servers_given_explicitly():
    result = check(puppet_server="p.example.com", puppet_ca_server="ca.example.com")
    assert (result.puppet_server, result.puppet_ca_server) == ("p.example.com", "ca.example.com")


@pytest.mark.parametrize("dest", ["balancer", "puppet_server", "puppet_ca_server", "fqdn"])
@pytest.mark.parametrize("name", ["https://lb.example.com", "lb.example.com:443", "lb example"])
def test_host_names_only(dest, name):
    assert options.BY_DEST[dest].longs[0] in refusal(**{dest: name})


@pytest.mark.parametrize("given", [FINGERPRINT, FINGERPRINT.upper(),
                                   ":".join(FINGERPRINT[i:i + 2].upper()
                                            for i in range(0, 64, 2))])
def test_ca_fingerprint_normalised(given):
    assert check(ca_fingerprint=[given]).ca_fingerprint == [FINGERPRINT]


@pytest.mark.parametrize("given", [FINGERPRINT[:-2], FINGERPRINT + "00", "g" * 64, ""])
def test_ca_fingerprint_refused(given):
    assert "--ca-fingerprint" in refusal(ca_fingerprint=[given])


def test_root_must_be_an_existing_directory(tmp_path):
    assert check(root=str(tmp_path)).root == str(tmp_path)
    assert "--root" in refusal(root=str(tmp_path / "missing"))
    (tmp_path / "file").write_text("x")
    assert "--root" in refusal(root=str(tmp_path / "file"))


def test_relative_root_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(str(tmp_path))
    os.mkdir("sysroot")
    assert check(root="sysroot").root == str(tmp_path / "sysroot")


@pytest.mark.parametrize("timeout", ["0", "-5", "soon"])
def test_timeout_must_be_positive_whole_seconds(timeout):
    assert "--timeout" in refusal(timeout=timeout)


def test_fqdn_needs_a_domain():
    message = refusal(fqdn="client")
    assert "no domain" in message and "--fqdn" in message and "--force" in message
    assert "no domain" in refusal(fqdn="client.")


def test_fqdn_from_the_system_needs_a_domain_too(monkeypatch):
    monkeypatch.setattr(socket, "getfqdn", lambda *args: "localhost")
    assert "'localhost' has no domain part" in refusal()


@pytest.mark.parametrize("values", [{"force": True}, {"skip": ["foreman", "puppet"]},
                                    {"no_puppet": True}])
def test_fqdn_without_domain_allowed(values):
    result = check(fqdn="client", **values)
    assert (result.fqdn_hostname, result.fqdn_domain) == ("client", None)


def test_fqdn_split_at_first_dot():
    result = check(fqdn="web01.dc1.example.com")
    assert (result.fqdn_hostname, result.fqdn_domain) == ("web01", "dc1.example.com")


def test_activation_key_not_required():
    assert check().activationkey is None


PKI = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "pki")


def test_ca_file_certificates_are_read_at_validation(tmp_path):
    bundle = tmp_path / "katello-ca.pem"
    bundle.write_text(open(os.path.join(PKI, "ca.pem")).read()
                      + open(os.path.join(PKI, "other-ca.pem")).read())
    assert len(check(ca_file=str(bundle)).ca_file_pems) == 2


@pytest.mark.parametrize("text", [
    "", "not a certificate\n",
    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    None])  # None: the file does not exist
def test_a_bad_ca_file_is_a_usage_error(tmp_path, text):
    path = tmp_path / "ca.pem"
    if text is not None:
        path.write_text(text)
    assert "--ca-file" in refusal(ca_file=str(path))


def test_a_ca_file_with_more_than_certificates_is_refused(tmp_path):
    path = tmp_path / "ca.pem"
    path.write_text(open(os.path.join(PKI, "ca.pem")).read() + "\n#!/bin/sh\nrm -rf /\n")
    assert "not a file of PEM certificates" in refusal(ca_file=str(path))


def test_rotate_ca_needs_the_new_ca_pinned_or_given():
    assert "--rotate-ca" in refusal(rotate_ca=True)
    assert check(rotate_ca=True, ca_fingerprint=[FINGERPRINT]).rotate_ca


def test_comma_list_strips_drops_empties_and_keeps_the_order():
    assert options.comma_list(" b ,a,,b , ") == ["b", "a", "b"]
    assert options.comma_list(None) == [] and options.comma_list("") == []
    # Activation keys go to subscription-manager each as given, an empty one included.
    assert options.comma_list("ak-one, ,ak-two", empties=True) == ["ak-one", "", "ak-two"]


def test_each_activation_key_of_a_list_is_masked_as_subscription_manager_gets_it():
    from lbenroll.redact import Redactor
    from lbenroll.runner import Runner
    validated = options.validate({"balancer": "lb.example.com", "skip": ["foreman"],
                                  "org": "ACME", "activationkey": "ak-one, ak-two",
                                  "fqdn": "client01.example.com"})
    shown = Runner(Redactor(validated.secrets)).display(
        ["subscription-manager", "register", "--activationkey", "ak-one",
         "--activationkey", "ak-two"])
    assert "ak-one" not in shown and "ak-two" not in shown


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a directory to a user")
@pytest.mark.parametrize("owner, mode", [(1234, 0o755), (0, 0o775), (0, 0o757), (0, 0o1777)])
def test_a_root_tree_a_user_can_change_is_refused(tmp_path, owner, mode):
    # lbenroll acts below --root as root and keeps its lock, log and backups there.
    tree = tmp_path / "sysimage"
    tree.mkdir()
    os.chown(str(tree), owner, owner)
    os.chmod(str(tree), mode)
    with pytest.raises(UsageError) as caught:
        options.checked_root(str(tree))
    assert caught.value.message == (
        "--root: %s, or a directory on the way to it, can be changed by a user other than "
        "root (its owner, or others may write to it)" % tree)
    assert "chown root:root" in caught.value.fix


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a directory to a user")
def test_a_root_tree_reached_through_a_users_link_is_refused(tmp_path):
    home = users_home(tmp_path)
    tree = tmp_path / "sysimage"
    tree.mkdir()
    os.symlink(str(tree), str(home / "image"))
    os.lchown(str(home / "image"), 1234, 1234)
    with pytest.raises(UsageError):
        options.checked_root(str(home / "image"))
    assert options.checked_root(str(tree)) == str(tree)
