"""--rex-pull end to end: pull-mode remote execution set up as Global Registration does, through
the balancer. The worker (the lab's stand-in, tests/lab/ygg_worker.py: yggdrasil and
foreman_ygg_worker are Go programs Debian does not package) reads the config.toml lbenroll
wrote, connects with the host's consumer certificate to the balancer name, and a message the
Smart Proxy's broker (real mosquitto) gets on the host's topic reaches it through HAProxy.
Repair puts drift back, --remove takes back what lbenroll added, diagnose reports it."""
import json
import os
import subprocess
import sys
import threading
import time

from tests.e2e.test_container_certs import lbenroll
from tests.e2e.test_enroll import ENROLL, REPO, statuses
from tests.e2e.test_remove import CONTENT_ONLY, all_unchanged, differences, etc_tree, ok
from tests.lab.lab import BALANCER

CONFIG = "/etc/yggdrasil/config.toml"
KATELLO_CA = "/etc/rhsm/ca/katello-server-ca.pem"
WORKER_LOG = "/tmp/lbenroll-e2e-ygg-worker-%d.log"
MQTT_PORT = 1883


def wait_for(predicate, timeout, what):
    """Poll a condition until it holds; fail naming what was awaited."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out after %ss waiting for %s" % (timeout, what)
        time.sleep(0.05)


def consumer_uuid(box):
    proc = box.run(["subscription-manager", "identity"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout.split("system identity:")[1].split()[0]


def text_of(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def result_of(report, step_id):
    return [r for r in report["results"] if r["id"] == step_id][0]


def test_a_dry_run_on_a_fresh_host_does_not_warn_for_the_connack_it_cannot_check(lab, sandbox):
    # No consumer certificate yet: yggdrasil has no identity to present, so neither has
    # CHECK_MQTT; it checks the port, the chain and the name, and says what it left.
    box = sandbox()
    proc = lbenroll(box, *(ENROLL + ["--rex-pull", "--dry-run", "--json"]))
    mqtt = result_of(proc.report, "CHECK_MQTT")
    assert mqtt["status"] == "unchanged", mqtt
    assert mqtt["summary"] == (
        "%s:1883 presents a valid certificate naming the balancer; the MQTT CONNACK was not "
        "checked: there is no /etc/pki/consumer/cert.pem" % BALANCER)


def host_check(box, check_id):
    proc = lbenroll(box, "diagnose", "--server", BALANCER, "--host-only", "--json")
    return [r for r in proc.report["results"] if r["id"] == check_id][0], proc


def test_the_worker_subscribes_through_the_balancer_and_receives_a_job_notice(lab, sandbox):
    box = sandbox()
    before = etc_tree(box)
    # One broker behind 1883, so the test knows where the worker's connection lands.
    lab.haproxy.route_only(MQTT_PORT, "proxy02")
    report = ok(lbenroll(box, *(ENROLL + ["--rex-pull", "--json"])))
    steps = statuses(report)
    assert (steps["REX_PULL_INSTALL"], steps["YGGDRASIL_CONFIG"],
            steps["REX_PULL_SERVICE"]) == ("changed", "changed", "changed"), steps
    assert box.run(["rpm", "-q", "foreman_ygg_worker", "yggdrasil"]).returncode == 0
    config = box.read_text(CONFIG)
    assert 'broker = ["mqtts://%s:1883"]\n' % BALANCER in config
    assert 'cert-file = "/etc/pki/consumer/cert.pem"\n' in config
    assert 'key-file = "/etc/pki/consumer/key.pem"\n' in config
    assert 'ca-root = ["%s"]\n' % KATELLO_CA in config
    assert 'log-level = "error"\n' in config  # the package's line, not lbenroll's, kept
    assert box.run(["systemctl", "is-enabled", "--quiet", "yggdrasild"]).returncode == 0
    # CHECK_MQTT's CONNECT presents the consumer certificate, as yggdrasil does: mosquitto,
    # set up as Foreman's installer does (require_certificate), answers it.
    mqtt = result_of(report, "CHECK_MQTT")
    assert mqtt["status"] == "unchanged", mqtt
    assert "MQTT CONNACK accepted" in mqtt["detail"], mqtt
    assert any(line.startswith("presented /etc/pki/consumer/cert.pem") for line in
               mqtt["detail"]), mqtt

    # The worker runs as yggd would (the lab's systemd stand-in starts nothing).
    uuid = consumer_uuid(box)
    log = WORKER_LOG % os.getpid()
    if os.path.exists(log):
        os.remove(log)
    haproxy_sessions = text_of(lab.haproxy.log_path).count("fe_1883 be_1883/proxy02")
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.setdefault("proc", box.run(
        ["/usr/sbin/yggd", "--count", "1", "--wait", "60", "--log", log], timeout=90)))
    worker.start()
    try:
        wait_for(lambda: "received SUBACK" in text_of(log), 30, "the worker's subscription")
        assert "topic yggdrasil/%s/data/in" % uuid in text_of(log)
        # The Smart Proxy announces a job on its own broker (proxy02's listener), as
        # smart_proxy_remote_execution_ssh does: QoS 1, not retained, presenting proxy02's
        # certificate, whose CN (its FQDN) is the ACL's user that may write
        # yggdrasil/+/data/in. The publisher is the test's, on the host, which has no lab
        # names: it connects by address (--insecure: no name check for the test's own client;
        # the worker's connection is checked by name).
        notice = json.dumps({"type": "data", "directive": "foreman",
                             "content": "https://proxy02.example.test:9090/ssh/jobs/1"})
        proxy02 = lab.proxies["proxy02"].cert
        published = subprocess.run(
            ["mosquitto_pub", "-h", lab.proxies["proxy02"].address, "-p", str(MQTT_PORT),
             "--cafile", lab.ca.cert, "--insecure", "--cert", proxy02.cert, "--key",
             proxy02.key, "-q", "1", "-V", "mqttv311",
             "-t", "yggdrasil/%s/data/in" % uuid, "-m", notice],
            capture_output=True, text=True, timeout=30)
        assert published.returncode == 0, published.stdout + published.stderr
    finally:
        worker.join(90)
        worker_output = text_of(log)
        print(worker_output)  # shown when the test fails
        if os.path.exists(log):
            os.remove(log)
    assert outcome["proc"].returncode == 0, outcome["proc"].stdout + outcome["proc"].stderr
    assert notice in worker_output
    # The worker's session went through HAProxy's 1883 to proxy02 (logged when it ended).
    wait_for(lambda: text_of(lab.haproxy.log_path).count("fe_1883 be_1883/proxy02")
             > haproxy_sessions, 10, "HAProxy's log of the worker's session")

    # Run again and the repair timer's run: nothing to do, no dnf, no restart.
    assert all_unchanged(ok(lbenroll(box, *(ENROLL + ["--rex-pull", "--json"])))) == {}
    repair = ok(lbenroll(box, "repair", "--json"))
    assert all_unchanged(repair) == {}
    assert statuses(repair)["REX_PULL_SERVICE"] == "unchanged"

    check, proc = host_check(box, "HOST_REX_PULL")
    assert check["status"] == "pass", check

    # --remove: the worker's packages, the unit's enablement and every edit go; /etc as before.
    removed = ok(lbenroll(box, *(CONTENT_ONLY + ["-s", BALANCER])))
    assert statuses(removed)["REMOVE_REX_PULL"] == "changed"
    assert box.run(["rpm", "-q", "foreman_ygg_worker"]).returncode != 0
    assert box.run(["rpm", "-q", "yggdrasil"]).returncode != 0
    assert box.run(["systemctl", "is-enabled", "--quiet", "yggdrasild"]).returncode != 0
    assert differences(before, etc_tree(box)) == {}


def test_repair_puts_drift_back_and_diagnose_names_it_first(lab, sandbox):
    box = sandbox()
    ok(lbenroll(box, *(ENROLL + ["--rex-pull", "--json"])))
    # Drift: the broker moved to one proxy, the identity changed by hand, the unit disabled.
    drifted = box.read_text(CONFIG).replace(
        "mqtts://%s:1883" % BALANCER, "mqtts://proxy01.example.test:1883").replace(
        '"/etc/pki/consumer/cert.pem"', '"/root/cert.pem"')
    box.seed(CONFIG, drifted)
    assert box.run(["systemctl", "disable", "yggdrasild"]).returncode == 0

    check, proc = host_check(box, "HOST_REX_PULL")
    assert check["status"] == "fail", check
    assert "yggdrasild is not enabled" in check["summary"]
    assert "cert-file is /root/cert.pem" in check["summary"]
    broker, _ = host_check(box, "HOST_YGGDRASIL_CONF")
    assert broker["status"] == "fail" and "proxy01.example.test" in broker["summary"]

    repair = ok(lbenroll(box, "repair", "--json"))
    steps = statuses(repair)
    assert (steps["REX_PULL_INSTALL"], steps["YGGDRASIL_CONFIG"],
            steps["REX_PULL_SERVICE"]) == ("unchanged", "changed", "changed"), steps
    config = box.read_text(CONFIG)
    assert 'broker = ["mqtts://%s:1883"]' % BALANCER in config
    assert 'cert-file = "/etc/pki/consumer/cert.pem"' in config
    assert box.run(["systemctl", "is-enabled", "--quiet", "yggdrasild"]).returncode == 0
    check, _ = host_check(box, "HOST_REX_PULL")
    assert check["status"] == "pass", check


def test_a_host_that_had_the_worker_keeps_it_after_remove(lab, sandbox):
    box = sandbox()
    ok(lbenroll(box, *(ENROLL + ["--json"])))
    # The admin installed the worker and enabled yggdrasild before --rex-pull was asked for.
    assert box.run(["dnf", "-y", "install", "foreman_ygg_worker"]).returncode == 0
    assert box.run(["systemctl", "enable", "yggdrasild"]).returncode == 0
    report = ok(lbenroll(box, *(ENROLL + ["--rex-pull", "--json"])))
    assert statuses(report)["REX_PULL_INSTALL"] == "unchanged"
    removed = ok(lbenroll(box, *(CONTENT_ONLY + ["-s", BALANCER])))
    assert statuses(removed)["REMOVE_REX_PULL"] == "unchanged"
    assert box.run(["rpm", "-q", "foreman_ygg_worker", "yggdrasil"]).returncode == 0
    assert box.run(["systemctl", "is-enabled", "--quiet", "yggdrasild"]).returncode == 0
    # config.toml is the package's again.
    assert "broker = [\"tcp://localhost:1883\"]" in box.read_text(CONFIG)



def test_a_run_killed_after_the_worker_installed_converges_and_remove_takes_it_back(
        lab, sandbox):
    box = sandbox()
    ok(lbenroll(box, *(ENROLL + ["--json"])))
    before = etc_tree(box)
    argv = [sys.executable, "-m", "lbenroll"] + ENROLL + ["--rex-pull", "--json"]
    killed = box.run(argv, env={"PYTHONPATH": REPO}, timeout=300,
                     kill_at="dnf install:after")
    assert killed.returncode == -9, killed.stdout + killed.stderr
    assert box.run(["rpm", "-q", "foreman_ygg_worker"]).returncode == 0
    again = ok(lbenroll(box, *(ENROLL + ["--rex-pull", "--json"])))
    assert statuses(again)["REX_PULL_INSTALL"] == "unchanged"
    assert statuses(again)["REX_PULL_SERVICE"] == "changed"
    removed = ok(lbenroll(box, *(CONTENT_ONLY + ["-s", BALANCER])))
    assert statuses(removed)["REMOVE_REX_PULL"] == "changed"
    assert box.run(["rpm", "-q", "foreman_ygg_worker"]).returncode != 0
    assert box.run(["rpm", "-q", "yggdrasil"]).returncode != 0
    # What lbenroll's first enrollment had changed goes too; nothing of pull mode is left.
    assert not [path for path in differences(before, etc_tree(box))
                if "yggdrasil" in path]
