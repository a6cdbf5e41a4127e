"""--rex-user end to end against a user who plays with links, and --remove after an
administrator added a key: root's files stay untouched, only lbenroll's key lines go."""
import os

from tests.e2e.test_enroll import ENROLL, lbenroll, statuses
from tests.e2e.test_rex import REX_GID, REX_HOME, REX_UID, REX_USER, key_lines
from tests.lab.lab import BALANCED_PROXIES

ROOT_KEYS = "/root/.ssh/authorized_keys"
ANCHORS = "/etc/pki/ca-trust/source/anchors"
ADMIN_KEY = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f "
             "admin@example")
ROOT_OWN = "# root's own\n" + ADMIN_KEY + "\n"
REMOVE = ["--remove", "--skip", "foreman", "--json"]


def add_user(box, home):
    box.seed("/etc/passwd", box.read_text("/etc/passwd") + "%s:x:%d:%d::%s:/bin/sh\n" % (
        REX_USER, REX_UID, REX_GID, home))
    box.seed("/etc/group", box.read_text("/etc/group") + "%s:x:%d:\n" % (REX_USER, REX_GID))


def user_home(box):
    """REX_HOME in the sandbox, owned by the user (so a link in it is hers)."""
    add_user(box, REX_HOME)
    box.seed_dir(REX_HOME)
    os.chown(box.host_path(REX_HOME), REX_UID, REX_GID)


def enroll_rex(box):
    return lbenroll(box, *(ENROLL + ["--json", "--rex", "--rex-user", REX_USER]))


def rex_result(report):
    return [r for r in report["results"] if r["id"] == "REX_KEYS"][0]


def listing(box, directory):
    """{name: bytes} of a sandbox directory's files."""
    return {name: box.read(os.path.join(directory, name)) for name in box.listdir(directory)}


def assert_refused(proc, link):
    assert proc.returncode == 73, proc.stdout + proc.stderr
    rex = rex_result(proc.report)
    assert rex["status"] == "failed", rex
    assert link in rex["summary"] and "symbolic link" in rex["summary"], rex


def test_ssh_dir_linked_to_the_trust_anchors_gets_nothing_there(lab, sandbox):
    box = sandbox()
    user_home(box)
    box.seed_symlink(REX_HOME + "/.ssh", ANCHORS)
    os.lchown(box.host_path(REX_HOME + "/.ssh", follow_symlinks=False), REX_UID, REX_GID)
    anchors = listing(box, ANCHORS)

    proc = enroll_rex(box)
    assert_refused(proc, REX_HOME + "/.ssh")
    assert not box.exists(ANCHORS + "/authorized_keys")
    assert listing(box, ANCHORS) == anchors


def test_authorized_keys_linked_to_roots_keys_leaves_them(lab, sandbox):
    box = sandbox()
    user_home(box)
    box.seed(ROOT_KEYS, ROOT_OWN, mode=0o600)
    box.seed_dir(REX_HOME + "/.ssh", 0o700)
    os.chown(box.host_path(REX_HOME + "/.ssh"), REX_UID, REX_GID)
    box.seed_symlink(REX_HOME + "/.ssh/authorized_keys", ROOT_KEYS)
    before = box.snapshot(["/root/.ssh"])

    proc = enroll_rex(box)
    assert_refused(proc, REX_HOME + "/.ssh/authorized_keys")
    assert box.read_text(ROOT_KEYS) == ROOT_OWN
    assert box.snapshot(["/root/.ssh"]) == before


def test_ssh_dir_that_becomes_a_link_mid_run_gets_nothing_of_roots(lab, sandbox):
    """The lab's proxies swap ~/.ssh for a link to root's .ssh while lbenroll fetches the keys,
    after REX_KEYS looked at the path: the write meets the link. The home is outside the
    sandbox's overlays, so the proxies (on the host) change what lbenroll sees."""
    box = sandbox()
    home = os.path.join(box.root, "rexhome")
    os.makedirs(home + "/.ssh")
    os.chown(home, REX_UID, REX_GID)
    os.chown(home + "/.ssh", REX_UID, REX_GID)
    os.chmod(home + "/.ssh", 0o700)
    add_user(box, home)
    box.seed(ROOT_KEYS, ROOT_OWN, mode=0o600)
    for name in BALANCED_PROXIES:
        lab.set_fault(name, pubkey_swap={"path": home + "/.ssh", "link": "/root/.ssh"})
    before = box.snapshot(["/root/.ssh"])

    proc = enroll_rex(box)
    assert os.path.isdir(home + "/.ssh.moved")  # the swap happened during the run
    assert_refused(proc, home + "/.ssh")
    assert box.read_text(ROOT_KEYS) == ROOT_OWN
    assert box.snapshot(["/root/.ssh"]) == before
    assert os.listdir(home + "/.ssh.moved") == []


def test_remove_keeps_an_administrators_key_added_after_the_enrollment(lab, sandbox):
    box = sandbox()
    user_home(box)
    proc = enroll_rex(box)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    path = REX_HOME + "/.ssh/authorized_keys"
    assert len(key_lines(box, path)) == len(BALANCED_PROXIES)
    # The administrator appends a key, as root, the way people do.
    added = box.run(["/bin/sh", "-c", "echo '%s' >> %s" % (ADMIN_KEY, path)])
    assert added.returncode == 0, added.stderr

    removal = lbenroll(box, *REMOVE)
    assert removal.returncode == 0, removal.stdout + removal.stderr
    assert box.exists(path), "the administrator's key went with the file"
    assert box.read_text(path) == ADMIN_KEY + "\n"
    assert statuses(removal.report)["REMOVE_REX_KEYS"] == "changed"
    st = os.stat(box.host_path(path))
    assert (st.st_mode & 0o777, st.st_uid, st.st_gid) == (0o600, REX_UID, REX_GID)
    assert not box.exists("/var/lib/lbenroll/rex-keys.json")
