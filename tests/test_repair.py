"""`lbenroll repair`: the recorded options, checked like a command line, run like an enrollment."""
import pytest
from click.testing import CliRunner

from lbenroll import app, cli, repair
from lbenroll.errors import ExitCode
from tests.conftest import seed

CONF = "/etc/lbenroll/lbenroll.conf"
RECORDED = """\
# Managed by lbenroll
server = smartproxy.example.test
fqdn = client01.example.test
puppet-ca-port = 8141
skip = foreman
"""


@pytest.fixture
def runs(monkeypatch):
    """The options app.run() was called with; it answers exit 0."""
    calls = []

    def fake_run(options):
        calls.append(options)
        return 0
    monkeypatch.setattr(app, "run", fake_run)
    return calls


def invoke(*args):
    return CliRunner().invoke(repair.command, list(args))


def test_recorded_options_are_run_with_this_runs_own(root, runs):
    seed(root, {CONF: RECORDED})
    result = invoke("--root", str(root), "--json", "--dry-run", "-v")
    assert result.exit_code == 0, result.output
    [options] = runs
    assert options.recorded_in == str(root / CONF.lstrip("/"))
    assert (options.balancer, options.fqdn, options.puppet_ca_port) == (
        "smartproxy.example.test", "client01.example.test", "8141")
    assert options.skip == {"foreman", "prereq-update", "katello-host-tools"}
    assert options.activationkey is None
    assert options.root == str(root) and options.json and options.dry_run and options.verbose
    assert options.log_file == "/var/log/lbenroll.log"  # app.run puts the default under --root


def test_config_option_is_read_as_given_and_the_exit_code_is_the_runs(root, tmp_path, runs,
                                                                      monkeypatch):
    path = tmp_path / "elsewhere.conf"
    path.write_text(RECORDED)
    monkeypatch.setattr(app, "run", lambda options: runs.append(options) or ExitCode.WARNINGS)
    result = invoke("--root", str(root), "--config", str(path), "--log-file", "/tmp/r.log")
    assert result.exit_code == 3
    assert runs[0].recorded_in == str(path) and runs[0].log_file == "/tmp/r.log"


def test_not_enrolled_is_a_usage_error_saying_to_enroll_first(root, runs):
    result = invoke("--root", str(root))
    assert result.exit_code == ExitCode.USAGE
    assert "%s/etc/lbenroll/lbenroll.conf does not exist" % root in result.output
    assert "fix: enroll first" in result.output
    assert runs == []


@pytest.mark.parametrize("line,message", [
    ("puppet-ca-port = 99999", "lbenroll.conf: --puppet-ca-port: '99999' is not a port number"),
    ("activationkey = ak-lab", "'activationkey' is not an option lbenroll records"),
    ("fqdn = nodomain", "lbenroll.conf: the host name 'nodomain' has no domain part"),
    ("download-method = ftp", "lbenroll.conf: --download-method: 'ftp' is not a valid choice"),
])
def test_hand_edits_get_the_command_lines_checks(root, runs, line, message):
    key = line.split(" = ")[0]
    kept = [row for row in RECORDED.splitlines() if not row.startswith(key + " ")]
    seed(root, {CONF: "\n".join(kept + [line]) + "\n"})
    result = invoke("--root", str(root))
    assert result.exit_code == ExitCode.USAGE
    assert message in result.output and runs == []


def test_missing_root_is_refused_before_looking_for_the_file(tmp_path, runs):
    result = invoke("--root", str(tmp_path / "nope"))
    assert result.exit_code == ExitCode.USAGE
    assert "--root: %s is not an existing directory" % (tmp_path / "nope") in result.output


def test_lbenroll_repair_dispatches_here(root, runs):
    seed(root, {CONF: RECORDED})
    with pytest.raises(SystemExit) as exc:
        cli.main(["repair", "--root", str(root)])
    assert exc.value.code == 0 and runs[0].recorded_in


def test_a_foreman_mode_enrollment_is_repaired_without_a_password(root, runs, monkeypatch):
    monkeypatch.delenv("LBENROLL_PASSWORD", raising=False)
    seed(root, {CONF: "server = smartproxy.example.test\nfqdn = client01.example.test\n"
                      "hostgroup = lab/web\nlogin = admin\n"})
    result = invoke("--root", str(root))
    assert result.exit_code == 0, result.output
    [options] = runs
    assert {"foreman", "prereq-update", "katello-host-tools"} <= options.skip


def test_rex_keys_from_the_api_are_repaired_from_the_balancer_without_a_password(
        root, runs, monkeypatch):
    monkeypatch.delenv("LBENROLL_PASSWORD", raising=False)
    seed(root, {CONF: RECORDED + "rex = true\nrex-apikeys = true\nlogin = admin\n"})
    result = invoke("--root", str(root))
    assert result.exit_code == 0, result.output
    [options] = runs
    assert options.remote_exec and not options.remote_exec_apikeys


def test_root_and_privileges_are_checked_once_on_a_repair(root, runs, monkeypatch):
    from lbenroll import options
    seed(root, {CONF: RECORDED})
    checked, privileges = [], []
    real = options.checked_root
    monkeypatch.setattr(options, "checked_root", lambda path: checked.append(path) or real(path))
    monkeypatch.setattr(app, "refuse_unprivileged", lambda *args: privileges.append(args))
    assert invoke("--root", str(root)).exit_code == 0
    assert checked == [str(root)] and privileges == [(str(root), None)]
    # No record under a --root that is no directory: the root's own message, checked once.
    del checked[:]
    result = invoke("--root", str(root / "nope"))
    assert result.exit_code == ExitCode.USAGE and checked == [str(root / "nope")]
    assert "is not an existing directory" in result.output and len(runs) == 1
