"""PREFLIGHT: a Katello server, an unresolvable balancer, a missing activation key or a repair
that lost its identity stop the run before anything changes, and so does a file lbenroll edits
that its owner cannot parse (the message names the file, the line and the fix)."""
import socket

import pytest

from lbenroll import engine
from lbenroll.errors import ConfigError, ExitCode, LbenrollError
from lbenroll.results import Status
from lbenroll.steps.preflight import Preflight, check_parsable
from tests.conftest import rpm_answer, rpm_qa
from tests.steps.conftest import repair_run, rhsm_conf, seed_host

RHSM_CONF = "/etc/rhsm/rhsm.conf"
PUPPET_CONF = "/etc/puppetlabs/puppet/puppet.conf"
OS_RELEASE = ('ID="rhel"\nVERSION_ID="9.4"\nNAME="Red Hat Enterprise Linux"\n'
              'PRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"\n')
PUPPET = "[main]\nvardir = /opt/puppetlabs/puppet/cache\n\n[agent]\nserver = proxy02.example.test\n"


@pytest.fixture
def host(root, fake_runner, resolvable):
    """A RHEL host that resolves the balancer and has no Katello server packages."""
    fake_runner.expect(rpm_qa(root), 0, "")
    seed_host(root, {"/etc/os-release": OS_RELEASE, RHSM_CONF: rhsm_conf(),
                     PUPPET_CONF: PUPPET, "/etc/pki/consumer/cert.pem": "cert"})
    return root


def refusal(run):
    with pytest.raises(ConfigError) as error:
        Preflight().run(run)
    return error.value


def test_parsable_files_pass(make_run, host):
    assert Preflight().run(make_run()).status == Status.UNCHANGED


def test_a_malformed_rhsm_conf_stops_the_run(make_run, host):
    broken = rhsm_conf().replace("port = 443\n", "port = 443\n<<<<<<< ours\n")
    seed_host(host, {RHSM_CONF: broken})
    error = refusal(make_run())
    assert error.exit_code == ExitCode.CONFIG == 78
    assert error.step == "PREFLIGHT"
    line = broken.splitlines().index("<<<<<<< ours") + 1
    assert error.message == (
        "%s line %d cannot be parsed by subscription-manager: '<<<<<<< ours'; nothing was "
        "changed" % (RHSM_CONF, line))
    assert "correct or remove that line" in error.fix
    assert "[section] header" in error.fix


def test_a_key_before_the_first_section_of_rhsm_conf_stops_the_run(make_run, host):
    seed_host(host, {RHSM_CONF: "hostname = lb\n" + rhsm_conf()})
    error = refusal(make_run())
    assert error.message.startswith("%s line 1 cannot be parsed" % RHSM_CONF)


def test_further_bad_lines_are_counted_and_a_long_line_is_shortened(make_run, host):
    long_line = "x" * 200
    seed_host(host, {RHSM_CONF: rhsm_conf() + long_line + "\nbad\nworse\n"})
    error = refusal(make_run())
    assert "x" * 80 + "'" in error.message and "x" * 81 not in error.message
    assert "(and 2 more)" in error.message


def test_the_engine_reports_it_as_a_failed_preflight_without_a_rollback(make_run, host):
    seed_host(host, {RHSM_CONF: rhsm_conf() + "oops\n"})
    results = engine.execute(make_run(), [Preflight])
    assert [(r.id, r.status) for r in results] == [("PREFLIGHT", Status.FAILED)]
    assert results[0].remediation.startswith("correct or remove that line")
    assert engine.exit_code(results) == ExitCode.CONFIG


def test_a_malformed_puppet_conf_stops_the_run(make_run, host):
    seed_host(host, {PUPPET_CONF: PUPPET + "server lb.example.test\n"})
    error = refusal(make_run())
    assert error.message.startswith(
        "%s line 6 cannot be parsed by the Puppet agent: 'server lb.example.test'" % PUPPET_CONF)
    assert error.exit_code == ExitCode.CONFIG


def test_a_malformed_puppet_conf_is_left_alone_with_skip_puppet(make_run, host):
    seed_host(host, {PUPPET_CONF: PUPPET + "server lb.example.test\n"})
    assert Preflight().run(make_run(skip=["foreman", "puppet"])).status == Status.UNCHANGED


def test_puppet_rules_are_puppets(make_run, host, ctx):
    # Settings before the first section are [main]'s; an indented line is a key of its own.
    seed_host(host, {PUPPET_CONF: "server = lb.example.test\n[agent]\n    noop = true\n"})
    check_parsable(ctx, make_run().options)
    # An indented line without a key is no continuation for Puppet.
    seed_host(host, {PUPPET_CONF: "[agent]\nserver = lb.example.test\n    more\n"})
    with pytest.raises(ConfigError) as error:
        check_parsable(ctx, make_run().options)
    assert "line 3" in error.value.message


