"""diagnose --host-only: this host's files against the balancer, without a connection; the
fleet audit's check (packaging/ansible/audit.yml) and its --json shape (README.md)."""
import json

import pytest
from click.testing import CliRunner

from lbenroll.context import Context
from lbenroll.diagnose import cli, diagnosis, hostonly
from tests.conftest import seed
from tests.diagnose.test_hostconf import LB, enrolled

PROXY = "proxy02.example.test"
GOFER = "/etc/gofer/plugins/katello.conf"
YGGDRASIL = "/etc/yggdrasil/config.toml"
PUPPET = "/etc/puppetlabs/puppet/puppet.conf"
TOP_KEYS = {"version", "host", "balancer", "clean", "pinned", "counts", "exit_code", "results"}


@pytest.fixture(autouse=True)
def no_diagnosis(monkeypatch):
    """--host-only never starts the networked diagnosis."""
    def run(settings, ctx):
        raise AssertionError("diagnosis.run called")
    monkeypatch.setattr(diagnosis, "run", run)


def invoke(root, *args):
    return CliRunner().invoke(cli.command, ["--host-only", "--server", LB, "--root", str(root)]
                              + list(args), env={})


def test_every_setting_that_names_another_host_is_listed_with_its_file_and_key(root):
    facts = enrolled(root, rhsm_host=PROXY, repo_host=PROXY, **{
        PUPPET: "[main]\nserver = %s\n[agent]\nca_server = %s\nca_port = 8141\n" % (PROXY, LB),
        GOFER: "[messaging]\nurl = proxy+amqps://proxy03.example.test:5647\n",
        YGGDRASIL: 'broker = ["mqtts://%s:1883", "mqtts://%s:1883"]\n' % (LB, PROXY)})
    assert hostonly.pinned(facts, LB) == [
        {"file": "/etc/rhsm/rhsm.conf", "key": "server.hostname", "names": PROXY,
         "repositories": []},
        {"file": "/etc/rhsm/rhsm.conf", "key": "rhsm.baseurl", "names": PROXY,
         "repositories": []},
        {"file": "/etc/yum.repos.d/redhat.repo", "key": "baseurl", "names": PROXY,
         "repositories": ["ACME_Lab_hello", "ACME_Lab_el", "ACME_Lab_off"]},
        {"file": PUPPET, "key": "main.server", "names": PROXY, "repositories": []},
        {"file": GOFER, "key": "messaging.url", "names": "proxy03.example.test",
         "repositories": []},
        {"file": YGGDRASIL, "key": "broker", "names": PROXY, "repositories": []}]


def test_a_host_on_the_balancer_pins_nothing_and_is_clean(root):
    enrolled(root)
    check = hostonly.check_host_only(Context(root=str(root)), LB)
    assert (check.pinned, check.clean, int(check.exit_code)) == ([], True, 0)
    # The Katello CA needs the proxies' consumer RPM, so it is not part of the host check.
    assert [r.id for r in check.results] == ["HOST_RHSM_CONF", "HOST_MANAGE_REPOS",
                                             "HOST_REDHAT_REPO",
                                             "HOST_PUPPET_CONF", "HOST_GOFER_CONF",
                                             "HOST_YGGDRASIL_CONF", "HOST_REX_PULL",
                                             "HOST_OPENSCAP_CONF", "HOST_INSIGHTS_CONF"]


def test_a_warning_alone_is_still_clean_and_a_missing_rhsm_conf_is_not(root):
    enrolled(root, **{PUPPET: "[agent]\nserver = %s\n" % LB})  # ca_port 8140: a warning
    check = hostonly.check_host_only(Context(root=str(root)), LB)
    assert (check.clean, int(check.exit_code)) == (True, 3)
    empty = root / "empty"
    empty.mkdir()
    check = hostonly.check_host_only(Context(root=str(empty)), LB)
    assert (check.pinned, check.clean, int(check.exit_code)) == ([], False, 1)


def test_json_has_the_documented_shape_and_exit_1_when_pinned(root):
    enrolled(root, rhsm_host=PROXY, **{"/etc/hostname": "client01.example.test\n"})
    result = invoke(root, "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert set(report) == TOP_KEYS
    assert (report["host"], report["balancer"], report["clean"], report["exit_code"]) == (
        "client01.example.test", LB, False, 1)
    assert [(p["file"], p["key"], p["names"]) for p in report["pinned"]] == [
        ("/etc/rhsm/rhsm.conf", "server.hostname", PROXY),
        ("/etc/rhsm/rhsm.conf", "rhsm.baseurl", PROXY)]
    assert report["counts"] == {"pass": 2, "fail": 1, "warn": 0, "skip": 6}
    assert {r["id"]: r["status"] for r in report["results"]}["HOST_RHSM_CONF"] == "fail"


def test_a_clean_host_exits_0_and_the_text_says_so(root):
    enrolled(root)
    result = invoke(root)
    assert result.exit_code == 0, result.output
    assert "diagnose --host-only" in result.output and "no connection" in result.output
    assert "result: clean: " in result.output and "Pinned" not in result.output


def test_the_text_lists_each_pinned_setting(root):
    enrolled(root, repo_host=PROXY)
    result = invoke(root)
    assert result.exit_code == 1, result.output
    assert ("  %s  /etc/yum.repos.d/redhat.repo baseurl (3 repositories: ACME_Lab_hello, "
            "ACME_Lab_el, ACME_Lab_off)" % PROXY) in result.output
    assert "result: not clean: " in result.output


@pytest.mark.parametrize("args, named", [
    (["--proxies", "proxy01"], "--proxies"),
    (["--foreman", "f.example.test", "--login", "admin"], "--foreman, --login"),
    (["--ca-fingerprint", "AB" * 32], "--ca-fingerprint"),
])
def test_options_that_need_a_connection_are_refused(root, args, named):
    enrolled(root)
    result = invoke(root, *args)
    assert result.exit_code == 2, result.output
    assert "--host-only makes no connection: %s cannot be used with it" % named in result.output


def test_the_balancer_is_still_required(root):
    result = CliRunner().invoke(cli.command, ["--host-only", "--root", str(root)], env={})
    assert result.exit_code == 2 and "--server" in result.output


def test_the_host_name_under_root_is_the_installed_systems(root):
    seed(root, {"/etc/hostname": "web7.example.test\n"})
    assert hostonly.host_name(Context(root=str(root))) == "web7.example.test"
    empty = root / "empty"
    empty.mkdir()
    assert hostonly.host_name(Context(root=str(empty))) is None
