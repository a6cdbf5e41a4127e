"""lbenroll diagnose end to end: the real command in sandboxed hosts against the real lab, healthy
and with each fault of the load-balancer guide's troubleshooting list injected."""
import json
import sys
import time

import pytest

from tests.e2e.test_enroll import PROXY_FQDNS, REPO, RHSM_CONF, enroll, lbenroll
from tests.lab import build
from tests.lab.lab import BALANCER, WORLD

HELLO_PATH = WORLD["orgs"]["ACME"]["content"][0]["path"]
ALL_PROXIES = ",".join(PROXY_FQDNS)


@pytest.fixture(scope="module")
def enrolled(lab):
    """One enrolled client for the module: the diagnosis is read only, which every test checks."""
    box = lab.sandbox("diagnose-client", "client01.example.test")
    enroll(box)
    lab.wait_puppetserver()  # the Puppet CA behind 8141 is part of a healthy lab
    yield box
    box.remove()


def diagnose(box, *args):
    """Run `lbenroll diagnose --json` in the sandbox; fail if it wrote anything on the host."""
    before = box.written_files()
    written_before = box.snapshot([p for p, kind in before.items() if kind == "written"])
    started = time.monotonic()
    proc = lbenroll(box, "diagnose", "--server", BALANCER, "--json", *args)
    proc.wall = time.monotonic() - started
    assert proc.report is not None, proc.stdout + proc.stderr
    assert box.written_files() == before
    assert box.snapshot(list(written_before)) == written_before
    return proc


def results(proc, check_id):
    """{target: result} of one check."""
    return {r["target"]: r for r in proc.report["results"] if r["id"] == check_id}


def verdicts(proc, check_id):
    return {target: r["status"] for target, r in results(proc, check_id).items()}


# The lab's proxies build their consumer RPMs under their own names, as proxies installed
# without a registration URL do: every proxy warns PROXY_REGISTRATION (the root cause of pinned
# hosts), which test_the_root_cause_of_pinned_hosts checks; the other tests look past it.
LAB_ROOT_CAUSE = "PROXY_REGISTRATION"


def problems(proc, ignore=(LAB_ROOT_CAUSE,)):
    return sorted((r["id"], r["target"]) for r in proc.report["results"]
                  if r["status"] in ("fail", "warn") and r["id"] not in ignore)


def test_a_healthy_lab_passes_everything(enrolled):
    proc = diagnose(enrolled)
    assert proc.returncode == 3, proc.stdout  # only the lab's root-cause warnings
    assert problems(proc) == []
    assert set(verdicts(proc, LAB_ROOT_CAUSE).values()) == {"warn"}
    assert proc.report["source"] == {"kind": "discovery", "names": PROXY_FQDNS,
                                     "detail": proc.report["source"]["detail"]}
    skipped = sorted(r["id"] for r in proc.report["results"] if r["status"] == "skip")
    assert skipped == ["BALANCER_MQTT", "HOST_GOFER_CONF", "HOST_INSIGHTS_CONF",
                       "HOST_OPENSCAP_CONF", "HOST_REX_PULL", "HOST_YGGDRASIL_CONF"]
    # Synchronized to the same content view version, each proxy published on its own: its own
    # revision, its own checksums, the same packages (issue 21: the revisions made proxy01 and
    # proxy02 "older", exit 1).
    metadata = results(proc, "PROXY_METADATA")
    assert {r["status"] for r in metadata.values()} == {"pass"}
    revisions = {name: r["data"]["revisions"] for name, r in metadata.items()}
    repo_id = list(revisions[PROXY_FQDNS[0]])[0]
    assert sorted(r[repo_id] for r in revisions.values()) == sorted(
        str(build.content_revision(name)) for name in PROXY_FQDNS)
    assert len({r[repo_id] for r in revisions.values()}) == 3
    assert "%s: other primary files with the same newest builds" % repo_id in (
        metadata[PROXY_FQDNS[0]]["detail"][0])
    print("\ndiagnosis of %d proxies: %.2f s (%.2f s with interpreter and sandbox start-up)" % (
        len(PROXY_FQDNS), proc.report["duration_seconds"], proc.wall))


