"""Convergence: the command a user knows heals every host state, after any interruption, and a
failed run puts the host back as it was. The real lbenroll on sandboxed hosts in the lab.

Three matrices (README "Host states and convergence"):
- states: each starting state x the bare and the full command -> one end state;
- kills: SIGKILL before each step and inside the children, then one plain re-run -> the bytes an
  uninterrupted run leaves;
- failures: a failed run -> /etc, /root/.ssh and /var/lib/rhsm as they were, byte for byte.
"""
import re
import subprocess
import sys

import pytest

from lbenroll import consumer, engine
from lbenroll.urls import host_of
from tests.e2e.test_enroll import (PUPPET_CONF, REDHAT_REPO, REPO, RHSM_CONF, puppet_print,
                                   registrations, repo_urls, rhsm)
from tests.lab.lab import ACTIVATION_KEY, BALANCER, ORG

FQDN = "client01.example.test"
# The documented command, and the one a first enrollment gives.
BARE = ["--server", BALANCER, "--puppet-ca-port", "8141"]
FULL = BARE + ["-o", ORG, "-a", ACTIVATION_KEY, "--skip", "foreman", "--fqdn", FQDN]
SERVER_CA = "/etc/rhsm/ca/katello-server-ca.pem"
DEFAULT_CA = "/etc/rhsm/ca/katello-default-ca.pem"
ANCHOR = "/etc/pki/ca-trust/source/anchors/katello-server-ca.pem"
BUNDLE = "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"
RECORD = "/etc/lbenroll/lbenroll.conf"
YGGDRASIL = "/etc/yggdrasil/config.toml"
PROXY = "proxy02.example.test"
# What a failed run must leave exactly as it found.
GUARDED = ("/etc", "/root/.ssh", "/var/lib/rhsm")
# The files an enrollment manages: after a kill and a re-run, byte for byte as a plain run.
MANAGED = (RHSM_CONF, REDHAT_REPO, PUPPET_CONF, SERVER_CA, DEFAULT_CA, ANCHOR, BUNDLE, RECORD,
           YGGDRASIL)


def run_lbenroll(box, *args, env=None, timeout=300, kill_at=None):
    argv = [sys.executable, "-m", "lbenroll"] + list(args)
    environment = {"PYTHONPATH": REPO}
    environment.update(env or {})
    if kill_at is None:
        return box.run(argv, env=environment, timeout=timeout)
    return box.run(argv, env=environment, timeout=timeout, kill_at=kill_at)


def ok(proc):
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def single_proxy(lab):
    """Every balancer port that serves files goes to proxy02: runs are comparable by bytes."""
    for port in (80, 443):
        lab.haproxy.route_only(port, PROXY.split(".")[0])


def yggdrasil_host(box):
    """A host set up for pull-mode remote execution (its broker follows rhsm.conf)."""
    box.seed(YGGDRASIL, 'server = ["mqtts://%s:1883"]\n' % BALANCER)


