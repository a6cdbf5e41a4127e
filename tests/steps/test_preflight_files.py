"""PREFLIGHT refuses a run when a file lbenroll edits cannot be parsed by its owner: nothing has
changed yet, and the message names the file, the line and the fix."""
import socket

import pytest

from lbenroll import engine
from lbenroll.errors import ConfigError, ExitCode
from lbenroll.results import Status
from lbenroll.steps.preflight import Preflight, check_parsable
from tests.conftest import rpm_qa
from tests.steps.conftest import rhsm_conf, seed_host

RHSM_CONF = "/etc/rhsm/rhsm.conf"
PUPPET_CONF = "/etc/puppetlabs/puppet/puppet.conf"
OS_RELEASE = ('ID="rhel"\nVERSION_ID="9.4"\nNAME="Red Hat Enterprise Linux"\n'
              'PRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"\n')
PUPPET = "[main]\nvardir = /opt/puppetlabs/puppet/cache\n\n[agent]\nserver = proxy02.example.test\n"


@pytest.fixture
def host(root, fake_runner, monkeypatch):
    """A RHEL host that resolves the balancer and has no Katello server packages."""
    monkeypatch.setattr(socket, "getaddrinfo",
                        lambda *a, **k: [(2, 1, 6, "", ("127.0.1.10", 0))])
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