def test_a_fresh_host_is_told_it_is_not_enrolled_and_nothing_is_written(sandbox):
    box = sandbox()
    proc = lbenroll(box, "diagnose", "--server", BALANCER, "--proxies", ALL_PROXIES)
    assert proc.returncode == 1, proc.stdout
    assert "HOST_RHSM_CONF" in proc.stdout and "not enrolled through the balancer" in proc.stdout
    assert box.written_files() == {}


def test_a_stopped_proxy_is_reported_down_and_not_checked_further(lab, enrolled):
    lab.stop_proxy("proxy02")
    proc = diagnose(enrolled, "--proxies", ALL_PROXIES)
    assert proc.returncode == 1
    down = results(proc, "PROXY_REACHABLE")["proxy02.example.test"]
    assert down["status"] == "fail"
    assert "does not answer on 80 (connection refused) or 443 (connection refused): it is " \
           "down" in down["summary"]
    assert verdicts(proc, "PROXY_TLS") == {"proxy01.example.test": "pass",
                                           "proxy02.example.test": "skip",
                                           "proxy03.example.test": "pass"}
    assert [p for p in problems(proc) if p[1] != "proxy02.example.test"] == []


def test_a_proxy_missing_a_repository_is_not_synchronized(lab, enrolled):
    lab.remove_content("proxy03", HELLO_PATH)
    proc = diagnose(enrolled, "--proxies", ALL_PROXIES)
    assert proc.returncode == 1
    assert verdicts(proc, "PROXY_CONTENT") == {"proxy01.example.test": "pass",
                                               "proxy02.example.test": "pass",
                                               "proxy03.example.test": "fail"}
    missing = results(proc, "PROXY_CONTENT")["proxy03.example.test"]
    assert "which proxy01, proxy02 serve (HTTP 404): the content is not synchronized to " \
           "proxy03.example.test" in missing["summary"]
    assert "hammer capsule content synchronize --name proxy03.example.test" in (
        missing["remediation"])


def test_a_certificate_without_the_balancer_name(lab, enrolled):
    lab.haproxy.route_only(443, "proxy09")
    through = diagnose(enrolled)
    port = results(through, "BALANCER_PORT")["%s:443" % BALANCER]
    assert through.returncode == 1 and port["status"] == "fail"
    assert "the certificate of proxy09.example.test lacks the balancer name" in port["summary"]
    assert "--foreman-proxy-cname %s" % BALANCER in port["remediation"]

    direct = diagnose(enrolled, "--proxies", ALL_PROXIES + ",proxy09")
    tls = results(direct, "PROXY_TLS")
    assert tls["proxy09"]["status"] == "fail"
    assert "names proxy09.example.test, not the balancer" in tls["proxy09"]["summary"]
    assert all(tls[name]["status"] == "pass" for name in PROXY_FQDNS)


def test_a_proxy_with_a_certificate_from_another_ca(lab, enrolled):
    lab.set_proxy_ca("proxy03", "foreign")
    proc = diagnose(enrolled)
    assert proc.returncode == 1
    rpm = results(proc, "PROXY_CONSUMER_RPM")["proxy03.example.test"]
    assert rpm["status"] == "fail"
    assert "is not the Katello CA" in rpm["summary"]
    assert "proxy03.example.test was set up with another CA" in rpm["summary"]
    tls = results(proc, "PROXY_TLS")["proxy03.example.test"]
    assert tls["status"] == "fail" and "does not chain to the Katello CA" in tls["summary"]
    assert verdicts(proc, "PROXY_TLS")["proxy01.example.test"] == "pass"
    assert results(proc, "HOST_KATELLO_CA")["this host"]["status"] == "pass"