def uuid(box):
    proc = box.run(["subscription-manager", "identity"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout.split("system identity:")[1].split()[0]


def bundle_trusts_katello(box, lab):
    with open(lab.ca.cert) as f:
        wanted = consumer.fingerprint(f.read())
    if not box.exists(BUNDLE):
        return False
    return wanted in {consumer.fingerprint(pem)
                      for pem in consumer.PEM_RX.findall(box.read_text(BUNDLE))}


def end_state(box, lab):
    """What a converged host is, read the way each file's owner reads it."""
    conf = rhsm(box)
    keys = [("server", "hostname"), ("server", "port"), ("server", "prefix"),
            ("rhsm", "baseurl"), ("rhsm", "repo_ca_cert"), ("rhsm", "full_refresh_on_yum"),
            ("rhsm", "package_profile_on_trans"), ("rhsm", "report_package_profile")]
    record = [line for line in box.read_text(RECORD).splitlines()
              if line and not line.startswith("#")] if box.exists(RECORD) else None
    return {
        "rhsm.conf": dict(("%s.%s" % key, conf.get(*key, fallback=None)) for key in keys),
        "redhat.repo hosts": sorted({host_of(url) for url in repo_urls(box).values()}),
        "puppet.conf": puppet_print(box),
        "server CA": box.read_text(SERVER_CA) if box.exists(SERVER_CA) else None,
        "default CA": box.read_text(DEFAULT_CA) if box.exists(DEFAULT_CA) else None,
        "anchor": box.read_text(ANCHOR) if box.exists(ANCHOR) else None,
        "bundle trusts the Katello CA": bundle_trusts_katello(box, lab),
        "yggdrasil": box.read_text(YGGDRASIL) if box.exists(YGGDRASIL) else None,
        "record": record,
        "consumer packages": len(box.run(["rpm", "-qa", "katello-ca-consumer-*"]).stdout.split()),
    }


def guarded_bytes(box):
    """{path: sha256} under GUARDED; a missing top reads as absent (it must stay so)."""
    tops = [top for top in GUARDED if box.exists(top)]
    found = {path: digest for path, (digest, _mtime) in box.snapshot(tops).items()}
    found.update(("absent", top) for top in GUARDED if top not in tops)
    return found


def managed_bytes(box):
    """The managed files' bytes; in redhat.repo the entitlement certificate's serial, which
    every registration draws anew, reads as SERIAL."""
    found = {path: box.read(path) if box.exists(path) else None for path in MANAGED}
    if found[REDHAT_REPO] is not None:
        found[REDHAT_REPO] = re.sub(rb"/etc/pki/entitlement/\d+", b"/etc/pki/entitlement/SERIAL",
                                    found[REDHAT_REPO])
    return found


@pytest.fixture
def reference(lab, sandbox):
    """The end state an uninterrupted full enrollment leaves, from a fresh host."""
    def make(prepare=None):
        box = sandbox()
        if prepare:
            prepare(box)
        ok(run_lbenroll(box, *FULL))
        return box
    return make


# -- states ---------------------------------------------------------------------------------------

def consumer_rpm_from(box, proxy, noscripts=False):
    """Install one proxy's consumer RPM as a hand install does (its %post runs)."""
    path = "/var/tmp/consumer-%s.rpm" % proxy.split(".")[0]
    assert box.run(["curl", "-sfo", path, "http://%s/pub/katello-ca-consumer-latest.noarch.rpm"
                    % proxy]).returncode == 0
    argv = ["rpm", "-U", "--replacepkgs"] + (["--noscripts"] if noscripts else []) + [path]
    proc = box.run(argv)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def global_registration(box):
    """Foreman's Global Registration through one proxy, by hand: the proxy's consumer RPM,
    then `subscription-manager register` against it (rhsm.conf names it)."""
    consumer_rpm_from(box, PROXY)
    proc = box.run(["subscription-manager", "register", "--org", ORG, "--activationkey",
                    ACTIVATION_KEY, "--name", FQDN])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert rhsm(box).get("server", "hostname") == PROXY


def enrolled(box):
    ok(run_lbenroll(box, *FULL))


def drift_consumer_upgrade(box):
    """Another proxy's consumer RPM replaces the installed one, its %post running (both own
    /usr/bin/katello-rhsm-consumer, so rpm needs the old one erased first)."""
    enrolled(box)
    assert box.run(["rpm", "-e", "--nodeps", "katello-ca-consumer-%s" % PROXY]).returncode == 0
    consumer_rpm_from(box, "proxy03.example.test")
    assert rhsm(box).get("server", "hostname") == "proxy03.example.test"


def drift_subscription_manager_config(box):
    enrolled(box)
    assert box.run(["subscription-manager", "config",
                    "--server.hostname=%s" % PROXY]).returncode == 0


def drift_redhat_repo(box):
    enrolled(box)
    assert box.run(["subscription-manager", "config",
                    "--rhsm.baseurl=https://%s/pulp/content/" % PROXY]).returncode == 0
    # `repos --list` regenerates redhat.repo from the baseurl; `refresh` would not, the
    # certificates being unchanged (katello-client-facts.md section 11).
    assert box.run(["subscription-manager", "repos", "--list"]).returncode == 0
    assert PROXY in box.read_text(REDHAT_REPO)


def drift_puppet_ca_port(box):
    enrolled(box)
    box.seed(PUPPET_CONF, "\n".join(line for line in box.read_text(PUPPET_CONF).splitlines()
                                    if not line.strip().startswith("ca_port")) + "\n")


def drift_puppet_server(box):
    enrolled(box)
    box.seed(PUPPET_CONF, box.read_text(PUPPET_CONF).replace(
        "server = %s" % BALANCER, "server = %s" % PROXY))


def drift_yggdrasil(box):
    enrolled(box)
    box.seed(YGGDRASIL, box.read_text(YGGDRASIL).replace(BALANCER, PROXY))


def drift_anchor_removed(box):
    enrolled(box)
    assert box.run(["rm", ANCHOR]).returncode == 0


REGISTERED_STATES = {
    "enrolled by lbenroll": enrolled,
    "global registration through one proxy": global_registration,
    "consumer RPM upgraded from another proxy": drift_consumer_upgrade,
    "subscription-manager config --server.hostname": drift_subscription_manager_config,
    "redhat.repo regenerated with a proxy's baseurl": drift_redhat_repo,
    "puppet.conf ca_port removed": drift_puppet_ca_port,
    "puppet.conf server changed": drift_puppet_server,
    "yggdrasil broker changed": drift_yggdrasil,
    "CA anchor removed": drift_anchor_removed,
}


@pytest.mark.parametrize("command", ["bare", "full"])
@pytest.mark.parametrize("state", sorted(REGISTERED_STATES))
def test_every_registered_state_converges_to_one_end_state(lab, sandbox, reference, state,
                                                           command):
    single_proxy(lab)
    want = end_state(reference(yggdrasil_host), lab)
    box = sandbox()
    yggdrasil_host(box)
    REGISTERED_STATES[state](box)
    before = uuid(box)
    registered = len(registrations(lab))
    proc = run_lbenroll(box, *(BARE if command == "bare" else FULL))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    got = end_state(box, lab)
    if state == "global registration through one proxy" and command == "bare":
        # Adopted: what it was enrolled with is recorded as given (no organization, key or fqdn)
        # and nothing else: no --skip foreman nobody typed (issue 19). The report and the
        # record's comment say why the host record was left alone.
        assert got["record"] == ["server = %s" % BALANCER, "puppet-ca-port = 8141"]
        assert "Foreman host record left alone (no -g)" in proc.stdout, proc.stdout
        assert "--skip foreman" not in proc.stdout, proc.stdout
        assert "#   Foreman host record left alone (no -g)" in box.read_text(RECORD)
        got["record"] = want["record"]
    assert got == want
    assert uuid(box) == before  # never registered again
    assert len(registrations(lab)) == registered
    again = run_lbenroll(box, *BARE + ["--json"])
    assert again.returncode == 0 and '"changed": false' in again.stdout, again.stdout


def test_a_bare_rerun_says_which_options_came_from_the_record_and_writes_nothing(lab, sandbox):
    box = sandbox()
    ok(run_lbenroll(box, *FULL))
    before = guarded_bytes(box)
    proc = ok(run_lbenroll(box, "--server", BALANCER))
    assert ("lbenroll: note: options from /etc/lbenroll/lbenroll.conf: --fqdn, "
            "--puppet-ca-port, --skip") in proc.stderr
    assert guarded_bytes(box) == before


def test_a_fresh_host_is_told_everything_missing_and_nothing_is_touched(lab, sandbox):
    box = sandbox()
    before = guarded_bytes(box)
    proc = run_lbenroll(box, *BARE)
    assert proc.returncode == 2
    assert ("lbenroll: error: -g HOSTGROUP (or --skip foreman) and -a KEY are needed to "
            "register this host") in proc.stderr
    assert guarded_bytes(box) == before


def test_a_consumer_rpm_installed_without_scripts_is_completed(lab, sandbox, reference):
    single_proxy(lab)
    want = end_state(reference(), lab)
    box = sandbox()
    consumer_rpm_from(box, PROXY, noscripts=True)
    # Red Hat's defaults are still in rhsm.conf: registering with them cannot work.
    assert rhsm(box).get("server", "prefix", fallback="/subscription") == "/subscription"
    assert run_lbenroll(box, *BARE).returncode == 2  # not registered: a key is needed
    ok(run_lbenroll(box, *FULL))
    assert end_state(box, lab) == want


def test_another_balancer_than_the_recorded_one_needs_new_capsule(lab, sandbox):
    box = sandbox()
    ok(run_lbenroll(box, *FULL))
    before = guarded_bytes(box)
    proc = run_lbenroll(box, "--server", "lb2.example.test")
    assert proc.returncode == 2
    assert ("this host is enrolled through %s (/etc/lbenroll/lbenroll.conf), not "
            "lb2.example.test" % BALANCER) in proc.stderr
    assert "--new-capsule" in proc.stderr
    assert guarded_bytes(box) == before


# -- kills ----------------------------------------------------------------------------------------

KILL_POINTS = [step.id for step in engine.STEPS if step.id not in ("PREFLIGHT",)]


@pytest.fixture(scope="module")
def uninterrupted(lab):
    """The managed files of one uninterrupted full enrollment through proxy02."""
    box = lab.sandbox("converge-uninterrupted", FQDN)
    try:
        single_proxy(lab)
        yggdrasil_host(box)
        ok(run_lbenroll(box, *FULL))
        return managed_bytes(box)
    finally:
        lab.reset()
        box.remove()


@pytest.mark.parametrize("step", KILL_POINTS)
def test_a_run_killed_before_any_step_converges_on_one_rerun(lab, sandbox, uninterrupted, step):
    single_proxy(lab)
    want = uninterrupted
    box = sandbox()
    yggdrasil_host(box)
    killed = run_lbenroll(box, *FULL, env={engine.KILL_BEFORE_ENV: step})
    assert killed.returncode == -9, killed.stdout + killed.stderr
    registered = len(registrations(lab))
    rerun = run_lbenroll(box, *FULL)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert managed_bytes(box) == want
    assert box.run(["rpm", "-qa", "--qf", "%{NAME}-%{VERSION}-%{RELEASE}\n",
                    "katello-ca-consumer-*"]).stdout.split() == [
        "katello-ca-consumer-%s-1.0-1" % PROXY]
    assert len(registrations(lab)) <= registered + 1  # one consumer at most
    leftovers = [name for name in box.listdir("/etc/rhsm") if name.startswith(".")]
    assert leftovers == []  # no temporary files of an interrupted write


# A repair, a move and a removal killed before each of their steps, then run once more.
WRITING_STEPS = ["INSTALL_CONSUMER_RPM", "KATELLO_SERVER_CA", "CA_TRUST", "RHSM_CONF",
                 "REGISTER", "REDHAT_REPO", "PUPPET_CONF", "YGGDRASIL_CONFIG", "RECORD_OPTIONS"]
SECOND = "lb2.example.test"
MOVE = ["--new-capsule", "--server", SECOND, "--puppet-ca-port", "8141"]
REMOVE = ["--remove", "--skip", "foreman"]


def drifted(box):
    yggdrasil_host(box)
    ok(run_lbenroll(box, *FULL))
    for path in (RHSM_CONF, REDHAT_REPO, PUPPET_CONF, YGGDRASIL):
        box.seed(path, box.read_text(path).replace(BALANCER, PROXY))


@pytest.fixture(scope="module")
def repaired_and_moved(lab):
    """The managed files after an uninterrupted repair of a drifted host, and after a move."""
    found = {}
    for name, action in (("repair", ["repair"]), ("move", MOVE)):
        box = lab.sandbox("converge-%s" % name, FQDN)
        try:
            single_proxy(lab)
            drifted(box)
            ok(run_lbenroll(box, *action))
            found[name] = managed_bytes(box)
        finally:
            lab.reset()
            box.remove()
    return found


@pytest.mark.parametrize("action", ["repair", "move"])
@pytest.mark.parametrize("step", WRITING_STEPS)
def test_a_repair_or_a_move_killed_before_a_step_converges_on_one_rerun(
        lab, sandbox, repaired_and_moved, action, step):
    single_proxy(lab)
    box = sandbox()
    drifted(box)
    argv = ["repair"] if action == "repair" else MOVE
    killed = run_lbenroll(box, *argv, env={engine.KILL_BEFORE_ENV: step})
    assert killed.returncode == -9, killed.stdout + killed.stderr
    ok(run_lbenroll(box, *argv))
    assert managed_bytes(box) == repaired_and_moved[action]


@pytest.mark.parametrize("step", [step.id for step in engine.REMOVE_STEPS])
def test_a_removal_killed_before_a_step_finishes_on_one_rerun(lab, sandbox, step):
    from tests.e2e.test_remove import differences, etc_tree
    box = sandbox()
    before = etc_tree(box)
    ok(run_lbenroll(box, *FULL))
    killed = run_lbenroll(box, *REMOVE, env={engine.KILL_BEFORE_ENV: step})
    assert killed.returncode == -9, killed.stdout + killed.stderr
    ok(run_lbenroll(box, *REMOVE))
    assert differences(before, etc_tree(box)) == {}
    assert box.run(["rpm", "-qa", "katello-ca-consumer-*"]).stdout.split() == []


@pytest.mark.parametrize("step", ["INSTALL_CONSUMER_RPM", "PUPPET_CERT", "PUPPET_ENABLE",
                                  "RECORD_OPTIONS"])
def test_a_foreman_mode_run_killed_before_a_step_makes_one_host_and_one_certificate(
        lab, sandbox, step):
    """bootstrap.py's default mode: a Foreman host record and a Puppet certificate. Killed and
    run again, there is one record and the CA saw one certificate request."""
    from tests.e2e.test_foreman import FOREMAN
    from tests.e2e.test_foreman import PASSWORD
    from tests.e2e.test_puppet import ca_requests
    lab.wait_puppetserver()
    box = sandbox()
    env = {"LBENROLL_PASSWORD": PASSWORD}
    requests_before = [r for r in ca_requests(lab) if "certificate_request" in r]
    killed = run_lbenroll(box, *FOREMAN, env=dict(env, **{engine.KILL_BEFORE_ENV: step}))
    assert killed.returncode == -9, killed.stdout + killed.stderr
    rerun = run_lbenroll(box, *FOREMAN, env=env)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert [h["name"] for h in lab.foreman.hosts()] == [FQDN]
    requests = [r for r in ca_requests(lab) if "certificate_request" in r]
    assert len([r for r in requests if "PUT" in r]) - len(
        [r for r in requests_before if "PUT" in r]) == 1, requests
    assert box.exists("/etc/puppetlabs/puppet/ssl/certs/%s.pem" % FQDN)


# Inside the children: lbenroll dies while (before or just after) the command runs; the child
# goes on, as on a real host where nobody kills rpm when lbenroll dies.
CHILD_KILLS = ["rpm -U:before", "rpm -U:after", "subscription-manager register:before",
               "subscription-manager register:after", "update-ca-trust:before",
               "update-ca-trust:after", "subscription-manager identity:after"]


@pytest.mark.parametrize("kill_at", CHILD_KILLS)
def test_a_run_killed_inside_a_child_converges_on_one_rerun(lab, sandbox, uninterrupted,
                                                            kill_at):
    single_proxy(lab)
    box = sandbox()
    yggdrasil_host(box)
    killed = run_lbenroll(box, *FULL, kill_at=kill_at)
    assert killed.kill is not None, "the command %s never ran" % kill_at
    assert killed.returncode == -9, killed.stdout + killed.stderr
    rerun = run_lbenroll(box, *FULL)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert managed_bytes(box) == uninterrupted
    proc = box.run(["subscription-manager", "identity"])
    assert proc.returncode == 0, proc.stdout + proc.stderr  # registered, once


# -- failures -------------------------------------------------------------------------------------

def failed_run_leaves_everything(box, args, code, words):
    before = guarded_bytes(box)
    proc = run_lbenroll(box, *args)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    for word in words:
        assert word in proc.stdout + proc.stderr
    assert guarded_bytes(box) == before
    return proc


def test_a_refused_registration_rolls_back_the_trust_store_too(lab, sandbox):
    box = sandbox()
    assert box.exists(BUNDLE), "the sandbox has an EL trust store"
    proc = failed_run_leaves_everything(
        box, BARE + ["-o", "NoSuchOrg", "-a", ACTIVATION_KEY, "--skip", "foreman"], 76,
        ["REGISTER", "the host is as it was"])
    assert "paths compared" in proc.stdout


@pytest.mark.parametrize("path,text,line", [
    (RHSM_CONF, "this line is not INI\n[server]\nhostname = x\n", 1),
    (PUPPET_CONF, "[agent]\nserver = x\n<<< merge conflict\n", 3),
])
def test_a_file_its_owner_cannot_parse_stops_the_run_before_anything(lab, sandbox, path, text,
                                                                      line):
    box = sandbox()
    box.seed(path, text)
    failed_run_leaves_everything(box, FULL, 78, [
        "%s line %d cannot be parsed" % (path, line), "correct or remove that line"])
    assert box.run(["rpm", "-qa", "katello-ca-consumer-*"]).stdout.split() == []


def test_candlepin_answering_500_at_registration_rolls_back(lab, sandbox):
    for name in ("proxy01", "proxy02", "proxy03"):
        lab.set_fault(name, rhsm="error500")
    box = sandbox()
    failed_run_leaves_everything(box, FULL, 69, ["REGISTER", "the host is as it was"])


def test_foreman_answering_500_stops_the_run_with_nothing_changed(lab, sandbox):
    for name in ("proxy01", "proxy02", "proxy03"):
        lab.set_fault(name, foreman="error500")
    box = sandbox()
    before = guarded_bytes(box)
    proc = run_lbenroll(box, *BARE + ["-o", "ACME Corp", "-g", "lab/web", "-a", ACTIVATION_KEY,
                                      "--fqdn", FQDN], env={"LBENROLL_PASSWORD": "changeme"})
    assert proc.returncode not in (0, 1, 2), proc.stdout + proc.stderr
    assert "FOREMAN_HOST" in proc.stdout and "500" in proc.stdout
    assert "fix:" in proc.stdout and "Traceback" not in proc.stdout + proc.stderr
    assert "changeme" not in proc.stdout + proc.stderr
    assert guarded_bytes(box) == before


DISK_FULL = r"""
set -e
mkdir -p /etc/rhsm/ca
mount -t tmpfs -o size=8k lab-full /etc/rhsm/ca
dd if=/dev/zero of=/etc/rhsm/ca/filler bs=1k count=8 2>/dev/null || true
python3 -c "$HASHES" > /tmp/before.json
set +e
"$@"
echo "exit $?"
python3 -c "$HASHES" > /tmp/after.json
cmp -s /tmp/before.json /tmp/after.json && echo "guarded: same" || echo "guarded: DIFFER"
"""
HASHES = r"""
import hashlib, json, os
out = {}
for top in ("/etc", "/root/.ssh", "/var/lib/rhsm"):
    for d, dirs, files in os.walk(top):
        dirs.sort()
        for name in sorted(files):
            p = os.path.join(d, name)
            if os.path.isfile(p) and not os.path.islink(p):
                with open(p, "rb") as f:
                    out[p] = hashlib.sha256(f.read()).hexdigest()
print(json.dumps(out, sort_keys=True))
"""


def test_a_full_disk_rolls_back_and_says_so(lab, sandbox):
    # /etc/rhsm/ca on a tmpfs that is already full: writing the CA fails with ENOSPC.
    box = sandbox()
    proc = box.run(["/bin/sh", "-c", DISK_FULL, "disk-full", sys.executable, "-m", "lbenroll"]
                   + FULL, env={"PYTHONPATH": REPO, "HASHES": HASHES})
    assert "exit 73" in proc.stdout, proc.stdout + proc.stderr
    assert "KATELLO_SERVER_CA" in proc.stdout and "No space left on device" in proc.stdout
    assert "fix: check free space" in proc.stdout
    assert "the host is as it was" in proc.stdout
    assert "guarded: same" in proc.stdout, proc.stdout


def test_a_failing_dnf_rolls_back(lab, sandbox):
    # No proxy serves the repository any more: `dnf update` cannot read its metadata.
    for name in ("proxy01", "proxy02", "proxy03"):
        lab.remove_content(name, "/ACME/Library/custom/Lab/hello")
    box = sandbox()
    failed_run_leaves_everything(box, FULL + ["-u"], 1, ["UPDATE", "the host is as it was"])


# -- the lock -------------------------------------------------------------------------------------

RACE = r"""
import subprocess, sys, time
argv = [sys.executable, "-m", "lbenroll"] + sys.argv[2:]
procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True) for _ in range(int(sys.argv[1]))]
for proc in procs:
    start = time.monotonic()
    out, err = proc.communicate()
    print("%d\t%s" % (proc.returncode, (out + err).replace("\n", " | ")))
"""


def test_simultaneous_runs_one_enrolls_the_others_wait_their_turn(lab, sandbox):
    box = sandbox()
    proc = box.run([sys.executable, "-c", RACE, "8"] + FULL,
                   env={"PYTHONPATH": REPO}, timeout=600)
    assert proc.returncode == 0, proc.stderr
    rows = [line.split("\t", 1) for line in proc.stdout.splitlines()]
    codes = sorted(int(code) for code, _ in rows)
    assert codes == [0] + [75] * 7, proc.stdout
    for code, text in rows:
        assert "Traceback" not in text
        if code == "75":
            assert "another lbenroll run is in progress" in text


def test_the_lock_directory_race_is_never_a_write_error(tmp_path):
    """N processes take the lock of a root whose /var/lib/lbenroll does not exist yet: exactly
    one holds it, every other is told another run is in progress (never 'cannot create')."""
    script = r"""
import sys, time
from lbenroll.context import Context
from lbenroll.errors import LbenrollError
from lbenroll.lock import RunLock
try:
    with RunLock(Context(root=sys.argv[1])):
        print("held", flush=True)
        sys.stdin.read()
except LbenrollError as exc:
    print("%d %s" % (exc.exit_code, exc.message), flush=True)
"""
    for attempt in range(20):
        root = tmp_path / str(attempt)
        root.mkdir()
        procs = [subprocess.Popen([sys.executable, "-c", script, str(root)], cwd=REPO,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  universal_newlines=True) for _ in range(8)]
        lines = []
        for proc in procs:
            # The losers answer at once; the one that holds the lock waits for its stdin.
            line = proc.stdout.readline().strip()
            lines.append(line)
        for proc in procs:
            proc.stdin.close()
            proc.wait(timeout=30)
        assert sorted(lines)[-1] == "held" and lines.count("held") == 1, lines
        assert all(line.startswith("75 another lbenroll run is in progress")
                   for line in lines if line != "held"), lines


HOLD_THE_LOCK = r"""
import fcntl, os, subprocess, sys, time
os.makedirs("/var/lib/lbenroll", exist_ok=True)
fd = os.open("/var/lib/lbenroll/lock", os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)  # a manual run holds the lock
start = time.monotonic()
proc = subprocess.run([sys.executable, "-m", "lbenroll"] + sys.argv[1:],
                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
print("%d %.2f %s" % (proc.returncode, time.monotonic() - start, proc.stdout))
"""


@pytest.mark.parametrize("command", [["repair"], BARE])
def test_the_repair_timer_during_a_manual_run_waits_its_turn(lab, sandbox, command):
    box = sandbox()
    ok(run_lbenroll(box, *FULL))
    before = guarded_bytes(box)
    proc = box.run([sys.executable, "-c", HOLD_THE_LOCK] + command, env={"PYTHONPATH": REPO})
    code, seconds, output = proc.stdout.split(" ", 2)
    assert int(code) == 75, proc.stdout + proc.stderr
    assert float(seconds) < 1.0
    assert "another lbenroll run is in progress" in output and "Traceback" not in output
    assert guarded_bytes(box) == before


READ_ONLY_AT_REGISTER = r"""
set -e
cp /usr/sbin/subscription-manager /usr/sbin/subscription-manager.lab
cat > /usr/sbin/subscription-manager <<'EOS'
#!/bin/sh
# /etc turns read-only just as the host registers (a filesystem error, an admin's remount).
if [ "$1" = register ]; then mount -o remount,ro /etc; fi
exec /usr/sbin/subscription-manager.lab "$@"
EOS
chmod 755 /usr/sbin/subscription-manager
set +e
"$@"
echo "exit $?"
"""


def test_etc_turning_read_only_mid_run_is_reported_path_by_path(lab, sandbox):
    # Nothing can put /etc back while it is read-only: the run must say exactly what differs
    # and why, and never that the host is as it was.
    box = sandbox()
    proc = box.run(["/bin/sh", "-c", READ_ONLY_AT_REGISTER, "read-only", sys.executable, "-m",
                    "lbenroll"] + FULL, env={"PYTHONPATH": REPO})
    out = proc.stdout
    assert "Traceback" not in out + proc.stderr
    assert "failed    REGISTER" in out and "failed    ROLLBACK" in out, out
    assert "NOT as it was: /etc/rhsm/rhsm.conf" in out or "NOT undone: restore /etc" in out, out
    assert "Read-only file system" in out
    assert "the host is as it was" not in out
    code = int(out.rsplit("exit ", 1)[1].split()[0])
    assert code not in (0, 3)
