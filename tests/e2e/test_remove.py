"""`lbenroll --remove` end to end: enrolled sandboxes go back to their original /etc."""
import hashlib
import json
import os
import stat
import sys

import pytest

from tests.e2e.test_enroll import ENROLL, REPO, statuses
from tests.lab.foreman import PASSWORD
from tests.lab.lab import BALANCER

FQDN = "client01.example.test"
CONTENT_ONLY = ["--remove", "--skip", "foreman", "--json"]
FOREMAN_ENROLL = ["-s", BALANCER, "-o", "ACME Corp", "-g", "lab/web", "-L", "Lab", "-a", "ak-lab",
                  "--puppet-ca-port", "8141", "--fqdn", FQDN, "--json"]
FOREMAN_REMOVE = ["--remove", "-s", BALANCER, "--fqdn", FQDN, "--json"]


def lbenroll(box, *args):
    """The real lbenroll in the sandbox (the API password from the environment); the report."""
    argv = [sys.executable, "-m", "lbenroll"] + list(args)
    proc = box.run(argv, env={"PYTHONPATH": REPO, "LBENROLL_PASSWORD": PASSWORD}, timeout=300)
    proc.report = json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else None
    return proc


def ok(proc):
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.report


def etc_tree(box):
    """/etc as {path: (type, content digest or link target, mode, uid, gid)}, directories too:
    a removal must leave no file, link or directory behind, and put back metadata as well."""
    tree = {}

    def walk(path):
        st = os.lstat(box.host_path(path, follow_symlinks=False))
        if stat.S_ISDIR(st.st_mode):
            what = ("dir", None)
            for name in box.listdir(path):
                walk(os.path.join(path, name))
        elif stat.S_ISLNK(st.st_mode):
            what = ("link", os.readlink(box.host_path(path, follow_symlinks=False)))
        else:
            what = ("file", hashlib.sha256(box.read(path)).hexdigest())
        tree[path] = what + (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)

    walk("/etc")
    return tree


def differences(before, after):
    return {path: (before.get(path), after.get(path)) for path in set(before) | set(after)
            if before.get(path) != after.get(path)}