def test_443_on_roundrobin_is_named_as_the_cause_of_404s(lab, enrolled):
    lab.set_balance(443, "roundrobin")
    proc = diagnose(enrolled)
    assert proc.returncode == 1
    sticky = results(proc, "BALANCER_STICKY")["%s:443" % BALANCER]
    assert sticky["status"] == "fail"
    assert "not sticky" in sticky["summary"] and "404s" in sticky["summary"]
    assert "repomd.xml" in sticky["summary"]
    assert "balance source" in sticky["remediation"]


def test_8141_pointing_at_a_proxy_without_the_puppet_ca(lab, enrolled):
    lab.haproxy.set_puppet_ca_server("proxy02")
    proc = diagnose(enrolled)
    assert proc.returncode == 1
    ca = results(proc, "PUPPET_CA")["%s:8141" % BALANCER]
    assert ca["status"] == "fail"
    assert ("8141 leads to proxy02.example.test, which does not answer as a Puppet CA; the "
            "Puppet CA is on proxy01.example.test") in ca["summary"]
    assert "proxy01.example.test:8140" in ca["remediation"]


def test_a_client_whose_rhsm_conf_names_a_proxy(enrolled):
    original = enrolled.read(RHSM_CONF)
    enrolled.seed(RHSM_CONF, original.replace(("hostname = %s" % BALANCER).encode(),
                                              b"hostname = proxy02.example.test"))
    try:
        proc = diagnose(enrolled)
    finally:
        enrolled.seed(RHSM_CONF, original)
    assert proc.returncode == 1
    rhsm = results(proc, "HOST_RHSM_CONF")["this host"]
    assert rhsm["status"] == "fail"
    assert "server.hostname names proxy02.example.test, one of the proxies, directly" in (
        rhsm["summary"])
    assert "bypass the balancer" in rhsm["summary"]
    assert problems(proc) == [("HOST_RHSM_CONF", "this host")]


def test_proxy_names_from_the_foreman_api(enrolled):
    # The lab's Foreman answers through the balancer; the password comes from the environment
    # and must not show anywhere.
    from tests.lab.foreman import LOGIN, PASSWORD
    argv = [sys.executable, "-m", "lbenroll", "diagnose", "--server", BALANCER, "--json",
            "--foreman", BALANCER, "--login", LOGIN]
    before = enrolled.written_files()
    proc = enrolled.run(argv, env={"PYTHONPATH": REPO, "LBENROLL_PASSWORD": PASSWORD},
                        timeout=300)
    assert enrolled.written_files() == before
    assert proc.returncode == 3, proc.stdout + proc.stderr  # the lab's root-cause warnings
    report = json.loads(proc.stdout)
    assert report["source"]["kind"] == "Foreman API"
    assert report["source"]["names"] == PROXY_FQDNS
    assert PASSWORD not in proc.stdout + proc.stderr


def test_the_root_cause_of_pinned_hosts_is_named_per_proxy_with_the_installer_fix(lab,
                                                                                 enrolled):
    # proxy02 (id 2) installed without a registration URL, proxy03 (id 3) for another balancer.
    from tests.lab.foreman import LOGIN, PASSWORD
    lab.foreman.set_smart_proxy(2, registration_url=None)
    lab.foreman.set_smart_proxy(3, registration_url="https://lb2.example.test:9090")
    asked_before = len(lab.foreman.requests())
    argv = [sys.executable, "-m", "lbenroll", "diagnose", "--server", BALANCER, "--json",
            "--proxies", ALL_PROXIES, "--foreman", BALANCER, "--login", LOGIN]
    before = enrolled.written_files()
    proc = enrolled.run(argv, env={"PYTHONPATH": REPO, "LBENROLL_PASSWORD": PASSWORD},
                        timeout=300)
    assert enrolled.written_files() == before
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert PASSWORD not in proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    found = {r["target"]: r for r in report["results"] if r["id"] == LAB_ROOT_CAUSE}
    assert {name: r["status"] for name, r in found.items()} == {name: "warn"
                                                                for name in PROXY_FQDNS}
    for name in PROXY_FQDNS:
        result = found[name]
        assert ("%s gives registering hosts another name than the balancer %s: its consumer "
                "RPM is built for %s (katello-ca-consumer-%s-1.0-" % (
                    name, BALANCER, name, name)) in result["summary"]
        assert result["remediation"].startswith(
            "on %s: foreman-installer --foreman-proxy-registration-url https://%s:9090 "
            "--foreman-proxy-template-url http://%s:8000" % (name, BALANCER, BALANCER))
        assert "`lbenroll --server %s` on each" % BALANCER in result["remediation"]
    assert "its registration URL names the balancer, but the package was built" in (
        found["proxy01.example.test"]["summary"])
    assert "Foreman has no registration URL for it" in found["proxy02.example.test"]["summary"]
    assert ("its registration URL in Foreman is https://lb2.example.test:9090, not the "
            "balancer") in found["proxy03.example.test"]["summary"]
    assert found["proxy03.example.test"]["data"]["registration_url"] == (
        "https://lb2.example.test:9090")
    # The smart proxies were read once (two pages), nothing else was asked of Foreman.
    asked = lab.foreman.requests()[asked_before:]
    assert [(e["method"], e["path"]) for e in asked] == [
        ("GET", "/api/v2/smart_proxies")] * 2, asked


