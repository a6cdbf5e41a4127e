"""The command line against bootstrap.py's option surface, written out here by hand."""
import socket
import sys
import types

import pytest

import lbenroll
from lbenroll import cli, hoststate
from lbenroll.errors import ProtocolError

STR, INT, FLAG, NOFLAG, CHOICE, APPEND = "str", "int", "flag", "no-flag", "choice", "append"
SKIP_VALUES = ("foreman", "puppet", "migration", "prereq-update", "katello-agent",
               "remove-obsolete-packages", "puppet-enable", "katello-host-tools")
GPG_KEY = "file:///etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release"

# bootstrap.py 1.7.9's 51 options: (short, long, dest, kind, default, choices).
# The dest is bootstrap.py's; lbenroll names the one value it renames in the domain's word.
LBENROLL_NAMES = {"foreman_fqdn": "balancer"}
# store_true defaults are None or False in bootstrap.py; lbenroll uses False for all of them.
REFERENCE = (
    ("-s", "--server", "foreman_fqdn", STR, None, None),
    ("-l", "--login", "login", STR, "admin", None),
    ("-p", "--password", "password", STR, None, None),
    (None, "--fqdn", "fqdn", STR, "client.example.com", None),  # socket.getfqdn(), patched
    (None, "--ip", "ip", STR, None, None),
    ("-t", "--timeout", "timeout", INT, 900, None),
    ("-v", "--verbose", "verbose", FLAG, False, None),
    ("-o", "--organization", "org", STR, "Default Organization", None),
    ("-L", "--location", "location", STR, None, None),
    ("-g", "--hostgroup", "hostgroup", STR, None, None),
    ("-O", "--operatingsystem", "operatingsystem", STR, None, None),
    (None, "--partitiontable", "partitiontable", STR, None, None),
    ("-c", "--comment", "comment", STR, None, None),
    (None, "--add-domain", "add_domain", FLAG, False, None),
    (None, "--unmanaged", "unmanaged", FLAG, False, None),
    (None, "--force-content-source", "force_content_source", FLAG, False, None),
    (None, "--skip-foreman", "no_foreman", FLAG, False, None),
    (None, "--content-only", "content_only", FLAG, False, None),
    ("-a", "--activationkey", "activationkey", STR, None, None),
    ("-r", "--release", "release", STR, None, None),
    ("-S", "--subscription-manager-args", "smargs", STR, "", None),
    (None, "--rhn-migrate-args", "rhsmargs", STR, "", None),
    ("-f", "--force", "force", FLAG, False, None),
    (None, "--ignore-registration-failures", "ignore_registration_failures", FLAG, False, None),
    (None, "--preserve-rhsm-proxy", "preserve_rhsm_proxy", FLAG, False, None),
    (None, "--enablerepos", "enablerepos", STR, None, None),
    (None, "--download-method", "download_method", CHOICE, "https", ("http", "https")),
    (None, "--legacy-login", "legacy_login", STR, "admin", None),
    (None, "--legacy-password", "legacy_password", STR, None, None),
    (None, "--legacy-purge", "legacy_purge", FLAG, False, None),
    (None, "--puppet-server", "puppet_server", STR, "lb.example.com", None),  # --server
    (None, "--puppet-ca-server", "puppet_ca_server", STR, "lb.example.com", None),  # --server
    (None, "--puppet-ca-port", "puppet_ca_port", STR, None, None),
    (None, "--puppet-noop", "puppet_noop", FLAG, False, None),
    ("-P", "--skip-puppet", "no_puppet", FLAG, False, None),
    (None, "--rex", "remote_exec", FLAG, False, None),
    (None, "--rex-user", "remote_exec_user", STR, "root", None),
    (None, "--rex-proxies", "remote_exec_proxies", STR, None, None),
    (None, "--rex-urlkeyfile", "remote_exec_url", STR, None, None),
    (None, "--rex-apikeys", "remote_exec_apikeys", FLAG, False, None),
    (None, "--rex-authpath", "remote_exec_authpath", STR, None, None),
    (None, "--skip", "skip", APPEND, [], SKIP_VALUES),
    ("-u", "--update", "update", FLAG, False, None),
    (None, "--install-packages", "install_packages", STR, None, None),
    (None, "--install-katello-agent", "install_katello_agent", FLAG, False, None),
    ("-R", "--remove-obsolete-packages", "removepkgs", FLAG, True, None),
    (None, "--no-remove-obsolete-packages", "removepkgs", NOFLAG, True, None),
    (None, "--deps-repository-url", "deps_repository_url", STR, None, None),
    (None, "--deps-repository-gpg-key", "deps_repository_gpg_key", STR, GPG_KEY, None),
    (None, "--remove", "remove", FLAG, False, None),
    (None, "--new-capsule", "new_capsule", FLAG, False, None),
)

