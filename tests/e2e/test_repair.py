"""`lbenroll repair` end to end: an enrolled sandboxed host drifts back to a proxy, the proxies are
rebuilt behind the balancer, and repair heals the host without ever registering it again."""
from lbenroll import consumer
from tests.e2e.test_enroll import (PUPPET_CONF, REDHAT_REPO, RHSM_CONF, enroll, etc_bytes,
                                   etc_written, lbenroll, registrations, repo_urls, rhsm,
                                   statuses)
from tests.lab.lab import ACTIVATION_KEY, BALANCER, ORG

LOG = "/var/log/lbenroll.log"
DRIFT_TO = "proxy02.example.test"


def repair(box, *args):
    return lbenroll(box, "repair", *args)


def drift(box, path):
    """The file names a proxy instead of the balancer, as after a consumer RPM's %post."""
    box.seed(path, box.read_text(path).replace(BALANCER, DRIFT_TO))


def installed_consumer(box):
    proc = box.run(["rpm", "-qa", "--qf", "%{NAME}-%{VERSION}-%{RELEASE}\n",
                    "katello-ca-consumer-*"])
    return proc.stdout.split()


def test_repair_heals_drift_without_registering_and_logs_what_it_fixed(lab, sandbox):
    box = sandbox()
    assert statuses(enroll(box))["RECORD_OPTIONS"] == "changed"
    text = box.read_text("/etc/lbenroll/lbenroll.conf")
    assert text.startswith("# Managed by lbenroll")
    assert [line for line in text.splitlines() if not line.startswith("#")] == [
        "server = %s" % BALANCER, "fqdn = client01.example.test", "puppet-ca-port = 8141",
        "skip = foreman"]  # and never the activation key or the organization
    for path in (RHSM_CONF, REDHAT_REPO, PUPPET_CONF):
        drift(box, path)
    registered = len(registrations(lab))
    etc_before = etc_bytes(box)

    dry = repair(box, "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "+hostname = %s" % BALANCER in dry.stdout
    assert etc_bytes(box) == etc_before

    proc = repair(box, "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = statuses(proc.report)
    assert {step: result[step] for step in ("RHSM_CONF", "REDHAT_REPO", "PUPPET_CONF")} == {
        "RHSM_CONF": "changed", "REDHAT_REPO": "changed", "PUPPET_CONF": "changed"}
    assert result["REGISTER"] == "unchanged" and result["RECORD_OPTIONS"] == "skipped"
    assert len(registrations(lab)) == registered
    assert rhsm(box).get("server", "hostname") == BALANCER
    assert all(url.startswith("https://%s/" % BALANCER) for url in repo_urls(box).values())
    assert DRIFT_TO not in box.read_text(PUPPET_CONF)
    log = box.read_text(LOG)
    assert "RHSM_CONF changed: updated /etc/rhsm/rhsm.conf" in log
    assert "RECORD_OPTIONS skipped: repair run: the options were read from " \
           "/etc/lbenroll/lbenroll.conf" in log

    again = repair(box, "--json")
    assert again.returncode == 0 and not again.report["changed"], statuses(again.report)


def test_repair_before_any_enrollment_says_to_enroll_first(lab, sandbox):
    box = sandbox()
    proc = repair(box)
    assert proc.returncode == 2
    assert "/etc/lbenroll/lbenroll.conf does not exist" in proc.stderr
    assert "enroll first" in proc.stderr
    assert etc_written(box) == {}


def test_repair_never_registers_a_host_whose_identity_is_lost(lab, sandbox):
    box = sandbox()
    enroll(box)
    assert box.run(["subscription-manager", "clean"]).returncode == 0
    registered = len(registrations(lab))
    etc_before = etc_bytes(box)
    proc = repair(box)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "identity lost" in proc.stdout and "fix: re-enroll with -a KEY" in proc.stdout
    assert len(registrations(lab)) == registered
    assert etc_bytes(box) == etc_before


def test_repair_installs_a_rebuilt_proxys_new_release_and_ignores_other_proxies(lab, sandbox):
    box = sandbox()
    proxy = enroll(box)["answering_proxy"]
    name = proxy.split(".")[0]
    [first] = installed_consumer(box)
    assert first == "katello-ca-consumer-%s-1.0-1" % proxy
    lab.rebuild_consumer_rpm(name, release=2)
    lab.haproxy.route_only(443, name)  # the consumer RPM is fetched over https
    proc = repair(box, "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    install = [r for r in proc.report["results"] if r["id"] == "INSTALL_CONSUMER_RPM"][0]
    assert install["status"] == "changed"
    assert "newer than the installed %s" % first in " ".join(install["detail"])
    assert installed_consumer(box) == ["katello-ca-consumer-%s-1.0-2" % proxy]
    assert rhsm(box).get("server", "hostname") == BALANCER  # after the new %post, corrected

    other = [n for n in ("proxy01", "proxy02", "proxy03") if n != name][0]
    lab.haproxy.route_only(443, other)
    again = repair(box, "--json")
    assert again.returncode == 0, again.stdout + again.stderr
    assert statuses(again.report)["INSTALL_CONSUMER_RPM"] == "unchanged"
    assert again.report["answering_proxy"] == other + ".example.test"
    assert not again.report["changed"], statuses(again.report)


def test_another_katello_ca_is_refused_until_the_admin_names_it(lab, sandbox):
    box = sandbox()
    proxy = enroll(box)["answering_proxy"]
    name = proxy.split(".")[0]
    foreign = lab.set_proxy_ca(name, "foreign")
    lab.haproxy.route_only(443, name)
    etc_before = etc_bytes(box)
    # The balancer now leads to another Katello (a wrong --server, a DNS mistake, a proxy of
    # another Satellite): nothing changes, by repair or by the enrollment command.
    # The download is verified against the CA the host trusts: the other Katello's proxy fails
    # it. --force and a bare pin change nothing either: only --rotate-ca with the new CA pinned.
    with open(foreign) as f:
        new = consumer.fingerprint(f.read())
    for proc in (repair(box), lbenroll(box, "--server", BALANCER),
                 lbenroll(box, "--server", BALANCER, "--force", "-o", ORG, "-a", ACTIVATION_KEY),
                 lbenroll(box, "--server", BALANCER, "--ca-fingerprint", new)):
        assert proc.returncode == 78, proc.stdout + proc.stderr
        assert "this host trusts another Katello CA" in proc.stdout
        assert "--rotate-ca --ca-fingerprint" in proc.stdout
        assert etc_bytes(box) == etc_before
    proc = lbenroll(box, "--server", BALANCER, "--rotate-ca", "--ca-fingerprint", new, "--json")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    fetch = [r for r in proc.report["results"] if r["id"] == "FETCH_CONSUMER_RPM"][0]
    assert fetch["status"] == "warning" and fetch["data"]["verified"] is True
    assert "replaces the one this host trusted, as --rotate-ca asked" in " ".join(
        fetch["detail"])
    assert statuses(proc.report)["KATELLO_SERVER_CA"] == "changed"
    assert fetch["data"]["ca_sha256"] == new == consumer.fingerprint(
        consumer.first_pem(box.read_text("/etc/rhsm/ca/katello-server-ca.pem")))
    again = repair(box, "--json")  # the new pin is recorded
    assert again.returncode == 0 and not again.report["changed"], again.stdout


def test_a_new_ca_is_refused_when_the_enrollment_pinned_the_old_one(lab, sandbox):
    with open(lab.ca.cert) as f:
        pinned = consumer.pretty_fingerprint(consumer.fingerprint(f.read()))
    box = sandbox()
    proxy = enroll(box, "--ca-fingerprint", pinned)["answering_proxy"]
    lab.set_proxy_ca(proxy.split(".")[0], "foreign")
    lab.haproxy.route_only(443, proxy.split(".")[0])
    etc_before = etc_bytes(box)
    proc = repair(box)
    assert proc.returncode == 78, proc.stdout + proc.stderr
    assert "did not prove to be this Katello" in proc.stdout
    assert etc_bytes(box) == etc_before


def test_a_repair_of_a_correct_host_starts_rpm_once_and_never_unpacks_the_package(lab, sandbox):
    """Every package a run looks up is asked in one rpm query, and the consumer RPM's script is
    read from the host when the served package's header gives its digest."""
    box = sandbox()
    enroll(box)
    before = len(box.read_text(LOG).splitlines())
    proc = repair(box)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    commands = [line.split("running: ", 1)[1] for line in
                box.read_text(LOG).splitlines()[before:] if " INFO running: " in line]
    assert len(commands) == 1 and commands[0].startswith("rpm -qa "), commands
    # A package whose script on the host differs (a rebuilt proxy's, say) is unpacked again.
    box.seed(consumer.SCRIPT_PATH, box.read_text(consumer.SCRIPT_PATH) + "# changed\n")
    before = len(box.read_text(LOG).splitlines())
    proc = repair(box)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " INFO running: rpm2cpio " in "\n".join(box.read_text(LOG).splitlines()[before:])