def test_proxies_with_their_own_revisions_and_the_same_packages_are_in_sync(lab, enrolled):
    """Issue 21's healthy set: every proxy its own revision and checksums, nothing fails."""
    proc = diagnose(enrolled, "--proxies", ALL_PROXIES)
    assert problems(proc) == [], proc.stdout
    assert proc.returncode == 3  # the lab's PROXY_REGISTRATION warnings only
    assert set(verdicts(proc, "PROXY_METADATA").values()) == {"pass"}
    for result in results(proc, "PROXY_METADATA").values():
        assert result["summary"].startswith(
            "the newest build of every package that the other proxies serve in")


def test_a_healthy_set_of_proxies_with_their_own_revisions_exits_0(lab, enrolled):
    """Issue 21's healthy set in full: the proxies build their consumer RPM for the balancer
    (registration URL set, so PROXY_REGISTRATION passes too) and each publishes the same packages
    under its own revision and checksums: nothing to report, exit 0."""
    lab.set_registration_url()
    proc = diagnose(enrolled, "--proxies", ALL_PROXIES)
    assert problems(proc, ignore=()) == [], proc.stdout
    assert proc.returncode == 0, proc.stdout
    assert set(verdicts(proc, "PROXY_REGISTRATION").values()) == {"pass"}
    metadata = results(proc, "PROXY_METADATA")
    assert {r["status"] for r in metadata.values()} == {"pass"}
    repo_id = list(metadata[PROXY_FQDNS[0]]["data"]["revisions"])[0]
    assert len({r["data"]["revisions"][repo_id] for r in metadata.values()}) == 3


def test_a_proxy_lacking_the_newest_build_is_named_with_that_package(lab, enrolled):
    # proxy02 republished later without lab-hello-1.0-2: the newest revision of all, so the
    # revisions alone named proxy01 and proxy03 "older" (issue 21).
    lab.set_stale_repodata("proxy02")
    proc = diagnose(enrolled, "--proxies", ALL_PROXIES)
    assert proc.returncode == 1
    assert verdicts(proc, "PROXY_METADATA") == {"proxy01.example.test": "pass",
                                                "proxy02.example.test": "fail",
                                                "proxy03.example.test": "pass"}
    stale = results(proc, "PROXY_METADATA")["proxy02.example.test"]
    repo_id = list(stale["data"]["behind"])[0]
    assert stale["data"]["revisions"][repo_id] == str(build.LATER_REVISION)
    assert stale["data"]["behind"] == {repo_id: [build.NEWEST_HELLO]}
    assert stale["summary"].startswith(
        "proxy02.example.test lacks newer builds that other proxies serve: in %s %s, which "
        "proxy01, proxy03 serve; " % (repo_id, build.NEWEST_HELLO))
    assert "does not get these builds" in stale["summary"]
    assert "same content view version" in stale["remediation"]
    assert "hammer capsule content synchronize --name proxy02.example.test" in (
        stale["remediation"])
    # Still served, so not a missing repository; nothing else is wrong.
    assert set(verdicts(proc, "PROXY_CONTENT").values()) == {"pass"}
    assert problems(proc) == [("PROXY_METADATA", "proxy02.example.test")]


