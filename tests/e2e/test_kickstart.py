"""The kickstart %post snippets, run as anaconda runs them, in a sandboxed host without systemd:
the stand-in systemctl answers `offline` and logs every call. lbenroll is installed by the
snippet's own dnf command from a lab repository."""
import os
import re
import shlex

from tests.e2e import lbenroll_package
from tests.e2e.test_enroll import REPO, rhsm
from tests.lab.lab import ACTIVATION_KEY, BALANCER, ORG

KICKSTART = os.path.join(REPO, "packaging", "kickstart")
SYSTEMCTL_LOG = "/var/log/lab-systemctl.log"
# The nochroot %post sees the installed system at /mnt/sysimage: here the sandbox's own root,
# bound there inside its private mount namespace (a tmpfs on /mnt keeps the host's /mnt clean).
SYSIMAGE = ("mount -t tmpfs lab-sysimage /mnt && mkdir /mnt/sysimage && "
            "mount --rbind / /mnt/sysimage && exec /bin/sh \"$0\"")


def post_script(name, tmp_path, **settings):
    """The body of the snippet's %post block with its settings lines set, as a file."""
    with open(os.path.join(KICKSTART, name)) as f:
        text = f.read()
    body = re.search(r"^%post\b[^\n]*\n(.*?)^%end$", text, re.S | re.M).group(1)
    for key, value in settings.items():
        body, count = re.subn(r"^%s=.*$" % key, "%s=%s" % (key, shlex.quote(value)), body,
                              flags=re.M)
        assert count == 1, key
    path = tmp_path / name.replace(".ks", ".sh")
    path.write_text(body)
    return str(path)


def lab_settings(lab, **more):
    settings = {"LBENROLL_SERVER": BALANCER, "LBENROLL_ORG": ORG,
                "LBENROLL_ACTIVATIONKEY": ACTIVATION_KEY, "LBENROLL_FQDN": "client01.example.test",
                "LBENROLL_OPTIONS": "--skip foreman --puppet-ca-port 8141",
                "LBENROLL_REPO_URL": lbenroll_package.rpm_repository(lab)}
    settings.update(more)
    return settings


def assert_enrolled(box, proc):
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "lbenroll-ks: enrolled through %s" % BALANCER in proc.stdout
    assert ACTIVATION_KEY not in proc.stdout + proc.stderr
    assert rhsm(box).get("server", "hostname") == BALANCER
    assert box.exists("/etc/pki/consumer/cert.pem")
    assert "server = %s" % BALANCER in box.read_text("/etc/lbenroll/lbenroll.conf")


def systemctl_calls(box):
    return box.read_text(SYSTEMCTL_LOG).splitlines() if box.exists(SYSTEMCTL_LOG) else []


def assert_nothing_started(calls):
    """Only enabling (ours) and try-restart (the consumer RPM's %post: restarts only what runs)."""
    verbs = {[word for word in call.split()[1:] if not word.startswith("-")][0] for call in calls}
    assert verbs <= {"enable", "try-restart"}, calls


def test_post_installs_lbenroll_enrolls_and_only_enables_the_repair_timer(lab, sandbox, tmp_path):
    box = sandbox()
    script = post_script("lbenroll-post.ks", tmp_path, **lab_settings(lab))
    proc = box.run(["/bin/sh", script], timeout=300)
    assert_enrolled(box, proc)
    assert box.run(["rpm", "-q", "lbenroll"]).returncode == 0
    assert box.exists("/usr/lib/systemd/system/lbenroll-repair.timer")
    assert "systemctl enable lbenroll-repair.timer" in systemctl_calls(box)
    assert_nothing_started(systemctl_calls(box))


def test_nochroot_post_manages_the_installed_system_through_root(lab, sandbox, tmp_path):
    box = sandbox()
    script = post_script("lbenroll-post-nochroot.ks", tmp_path, **lab_settings(lab))
    proc = box.run(["/bin/sh", "-c", SYSIMAGE, script], timeout=300)
    assert_enrolled(box, proc)
    log = box.read_text("/var/log/lbenroll.log")
    assert "root /mnt/sysimage," in log
    assert "running: chroot /mnt/sysimage subscription-manager register" in log
    assert box.run(["rpm", "-q", "lbenroll"]).returncode == 0
    assert "systemctl --root=/mnt/sysimage enable lbenroll-repair.timer" in systemctl_calls(box)
    assert_nothing_started(systemctl_calls(box))


def test_nochroot_post_runs_a_given_lbenroll_without_installing_it(lab, sandbox, tmp_path):
    command = tmp_path / "lbenroll-from-media"
    command.write_text(lbenroll_package.entry_point_script())
    command.chmod(0o755)
    box = sandbox()
    script = post_script("lbenroll-post-nochroot.ks", tmp_path, **lab_settings(
        lab, LBENROLL=str(command), LBENROLL_REPO_URL="", LBENROLL_REPAIR_TIMER="no"))
    proc = box.run(["/bin/sh", "-c", SYSIMAGE, script], timeout=300)
    assert_enrolled(box, proc)
    assert box.run(["rpm", "-q", "lbenroll"]).returncode != 0
    # rhsmcertd is enabled (its start deferred); the repair timer is not, as asked.
    assert not any("lbenroll-repair" in call for call in systemctl_calls(box))
    assert_nothing_started(systemctl_calls(box))


def test_post_with_the_katello_ca_embedded_downloads_verified_against_it(lab, sandbox, tmp_path):
    box = sandbox()
    script = post_script("lbenroll-post.ks", tmp_path, **lab_settings(
        lab, LBENROLL_OPTIONS="--skip foreman --puppet-ca-port 8141 --verbose"))
    with open(lab.ca.cert) as f:
        pem = f.read().strip()
    with open(script) as f:
        body = f.read()
    empty = "LBENROLL_CA_PEM=$(cat <<'LBENROLL_CA'\nLBENROLL_CA\n)"
    assert empty in body
    with open(script, "w") as f:
        f.write(body.replace(empty, empty.replace("\nLBENROLL_CA\n", "\n%s\nLBENROLL_CA\n" % pem)))
    proc = box.run(["/bin/sh", script], timeout=300)
    assert_enrolled(box, proc)
    assert "HTTPS verified against the Katello CA" in proc.stdout
    assert box.read_text("/root/lbenroll-katello-ca.pem").strip() == pem
    assert os.stat(box.host_path("/root/lbenroll-katello-ca.pem")).st_mode & 0o077 == 0


def test_a_plain_http_repository_without_a_signing_key_is_refused(lab, sandbox, tmp_path):
    # Nothing would vouch for the package root installs: dnf is not even asked.
    box = sandbox()
    for name, wrap in (("lbenroll-post.ks", []), ("lbenroll-post-nochroot.ks",
                                                   ["-c", SYSIMAGE])):
        script = post_script(name, tmp_path, **lab_settings(
            lab, LBENROLL_REPO_URL="http://%s/lbenroll" % BALANCER))
        proc = box.run(["/bin/sh"] + wrap + [script], timeout=300)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "lbenroll-ks: LBENROLL_REPO_URL is not https:// or file:// and no " \
               "LBENROLL_REPO_GPGKEY is given" in proc.stderr
        assert box.run(["rpm", "-q", "lbenroll"]).returncode != 0
        assert not box.exists("/etc/lbenroll/lbenroll.conf")