def identity(box):
    proc = box.run(["subscription-manager", "identity"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout.split("system identity:")[1].split()[0]


def consumer_deleted(lab, uuid):
    with open(os.path.join(lab.state_dir, "consumers", uuid + ".json")) as f:
        return json.load(f)["deleted"] is not None


def consumer_packages(box):
    return box.run(["rpm", "-qa", "katello-ca-consumer-*"]).stdout.split()


def all_unchanged(report):
    return {i: s for i, s in statuses(report).items() if s not in ("unchanged", "skipped")}


@pytest.mark.parametrize("layout", ["current", "pulp2"])
def test_content_only_enrollment_is_removed_to_the_original_etc(lab, sandbox, layout):
    lab.set_layout(layout)
    box = sandbox()
    before = etc_tree(box)
    ok(lbenroll(box, *ENROLL + ["--json"]))
    uuid = identity(box)
    assert consumer_packages(box)
    # Kept for a rollback that reinstalls a package a later run replaces.
    assert box.listdir("/var/lib/lbenroll/consumer-rpm")
    # The admin turned the repair timer on (the RPM ships it disabled).
    assert box.run(["systemctl", "enable", "lbenroll-repair.timer"]).returncode == 0

    report = ok(lbenroll(box, *CONTENT_ONLY))
    assert statuses(report)["UNREGISTER"] == "changed"
    assert statuses(report)["FOREMAN_HOST_DELETE"] == "skipped"
    assert statuses(report)["DISABLE_REPAIR_TIMER"] == "changed"
    assert box.run(["systemctl", "is-enabled", "lbenroll-repair.timer"]).returncode == 1
    assert differences(before, etc_tree(box)) == {}
    assert consumer_deleted(lab, uuid)
    assert consumer_packages(box) == []
    restore = [r for r in report["results"] if r["id"] == "RESTORE_FILES"][0]
    assert "/etc/rhsm/rhsm.conf" in restore["data"]["restored"]
    assert {"/etc/rhsm/ca/katello-server-ca.pem",
            "/etc/lbenroll/lbenroll.conf"} <= set(restore["data"]["removed"])
    # The package's scriptlets never ran: there was no rhsm.conf.kat-backup to remove.
    assert "/etc/rhsm/rhsm.conf.kat-backup" not in restore["data"]["removed"]
    assert not box.exists("/var/lib/lbenroll/backup/etc")
    assert not box.exists("/var/lib/lbenroll/consumer-rpm")

    again = ok(lbenroll(box, *CONTENT_ONLY))
    assert all_unchanged(again) == {}
    assert differences(before, etc_tree(box)) == {}


def test_foreman_mode_removal_deletes_the_host_record(lab, sandbox):
    lab.wait_puppetserver()  # Foreman mode installs puppet-agent and gets its certificate
    box = sandbox()
    before = etc_tree(box)
    ok(lbenroll(box, *FOREMAN_ENROLL))
    [host] = lab.foreman.hosts()
    uuid = identity(box)

    assert box.exists("/etc/puppetlabs/puppet/ssl")

    report = ok(lbenroll(box, *FOREMAN_REMOVE))
    assert statuses(report)["FOREMAN_HOST_DELETE"] == "changed"
    assert statuses(report)["CLEAN_PUPPET"] == "changed"
    assert box.run(["rpm", "-q", "puppet-agent"]).returncode != 0
    assert lab.foreman.hosts() == []
    deletes = [(r["method"], r["path"]) for r in lab.foreman.requests()
               if r["method"] == "DELETE"]
    assert deletes == [("DELETE", "/api/v2/hosts/%s" % host["id"])]
    assert consumer_deleted(lab, uuid) and consumer_packages(box) == []
    assert differences(before, etc_tree(box)) == {}
    assert PASSWORD not in json.dumps(report)

    # The Katello CA is gone now: the second run trusts the one in the balancer's RPM.
    again = ok(lbenroll(box, *FOREMAN_REMOVE))
    assert all_unchanged(again) == {}
    assert differences(before, etc_tree(box)) == {}


def test_dry_run_removal_changes_nothing(lab, sandbox):
    box = sandbox()
    ok(lbenroll(box, *ENROLL + ["--json"]))
    before = etc_tree(box)
    store = box.snapshot(["/var/lib/lbenroll/backup"])
    uuid = identity(box)

    report = ok(lbenroll(box, *CONTENT_ONLY + ["--dry-run"]))
    assert report["dry_run"] and statuses(report)["RESTORE_FILES"] == "changed"
    restore = [r for r in report["results"] if r["id"] == "RESTORE_FILES"][0]
    assert "/etc/rhsm/rhsm.conf" in restore["data"]["restored"]
    assert "+hostname = subscription.rhsm.redhat.com" in restore["diff"]
    assert any("subscription-manager unregister" in c for c in report["would_run"])
    assert differences(before, etc_tree(box)) == {}
    assert box.snapshot(["/var/lib/lbenroll/backup"]) == store
    assert not consumer_deleted(lab, uuid) and consumer_packages(box)


def test_unregister_failure_stops_before_anything_else_changes(lab, sandbox):
    box = sandbox()
    ok(lbenroll(box, *ENROLL + ["--json"]))
    before = etc_tree(box)
    for name in ("proxy01", "proxy02", "proxy03"):
        lab.set_fault(name, rhsm="unavailable")
    proc = lbenroll(box, *CONTENT_ONLY)
    assert proc.returncode == 69, proc.stdout + proc.stderr
    assert statuses(proc.report)["UNREGISTER"] == "failed"
    assert statuses(proc.report)["RESTORE_FILES"] == "skipped"
    assert differences(before, etc_tree(box)) == {}


RHSM_CONF = "/etc/rhsm/rhsm.conf"
ADMIN_COMMENT = "# kept by the admin: the lab's proxies time out late\n"
ADMIN_KEY = "lbenroll_e2e_admin_key = 300\n"


def edit(box, path, text):
    """Rewrite a file in the sandbox in place, as an administrator's editor would."""
    proc = box.run([sys.executable, "-c", "import sys; open(sys.argv[1], 'w').write("
                    "sys.stdin.read())", path], input=text)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def after_line(text, anchor, added):
    """text with added inserted after its line anchor (which must be there once)."""
    lines = text.splitlines(True)
    assert lines.count(anchor) == 1, (anchor, text)
    at = lines.index(anchor) + 1
    return "".join(lines[:at] + [added] + lines[at:])


def test_removal_keeps_the_admins_edits_made_after_the_enrollment(lab, sandbox):
    """lbenroll's edits of rhsm.conf are taken back; the comment and the key an administrator
    added after the enrollment stay (issue 18: --remove used to put back the whole file)."""
    box = sandbox()
    original = box.read_text(RHSM_CONF)
    ok(lbenroll(box, *ENROLL + ["--json"]))
    enrolled = box.read_text(RHSM_CONF)
    assert enrolled != original and ADMIN_KEY not in enrolled
    # The admin's comment goes right below [server], next to the hostname lbenroll set; the
    # key at the end of the file.
    edit(box, RHSM_CONF, after_line(enrolled, "[server]\n", ADMIN_COMMENT) + ADMIN_KEY)

    report = ok(lbenroll(box, *CONTENT_ONLY))
    assert box.read_text(RHSM_CONF) == after_line(original, "[server]\n", ADMIN_COMMENT) \
        + ADMIN_KEY
    restore = [r for r in report["results"] if r["id"] == "RESTORE_FILES"][0]
    assert restore["data"]["reverted"] == [RHSM_CONF] and restore["data"]["left"] == []
    assert not box.exists("/var/lib/lbenroll/backup/etc")

    again = ok(lbenroll(box, *CONTENT_ONLY))
    assert all_unchanged(again) == {}
    assert box.read_text(RHSM_CONF) == after_line(original, "[server]\n", ADMIN_COMMENT) \
        + ADMIN_KEY


def test_removal_leaves_a_file_alone_where_the_admin_changed_what_lbenroll_changed(lab, sandbox):
    """The admin changed the content URL lbenroll had set: rhsm.conf is left as it is, with a
    note naming it and what to do, and exit 3; its copies stay in the store for that."""
    box = sandbox()
    original = box.read_text(RHSM_CONF)
    ok(lbenroll(box, *ENROLL + ["--json"]))
    enrolled = box.read_text(RHSM_CONF)
    baseurl = [line for line in enrolled.splitlines(True) if line.startswith("baseurl")]
    assert baseurl and BALANCER in baseurl[0] and baseurl[0] not in original
    edited = enrolled.replace(baseurl[0], "baseurl = https://mirror.example.test/pulp/content\n",
                              1)
    edit(box, RHSM_CONF, edited)

    proc = lbenroll(box, *CONTENT_ONLY)
    assert box.read_text(RHSM_CONF) == edited
    assert proc.returncode == 3, proc.stdout + proc.stderr
    restore = [r for r in proc.report["results"] if r["id"] == "RESTORE_FILES"][0]
    assert restore["status"] == "warning" and restore["data"]["left"] == [RHSM_CONF]
    assert any(RHSM_CONF in line and "/var/lib/lbenroll/backup" in line
               for line in restore["detail"])
    assert box.read_text(RHSM_CONF) == edited
    assert box.exists("/var/lib/lbenroll/backup" + RHSM_CONF)
    assert box.exists("/var/lib/lbenroll/backup/last-written" + RHSM_CONF)