def test_a_zstd_primary_is_said_not_compared_not_guessed(lab, enrolled):
    href = lab.set_zstd_primary("proxy03")
    proc = diagnose(enrolled, "--proxies", ALL_PROXIES)
    assert problems(proc) == [], proc.stdout
    metadata = results(proc, "PROXY_METADATA")
    assert metadata["proxy03.example.test"]["status"] == "skip"
    assert ("%s is zstd-compressed, which Python's standard library cannot read: its "
            "packages are not compared" % href.split("/")[-1]) in (
        metadata["proxy03.example.test"]["summary"])
    # proxy01 and proxy02 are compared with each other, and say what they were not compared with.
    assert metadata["proxy01.example.test"]["status"] == "pass"
    assert any(line.endswith("not compared with proxy03: %s" % (
        metadata["proxy03.example.test"]["summary"].split(": ", 2)[2]))
        for line in metadata["proxy01.example.test"]["detail"]), metadata


YGGDRASIL_CONFIG = 'broker = ["mqtts://%s:1883"]\ncert-file = "/etc/pki/consumer/cert.pem"\n' % (
    BALANCER)


def mqtt_results(box):
    """BALANCER_MQTT's and BALANCER_PORT's 1883 on a host with yggdrasil's config.toml."""
    box.seed("/etc/yggdrasil/config.toml", YGGDRASIL_CONFIG)
    proc = diagnose(box, "--proxies", ALL_PROXIES)
    assert results(proc, "HOST_YGGDRASIL_CONF")["this host"]["status"] == "pass"
    return (results(proc, "BALANCER_MQTT")["%s:1883" % BALANCER],
            results(proc, "BALANCER_PORT")["%s:1883" % BALANCER])


def mqtt_result(sandbox):
    return mqtt_results(sandbox())[0]


def test_mqtt_on_roundrobin_spreads_one_client_over_several_brokers(lab, sandbox):
    lab.set_balance(1883, "roundrobin")  # the lab's default, said here
    mqtt = mqtt_result(sandbox)
    assert mqtt["status"] == "warn", mqtt
    assert len(mqtt["data"]["reached"]) > 1
    assert set(mqtt["data"]["reached"]) <= {"proxy01", "proxy02", "proxy03"}
    assert mqtt["data"]["direct"] == ["proxy01", "proxy02", "proxy03"]
    assert "different brokers" in mqtt["summary"]
    assert "yggdrasil/<host>/data/in" in mqtt["summary"]
    assert "balance source" in mqtt["remediation"]


def test_mqtt_on_source_balance_keeps_one_client_on_one_broker(lab, sandbox):
    lab.set_balance(1883, "source")
    mqtt, port = mqtt_results(sandbox())
    assert mqtt["status"] == "pass", mqtt
    assert len(mqtt["data"]["reached"]) == 1
    assert "stays on one broker" in mqtt["summary"]
    # Not registered: no certificate to present, which Foreman's mosquitto requires; said, not
    # failed.
    unchecked = "the MQTT CONNACK was not checked: there is no /etc/pki/consumer/cert.pem"
    assert mqtt["detail"][-1] == unchecked, mqtt
    assert port["status"] == "pass" and port["summary"].endswith(unchecked), port


def test_mqtt_connects_as_this_host_with_its_consumer_certificate(lab, sandbox):
    lab.set_balance(1883, "source")
    box = sandbox()
    enroll(box)
    mqtt, port = mqtt_results(box)
    assert mqtt["status"] == "pass", mqtt
    # Every MQTT CONNECT presented the consumer certificate and got its CONNACK.
    assert not [line for line in mqtt["detail"] if "CONNACK" in line or "CONNECT" in line], mqtt
    assert port["status"] == "pass" and "CONNACK" not in port["summary"], port