# What this version does with each option, from the brief (long names): everything is
# supported but the retired RHN Classic migration options and the deprecated spellings.
RETIRED = {"--legacy-login", "--legacy-password", "--legacy-purge", "--rhn-migrate-args"}
DEPRECATED = {"--skip-foreman": "foreman", "--skip-puppet": "puppet"}
SUPPORTED = set(row[1] for row in REFERENCE) - RETIRED - set(DEPRECATED)

LBENROLL_OWN = ("--password-file", "--dry-run", "--json", "--root", "--ca-fingerprint",
                "--log-file", "--version", "--help", "-h")
GROUP_TITLES = ("Server, credentials, identity", "Foreman host record", "Registration", "Puppet",
                "Remote execution", "Packages, steps, modes")

SERVER = "lb.example.com"
BASE = ["-s", SERVER, "--skip", "foreman"]
KEY = "AK-Sup3rSecretKey"
# A value for each supported string option that passes validation, and what Options holds.
SAMPLES = {"--puppet-ca-port": ("8141", "8141"), "--timeout": ("30", 30),
           "--subscription-manager-args": ("--auto-attach --name 'a b'",
                                           ["--auto-attach", "--name", "a b"])}


def spellings(row):
    return [name for name in (row[0], row[1]) if name]


def rows(names):
    return [row for row in REFERENCE if row[1] in names]


def row_ids(row):
    return row[1]


@pytest.fixture(autouse=True)
def fqdn(monkeypatch):
    monkeypatch.setattr(socket, "getfqdn", lambda *args: "client.example.com")


@pytest.fixture(autouse=True)
def host_state(monkeypatch):
    """The managed host as cli sees it: registered, not enrolled by lbenroll (set .registered
    or .record to try another state). Parsing tests then need no activation key or -g."""
    state = hoststate.HostState("/", None, True)
    monkeypatch.setattr(hoststate, "read", lambda root: state)
    return state


@pytest.fixture
def app(monkeypatch):
    """A stand-in for lbenroll.app whose run() records the Options it gets."""
    fake = types.ModuleType("lbenroll.app")
    fake.calls = []
    fake.exit_code = 0
    fake.error = None

    def run(options):
        fake.calls.append(options)
        if fake.error is not None:
            raise fake.error
        return fake.exit_code

    fake.run = run
    monkeypatch.setitem(sys.modules, "lbenroll.app", fake)
    monkeypatch.setattr(lbenroll, "app", fake, raising=False)
    return fake