def test_rhsm_conf_is_checked_even_with_skip_puppet(make_run, host, ctx):
    seed_host(host, {RHSM_CONF: "junk\n" + rhsm_conf()})
    with pytest.raises(ConfigError) as error:
        check_parsable(ctx, make_run(skip=["foreman", "puppet"]).options)
    assert RHSM_CONF in error.value.message


def test_missing_files_are_no_error(make_run, root, ctx):
    check_parsable(ctx, make_run().options)  # neither file exists: nothing to refuse


def test_a_continued_rhsm_value_is_fine(make_run, host, ctx):
    seed_host(host, {RHSM_CONF: rhsm_conf() + "no_proxy = a.example.test,\n    b.example.test\n"})
    check_parsable(ctx, make_run().options)


# -- the host, the balancer's name, the activation key ------------------------------------------

def _preflight_runner(fake_runner, root, installed=""):
    fake_runner.expect(rpm_qa(root), 0, installed)


def test_preflight_passes_on_a_rhel_host(make_run, fake_runner, root, resolvable):
    seed_host(root, {"/etc/os-release": 'ID="rhel"\nVERSION_ID="9.4"\n'
                                        'NAME="Red Hat Enterprise Linux"\n'
                                        'PRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"\n'})
    _preflight_runner(fake_runner, root)
    result = Preflight().run(make_run())
    assert result.status == Status.UNCHANGED
    assert "127.0.1.10" in result.detail[0]


def test_preflight_refuses_a_katello_server(make_run, fake_runner, root, resolvable):
    _preflight_runner(fake_runner, root, rpm_answer("foreman-proxy-content"))
    with pytest.raises(LbenrollError) as exc:
        Preflight().run(make_run())
    assert "foreman-proxy-content" in exc.value.message


def test_preflight_needs_a_key_on_an_unregistered_host(make_run, fake_runner, root, resolvable):
    _preflight_runner(fake_runner, root)
    with pytest.raises(LbenrollError) as exc:
        Preflight().run(make_run(activationkey=None))
    assert exc.value.exit_code == ExitCode.USAGE and "activation key" in exc.value.message


def test_preflight_repair_run_needs_no_key(make_run, fake_runner, root, resolvable):
    seed_host(root, {"/etc/pki/consumer/cert.pem": "cert"})
    _preflight_runner(fake_runner, root)
    assert Preflight().run(make_run(activationkey=None)).status == Status.WARNING  # no os-release


def test_preflight_unresolvable_balancer(make_run, fake_runner, root, monkeypatch):
    def fail(*a, **k):
        raise socket.gaierror(-2, "Name or service not known")
    monkeypatch.setattr(socket, "getaddrinfo", fail)
    _preflight_runner(fake_runner, root)
    with pytest.raises(LbenrollError) as exc:
        Preflight().run(make_run())
    assert exc.value.exit_code == ExitCode.UNAVAILABLE
    assert "does not resolve" in exc.value.message and exc.value.fix


def test_preflight_registers_the_rhsm_proxy_password_as_a_secret(make_run, fake_runner, root,
                                                                  resolvable):
    seed_host(root, {"/etc/rhsm/rhsm.conf": "[server]\nproxy_hostname = squid\n"
                                            "proxy_password = hunter2-pw\n"})
    _preflight_runner(fake_runner, root)
    run = make_run()
    Preflight().run(run)
    assert run.ctx.redact("proxy_password = hunter2-pw") == "proxy_password = ******"


# -- a repair run -------------------------------------------------------------------------------

def test_repair_with_lost_identity_says_to_re_enroll_with_a_key(make_run, fake_runner, root,
                                                               resolvable):
    fake_runner.expect(rpm_qa(root), 0, "")
    with pytest.raises(LbenrollError) as exc:
        Preflight().run(repair_run(make_run))
    assert exc.value.exit_code == ExitCode.USAGE
    assert exc.value.message.startswith("identity lost:")
    assert exc.value.fix.startswith("re-enroll with -a KEY")
    assert "/etc/lbenroll/lbenroll.conf" in exc.value.fix


def test_repair_of_a_registered_host_passes_preflight(make_run, fake_runner, root, resolvable):
    seed_host(root, {"/etc/pki/consumer/cert.pem": "cert"})
    fake_runner.expect(rpm_qa(root), 0, "")
    assert Preflight().run(repair_run(make_run)).status == Status.WARNING  # no os-release