# -- the Foreman password goes only to a server verified against a CA this host may trust --------

def foreman_diagnosis(box, *args):
    """`lbenroll diagnose --foreman BALANCER --login admin --json ARGS`, the password in the
    environment: (proc, report, its FOREMAN_API result). Checks that nothing was written and
    that the password shows nowhere."""
    from tests.lab.foreman import LOGIN, PASSWORD
    argv = [sys.executable, "-m", "lbenroll", "diagnose", "--server", BALANCER, "--json",
            "--foreman", BALANCER, "--login", LOGIN] + list(args)
    before = box.written_files()
    proc = box.run(argv, env={"PYTHONPATH": REPO, "LBENROLL_PASSWORD": PASSWORD}, timeout=300)
    assert box.written_files() == before
    assert PASSWORD not in proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    api = [r for r in report["results"] if r["id"] == "FOREMAN_API"]
    return proc, report, api[0] if len(api) == 1 else api


def lab_ca_sha256(lab):
    from lbenroll import consumer
    from tests.lab import pki
    return consumer.fingerprint(pki.read_pem(lab.ca.cert))


def test_port_80_serving_another_ca_gets_no_login_when_the_ca_is_pinned(lab, sandbox):
    # The review's attack: a host with no Katello CA installed (diagnose before enrolling), the
    # real CA pinned; whoever answers for the balancer on 80 and 443 (proxy03 with a CA of its
    # own, its consumer RPM carrying it) would have had the password verified against that CA.
    box = sandbox()
    lab.set_proxy_ca("proxy03", "foreign")
    lab.haproxy.route_only([80, 443], "proxy03")
    asked_before = len(lab.foreman.requests())
    proc, report, api = foreman_diagnosis(box, "--proxies", ALL_PROXIES,
                                          "--ca-fingerprint", lab_ca_sha256(lab))
    asked = lab.foreman.requests()[asked_before:]
    assert [(e["path"], e["user"]) for e in asked] == [], asked  # no login, no request at all
    assert api["status"] == "warn" and api["data"]["sent"] is False, api
    assert api["summary"].startswith("the password was not sent to %s: no CA at hand has the "
                                     "pinned SHA-256" % BALANCER), api
    assert "the consumer RPM on the balancer's port 80 carries SHA-256" in api["summary"]
    assert "check the pinned fingerprint" in api["remediation"]


def test_without_a_pin_or_an_installed_ca_no_login_is_sent_and_the_fix_is_named(lab, sandbox):
    box = sandbox()  # not enrolled: /etc/rhsm/ca/katello-server-ca.pem is not there
    asked_before = len(lab.foreman.requests())
    proc, report, api = foreman_diagnosis(box, "--proxies", ALL_PROXIES)
    asked = lab.foreman.requests()[asked_before:]
    assert [(e["path"], e["user"]) for e in asked] == [], asked
    assert api["status"] == "warn" and api["data"]["sent"] is False, api
    assert ("no Katello CA is installed on this host and none is pinned with --ca-fingerprint; "
            "the only CA at hand, SHA-256 ") in api["summary"]
    assert api["remediation"].startswith("give --ca-fingerprint SHA256")


def test_with_the_ca_pinned_a_host_without_one_reads_the_foreman_api(lab, sandbox):
    from tests.lab.foreman import LOGIN
    box = sandbox()
    asked_before = len(lab.foreman.requests())
    proc, report, api = foreman_diagnosis(box, "--ca-fingerprint", lab_ca_sha256(lab))
    assert report["source"]["kind"] == "Foreman API"
    assert report["source"]["names"] == PROXY_FQDNS
    assert api["status"] == "pass" and api["data"]["sent"] is True, api
    assert "(pinned, in the balancer's consumer RPM) before the password was sent" in (
        api["summary"])
    asked = lab.foreman.requests()[asked_before:]
    assert [(e["path"], e["user"]) for e in asked] == [("/api/v2/smart_proxies", LOGIN)] * 2
