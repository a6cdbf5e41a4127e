"""OpenSCAP and Insights through the balancer, end to end (issue 21, section 3):
foreman_scap_client's config.yaml follows the balancer on enroll and repair and diagnose flags
a proxy in it; --insights installs the insights-client stand-in from the lab's repository with
real dnf and registers it once, through the balancer rhsm.conf names."""
import json

from tests.e2e.test_enroll import enroll, lbenroll, rhsm, statuses
from tests.lab.lab import BALANCER

LOG = "/var/log/lbenroll.log"
SCAP = "/etc/foreman_scap_client/config.yaml"
SCAP_ON_A_PROXY = """\
# written by foreman_scap_client's Ansible role while proxy02 was the OpenSCAP proxy
:server: 'proxy02.example.test'
:port: 8443
:timeout: 60
:ca_file: '/etc/rhsm/ca/katello-server-ca.pem'
:host_certificate: '/etc/pki/consumer/cert.pem'
:host_private_key: '/etc/pki/consumer/key.pem'
1:
  :profile: 'xccdf_org.ssgproject.content_profile_ospp'
  :content_path: '/var/lib/openscap/content/1.xml'
"""
SCAP_ON_THE_BALANCER = SCAP_ON_A_PROXY.replace(
    ":server: 'proxy02.example.test'\n:port: 8443",
    ":server: '%s'\n:port: 9090" % BALANCER)
INSIGHTS_CONF = "/etc/insights-client/insights-client.conf"
REGISTERED = "/etc/insights-client/.registered"
INSIGHTS_CALLS = "/var/log/insights-client/lab-calls.jsonl"


def commands_since(box, before):
    return [line.split("running: ", 1)[1] for line in box.read_text(LOG).splitlines()[before:]
            if " INFO running: " in line]


def log_length(box):
    return len(box.read_text(LOG).splitlines()) if box.exists(LOG) else 0


def insights_calls(box):
    if not box.exists(INSIGHTS_CALLS):
        return []
    return [json.loads(line) for line in box.read_text(INSIGHTS_CALLS).splitlines()]


def host_only(box):
    proc = lbenroll(box, "diagnose", "--host-only", "--server", BALANCER, "--json")
    assert proc.report is not None, proc.stdout + proc.stderr
    return proc


def result(proc, check_id):
    [found] = [r for r in proc.report["results"] if r["id"] == check_id]
    return found


def test_config_yaml_follows_the_balancer_on_enroll_and_repair(lab, sandbox):
    box = sandbox()
    box.seed(SCAP, SCAP_ON_A_PROXY.encode(), 0o640)
    report = enroll(box)
    assert statuses(report)["OPENSCAP_CONFIG"] == "changed"
    assert box.read_text(SCAP) == SCAP_ON_THE_BALANCER  # every other byte kept
    assert box.run(["stat", "-c", "%a", SCAP]).stdout.strip() == "640"

    box.seed(SCAP, SCAP_ON_A_PROXY.replace(":server: 'proxy02", ":server: 'proxy03").encode(),
             0o640)
    repair = lbenroll(box, "repair", "--json")
    assert repair.returncode == 0, repair.stdout + repair.stderr
    assert statuses(repair.report)["OPENSCAP_CONFIG"] == "changed"
    assert box.read_text(SCAP) == SCAP_ON_THE_BALANCER

    before = box.snapshot([SCAP])
    again = lbenroll(box, "repair", "--json")
    assert statuses(again.report)["OPENSCAP_CONFIG"] == "unchanged" and not again.report["changed"]
    assert box.snapshot([SCAP]) == before


def test_a_host_without_openscap_gets_no_config_yaml(lab, sandbox):
    box = sandbox()
    report = enroll(box)
    [scap] = [r for r in report["results"] if r["id"] == "OPENSCAP_CONFIG"]
    assert scap["status"] == "skipped" and "not present" in scap["summary"]
    assert not box.exists(SCAP)


def test_diagnose_flags_a_config_yaml_naming_a_proxy(lab, sandbox):
    box = sandbox()
    enroll(box)
    assert result(host_only(box), "HOST_OPENSCAP_CONF")["status"] == "skip"
    box.seed(SCAP, SCAP_ON_A_PROXY.encode())
    proc = host_only(box)
    assert proc.returncode == 1
    scap = result(proc, "HOST_OPENSCAP_CONF")
    assert scap["status"] == "fail"
    # --host-only connects to nothing, so it cannot tell a proxy's name from another host's.
    assert ":server: names proxy02.example.test, not the balancer %s" % BALANCER in (
        scap["summary"])
    assert {"file": SCAP, "key": ":server:", "names": "proxy02.example.test",
            "repositories": []} in proc.report["pinned"]
    lbenroll(box, "repair")
    assert result(host_only(box), "HOST_OPENSCAP_CONF")["status"] == "pass"


def test_insights_is_installed_and_registered_once_through_the_balancer(lab, sandbox):
    box = sandbox()
    report = enroll(box, "--insights")
    assert statuses(report)["INSIGHTS_CLIENT"] == "changed", report["results"]
    assert box.run(["rpm", "-q", "insights-client"]).returncode == 0
    assert box.exists(REGISTERED)
    [call] = insights_calls(box)
    # insights-client's auto_config: rhsm.conf's server, which is the balancer.
    assert (call["argv"], call["result"]) == (["--register"], "registered")
    assert call["base_url"] == "%s:443/redhat_access/r/insights" % BALANCER
    assert rhsm(box).get("server", "hostname") == BALANCER

    before = log_length(box)
    etc = box.snapshot(["/etc"])
    again = enroll(box, "--insights")
    assert statuses(again)["INSIGHTS_CLIENT"] == "unchanged" and not again["changed"]
    repair = lbenroll(box, "repair", "--json")
    assert repair.returncode == 0 and not repair.report["changed"], repair.stdout
    assert statuses(repair.report)["INSIGHTS_CLIENT"] == "unchanged"  # recorded for repair
    commands = commands_since(box, before)
    assert all(command.startswith("rpm -qa ") for command in commands), commands
    assert len(insights_calls(box)) == 1  # never registered again
    assert box.snapshot(["/etc"]) == etc


def test_a_hard_coded_base_url_naming_a_proxy_is_flagged_and_repaired(lab, sandbox):
    box = sandbox()
    enroll(box, "--insights")
    text = box.read_text(INSIGHTS_CONF)
    pinned = text + ("auto_config=False\n"
                     "base_url=proxy02.example.test:443/redhat_access/r/insights\n")
    box.seed(INSIGHTS_CONF, pinned.encode())
    proc = host_only(box)
    insights = result(proc, "HOST_INSIGHTS_CONF")
    assert proc.returncode == 1 and insights["status"] == "fail", insights
    assert "auto_config is off" in insights["summary"]

    repair = lbenroll(box, "repair", "--json")
    assert statuses(repair.report)["INSIGHTS_CONF"] == "changed", repair.stdout
    assert box.read_text(INSIGHTS_CONF) == pinned.replace("proxy02.example.test", BALANCER)
    assert result(host_only(box), "HOST_INSIGHTS_CONF")["status"] == "pass"