def invoke(capsys, *args):
    """Run the console entry point; return (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def parsed(app, capsys, *args):
    code, out, err = invoke(capsys, *args)
    assert code == 0, err
    assert len(app.calls) == 1
    return app.calls[0], err


def refused(app, capsys, *args):
    """Run with an activation key; expect exit 2, no engine run, no key and no traceback."""
    code, out, err = invoke(capsys, "-a", KEY, *args)
    assert code == 2
    assert app.calls == []
    assert KEY not in out + err
    assert "Traceback" not in out + err
    return err


def test_reference_table_is_complete():
    assert len(REFERENCE) == 51
    assert len(SUPPORTED) == 45


@pytest.mark.parametrize("row", REFERENCE, ids=row_ids)
def test_default(app, capsys, row):
    options, _ = parsed(app, capsys, *BASE)
    dest, default = LBENROLL_NAMES.get(row[2], row[2]), row[4]
    value = getattr(options, dest)
    if dest == "balancer":
        assert value == SERVER  # required, so given in BASE
    elif dest == "skip":
        assert value == {"foreman"}  # from BASE
    elif dest == "smargs":
        assert value == []  # "" split into words
    else:
        assert value == default
        assert type(value) is type(default)


@pytest.mark.parametrize("row", rows(SUPPORTED), ids=row_ids)
def test_supported_option_parses(app, capsys, row):
    _, long, dest, kind = row[:4]
    dest = LBENROLL_NAMES.get(dest, dest)
    for name in spellings(row):
        app.calls[:] = []
        if kind == FLAG:
            options, _ = parsed(app, capsys, *BASE + [name])
            assert getattr(options, dest) is True
        elif kind == NOFLAG:
            options, _ = parsed(app, capsys, *BASE + [name])
            assert options.removepkgs is False
            assert "remove-obsolete-packages" in options.skip
        elif kind == CHOICE:
            for choice in row[5]:
                app.calls[:] = []
                options, _ = parsed(app, capsys, *BASE + [name, choice])
                assert getattr(options, dest) == choice
        elif kind == APPEND:
            continue  # test_skip_values
        else:
            given, expected = SAMPLES.get(long, ("sample.example.com", "sample.example.com"))
            options, _ = parsed(app, capsys, *BASE + [name, given])
            assert getattr(options, dest) == expected


@pytest.mark.parametrize("value", SKIP_VALUES)
def test_skip_values(app, capsys, value):
    options, _ = parsed(app, capsys, "-s", SERVER, "--skip", "foreman", "--skip", value)
    assert options.skip == {"foreman", value}


def test_skip_repeated(app, capsys):
    args = ["-s", SERVER]
    for value in SKIP_VALUES:
        args += ["--skip", value]
    options, _ = parsed(app, capsys, *args)
    assert options.skip == set(SKIP_VALUES)


def test_skip_migration_is_accepted_silently(app, capsys):
    _, err = parsed(app, capsys, *BASE + ["--skip", "migration"])
    assert err == ""


def test_skip_katello_agent_only_warns(app, capsys):
    options, err = parsed(app, capsys, *BASE + ["--skip", "katello-agent"])
    assert "lbenroll: warning: --skip katello-agent is deprecated" in err
    assert options.skip == {"foreman", "katello-agent"}


@pytest.mark.parametrize("args", [["--skip", "nonsense"], ["--download-method", "ftp"],
                                  ["-t", "soon"], ["--timeout", "1.5"], ["--no-such-option"]])
def test_parser_errors_exit_2(app, capsys, args):
    err = refused(app, capsys, *BASE + args)
    assert args[0] in err


@pytest.mark.parametrize("row", rows(DEPRECATED), ids=row_ids)
def test_deprecated_spelling_maps_with_warning(app, capsys, row):
    for name in spellings(row):
        app.calls[:] = []
        options, err = parsed(app, capsys, "-s", SERVER, "--skip", "foreman", name)
        replacement = DEPRECATED[row[1]]
        assert replacement in options.skip
        assert "lbenroll: warning: " in err and "--skip %s" % replacement in err


def test_skip_foreman_alone_selects_content_only_mode(app, capsys):
    options, err = parsed(app, capsys, "-s", SERVER, "--skip-foreman")
    assert options.foreman_skipped
    assert "puppet" not in options.skip  # deliberately unlike bootstrap.py
    assert "--skip foreman" in err


def test_content_only_selects_content_only_mode_without_warning(app, capsys):
    options, err = parsed(app, capsys, "-s", SERVER, "--content-only")
    assert options.skip == {"foreman"} and options.foreman_skipped
    assert err == ""


@pytest.mark.parametrize("row", rows(RETIRED), ids=row_ids)
def test_retired_option_is_refused(app, capsys, row):
    value = [] if row[3] == FLAG else ["sample"]
    err = refused(app, capsys, *BASE + [row[1]] + value)
    assert "the RHN Classic migration path is retired and not supported" in err
    assert row[1] in err


FOREMAN = ["-s", SERVER, "-g", "lab/web"]


@pytest.fixture
def no_password_env(monkeypatch):
    monkeypatch.delenv("LBENROLL_PASSWORD", raising=False)


def test_foreman_mode_takes_the_password_as_a_secret(app, capsys, no_password_env):
    options, _ = parsed(app, capsys, *FOREMAN + ["-l", "api", "-p", "Pa55word!"])
    assert not options.foreman_skipped and options.login == "api"
    assert options.password == "Pa55word!" and "Pa55word!" in options.secrets


def test_foreman_mode_password_from_the_environment(app, capsys, monkeypatch):
    monkeypatch.setenv("LBENROLL_PASSWORD", "FromEnv99")
    options, _ = parsed(app, capsys, *FOREMAN)
    assert options.password == "FromEnv99" and "FromEnv99" in options.secrets


def test_foreman_mode_password_file_first_line(app, capsys, tmp_path, no_password_env):
    path = tmp_path / "pw"
    path.write_text("FromFile77\nsecond line\n")
    options, _ = parsed(app, capsys, *FOREMAN + ["--password-file", str(path)])
    assert options.password == "FromFile77" and "FromFile77" in options.secrets


def test_foreman_mode_without_password_or_terminal_is_refused(app, capsys, no_password_env):
    err = refused(app, capsys, *FOREMAN)
    assert "password is missing" in err and "LBENROLL_PASSWORD" in err


def test_password_value_never_shown(app, capsys, no_password_env):
    err = refused(app, capsys, *FOREMAN + ["-p", "Pa55word!", "-t", "0"])
    assert "--timeout" in err and "Pa55word!" not in err


@pytest.mark.parametrize("args, words", [
    ([], ["--server", "required"]),
    (BASE + ["--fqdn", "client"], ["no domain", "--fqdn"]),
    (BASE + ["--puppet-ca-port", "http"], ["--puppet-ca-port"]),
    (BASE + ["--puppet-ca-port", "70000"], ["--puppet-ca-port"]),
    (BASE + ["--ca-fingerprint", "AB:CD"], ["--ca-fingerprint"]),
    (BASE + ["--root", "/nonexistent/root"], ["--root"]),
    (BASE + ["-t", "0"], ["--timeout"]),
    (["-s", "https://lb.example.com/", "--skip", "foreman"], ["--server"]),
    (BASE + ["-S", "--password 'unbalanced"], ["--subscription-manager-args"]),
])
def test_validation_errors_exit_2(app, capsys, args, words):
    err = refused(app, capsys, *args)
    assert err.startswith("lbenroll: error: ")
    for word in words:
        assert word in err


def test_a_fresh_host_without_hostgroup_is_told_everything_missing_at_once(
        app, capsys, host_state):
    host_state.registered = False
    code, out, err = invoke(capsys, "-s", SERVER)
    assert code == 2 and app.calls == []
    assert ("lbenroll: error: -g HOSTGROUP (or --skip foreman) and -a KEY are needed to "
            "register this host") in err
    assert "fix: add -g HOSTGROUP (or --skip foreman) -a KEY" in err


def test_a_fresh_host_content_only_needs_the_key_and_the_organization_label(
        app, capsys, host_state):
    host_state.registered = False
    code, out, err = invoke(capsys, "-s", SERVER, "--skip", "foreman")
    assert code == 2 and app.calls == []
    assert "-a KEY and -o ORG_LABEL are needed to register this host" in err
    options, _ = parsed(app, capsys, "-s", SERVER, "--skip", "foreman", "-o", "ACME", "-a", KEY)
    assert options.activationkey == KEY


def test_a_registered_host_without_hostgroup_is_adopted_content_only(app, capsys):
    options, err = parsed(app, capsys, "-s", SERVER)
    assert options.foreman_skipped and "foreman" not in options.skip  # nobody typed it
    assert options.foreman_left_alone == "no -g"
    assert "lbenroll: note: no -g/--hostgroup: the Foreman host record is left as it is" in err


def test_activation_key_is_not_required_at_parse_time(app, capsys):
    options, _ = parsed(app, capsys, *BASE)
    assert options.activationkey is None


@pytest.mark.parametrize("extra", [["--force"], ["--skip", "puppet"], ["-P"]])
def test_fqdn_without_domain_allowed_with_force_or_skip_puppet(app, capsys, extra):
    options, _ = parsed(app, capsys, *BASE + ["--fqdn", "client"] + extra)
    assert options.fqdn_hostname == "client" and options.fqdn_domain is None


def test_secrets_are_registered(app, capsys):
    options, _ = parsed(app, capsys, *BASE + ["-a", KEY, "-S", "--password=Hunter22"])
    assert KEY in options.secrets and "Hunter22" in options.secrets


def test_version(app, capsys):
    code, out, _ = invoke(capsys, "--version")
    assert code == 0
    assert out == "lbenroll %s\n" % lbenroll.__version__
    assert app.calls == []


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_lists_every_option_grouped_with_exit_codes(app, capsys, flag):
    code, out, _ = invoke(capsys, flag)
    assert code == 0 and app.calls == []
    for row in REFERENCE:
        for name in spellings(row):
            assert name in out
    for name in LBENROLL_OWN:
        assert name in out
    positions = [out.index(title + ":") for title in GROUP_TITLES]
    assert positions == sorted(positions)
    assert "Exit status:" in out
    for line in ("2   invalid options", "70  internal error", "77  not running as root"):
        assert line in out


def test_app_exit_code_is_the_exit_code(app, capsys):
    app.exit_code = 3
    code, _, _ = invoke(capsys, *BASE)
    assert code == 3


def test_expected_error_from_app_is_rendered_masked(app, capsys):
    app.error = ProtocolError("server refused key %s" % KEY, fix="check the key")
    code, out, err = invoke(capsys, *BASE + ["-a", KEY])
    assert code == 76
    assert err == "lbenroll: error: server refused key ******\n  fix: check the key\n"


def test_bug_in_app_exits_70_masked(app, capsys):
    app.error = RuntimeError("oops with %s" % KEY)
    code, out, err = invoke(capsys, *BASE + ["-a", KEY])
    assert code == 70
    assert KEY not in out + err
    assert "lbenroll: error: internal error" in err


def test_lbenroll_options_reach_app(app, capsys, tmp_path):
    fingerprint = ":".join(["Ab"] * 32)
    options, _ = parsed(app, capsys, *BASE + ["--dry-run", "--json", "--root", str(tmp_path),
                                              "--ca-fingerprint", fingerprint,
                                              "--log-file", str(tmp_path / "l.log")])
    assert options.dry_run is True and options.json is True
    assert options.root == str(tmp_path)
    assert options.ca_fingerprint == ["ab" * 32]
    assert options.log_file == str(tmp_path / "l.log")


def test_lbenroll_option_defaults(app, capsys):
    options, _ = parsed(app, capsys, *BASE)
    assert (options.dry_run, options.json, options.root) == (False, False, "/")
    assert options.ca_fingerprint == []
    assert options.log_file == "/var/log/lbenroll.log"
    assert options.warnings == [] and options.secrets == []


def test_subcommand_dispatch(monkeypatch):
    import click as click_module
    from lbenroll import cli as cli_module
    seen = []

    @click_module.command(help="A test subcommand.")
    @click_module.option("--server")
    def hello(server):
        seen.append(server)

    monkeypatch.setitem(cli_module.SUBCOMMANDS, "hello", lambda: hello)
    with pytest.raises(SystemExit) as exc:
        cli_module.main(["hello", "--server", "lb.example.test"])
    assert exc.value.code == 0 and seen == ["lb.example.test"]
    from click.testing import CliRunner
    help_text = CliRunner().invoke(cli_module.command, ["--help"]).output
    assert "lbenroll hello" in help_text and "A test subcommand." in help_text


def test_root_is_checked_once_and_the_state_read_under_the_root_given(app, capsys, tmp_path,
                                                                      monkeypatch):
    from lbenroll import options
    checked, read_under = [], []
    real = options.checked_root
    monkeypatch.setattr(options, "checked_root", lambda root: checked.append(root) or real(root))
    monkeypatch.setattr(hoststate, "read", lambda root: read_under.append(root) or
                        hoststate.HostState(root, None, True))
    parsed(app, capsys, *BASE + ["--root", str(tmp_path)])
    assert checked == read_under == [str(tmp_path)]
    # A --root that is no directory: the host under it is read as it is (nothing there), never
    # the host under /, and the one check refuses it.
    code, _, err = invoke(capsys, *BASE + ["--root", "/no/such/dir"])
    assert code == 2 and "--root: /no/such/dir is not an existing directory" in err
    assert read_under[1:] == checked[1:] == ["/no/such/dir"] and len(app.calls) == 1
