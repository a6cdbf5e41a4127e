"""--rex with an SSH CA: the proxies publish it at :9090/ssh/ca_pubkey, lbenroll has sshd trust
it, and a certificate the CA signed logs in to a real sshd after the enrollment, not before.

The sshd runs inside the client's sandbox (its mount namespace: /etc/ssh is the files lbenroll
wrote there), in the foreground on a port of its own on 127.0.0.1, with its own host key. No
systemd runs in a sandbox, so lbenroll's reload is deferred ("reads it when it starts") and the
test restarts its sshd, as systemd would reload the real one.
"""
import os
import socket
import subprocess

import pytest

from tests.e2e.test_enroll import enroll, statuses
from tests.e2e.test_remove import CONTENT_ONLY, lbenroll as remove_lbenroll, ok
from tests.lab.daemon import Daemon

CA_FILE = "/etc/ssh/foreman-user-ca.pub"
DROPIN = "/etc/ssh/sshd_config.d/60-foreman-user-ca.conf"
SSHD_CONFIG = "/etc/ssh/sshd_config"
HOST_KEY = "/etc/ssh/lab_rex_host_ed25519_key"
AUTHORIZED_KEYS = "/root/.ssh/authorized_keys"
LOOPBACK = "127.0.0.1"


def free_port():
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def keygen(*args):
    subprocess.run(["ssh-keygen", "-q"] + list(args), check=True, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL)


@pytest.fixture
def keys(tmp_path):
    """An SSH CA, a user key with a certificate it signed for root, and a host key."""
    keygen("-t", "ed25519", "-N", "", "-C", "lab-rex-ca", "-f", str(tmp_path / "ca"))
    keygen("-t", "ed25519", "-N", "", "-C", "proxy-rex", "-f", str(tmp_path / "id"))
    keygen("-s", str(tmp_path / "ca"), "-I", "lab-rex", "-n", "root", str(tmp_path / "id.pub"))
    keygen("-t", "ed25519", "-N", "", "-f", str(tmp_path / "host"))
    assert (tmp_path / "id-cert.pub").exists()
    return tmp_path


def sshd_config(port, include):
    """A host's sshd_config: EL9's layout (Include first) or EL8's (none)."""
    lines = ["Include /etc/ssh/sshd_config.d/*.conf"] if include else []
    lines += ["Port %d" % port, "ListenAddress %s" % LOOPBACK, "HostKey %s" % HOST_KEY,
              "PidFile none", "UsePAM no", "PermitRootLogin prohibit-password",
              "PasswordAuthentication no", "KbdInteractiveAuthentication no",
              "# a Match block, as many hosts have: what lbenroll adds must come before it",
              "Match User nobody", "    PermitTTY no"]
    return "\n".join(lines) + "\n"


class Sshd(object):
    """A real sshd in the sandbox, in the foreground (-D), logging to stderr (-e)."""

    def __init__(self, box, port, log):
        self.box, self.port, self.log = box, port, log
        self.daemon = None

    def start(self):
        argv = self.box.command(["/usr/sbin/sshd", "-D", "-e", "-f", SSHD_CONFIG])
        self.daemon = Daemon("sshd", argv, self.log, env=self.box.environment()).start()
        self.daemon.wait_port(LOOPBACK, self.port)
        return self

    def stop(self):
        if self.daemon is not None:
            self.daemon.stop()


def login(keys, port):
    """ssh to the sandbox's sshd as root with the CA-signed certificate only."""
    return subprocess.run(
        ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
         "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "ConnectTimeout=10", "-i", str(keys / "id"),
         "-o", "CertificateFile=%s" % (keys / "id-cert.pub"), "-p", str(port),
         "root@%s" % LOOPBACK, "hostname"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("include", [True, False], ids=["el9-drop-in", "el8-no-include"])
def test_a_ca_signed_certificate_logs_in_after_the_enrollment_and_not_before(
        lab, sandbox, keys, include):
    box = sandbox()
    port = free_port()
    box.seed(HOST_KEY, (keys / "host").read_bytes(), mode=0o600)
    box.seed(SSHD_CONFIG, sshd_config(port, include).encode(), mode=0o600)
    original_config = box.read(SSHD_CONFIG)
    log = str(keys / "sshd.log")
    sshd = Sshd(box, port, log).start()
    try:
        before = login(keys, port)
        assert before.returncode == 255 and "Permission denied" in before.stderr, before

        ca_line = (keys / "ca.pub").read_text().strip()
        lab.set_ssh_ca(ca_line + "\n")
        report = enroll(box, "--rex")
        rex_ca = [r for r in report["results"] if r["id"] == "REX_CA"][0]
        assert rex_ca["status"] == "changed", rex_ca
        assert "sshd reads it when it starts" in rex_ca["summary"], rex_ca
        assert box.read_text(CA_FILE) == ca_line + "\n"
        assert oct(os.stat(box.host_path(CA_FILE)).st_mode & 0o777) == oct(0o644)
        if include:
            assert box.read_text(DROPIN).splitlines()[-1] == "TrustedUserCAKeys %s" % CA_FILE
            assert oct(os.stat(box.host_path(DROPIN)).st_mode & 0o777) == oct(0o600)
            assert box.read(SSHD_CONFIG) == original_config
        else:
            assert not box.exists(DROPIN)
            text = box.read_text(SSHD_CONFIG)
            assert text.splitlines()[1] == "TrustedUserCAKeys %s" % CA_FILE
            assert text.endswith(original_config.decode())
        # Every proxy signs with the CA: no per-proxy key is needed.
        assert statuses(report)["REX_KEYS"] == "unchanged"
        assert not box.exists(AUTHORIZED_KEYS)

        sshd.stop()  # what `systemctl try-reload-or-restart sshd` does on a host with systemd
        sshd.start()
        after = login(keys, port)
        assert after.returncode == 0, after
        assert after.stdout.strip() == "client01.example.test"  # the sandbox's sshd answered

        # A repair run changes nothing: same bytes, no write.
        snapshot = box.snapshot([CA_FILE, SSHD_CONFIG] + ([DROPIN] if include else []))
        again = enroll(box, "--rex")
        assert statuses(again)["REX_CA"] == "unchanged"
        assert box.snapshot([CA_FILE, SSHD_CONFIG] + ([DROPIN] if include else [])) == snapshot

        # --remove takes it back, and the certificate no longer logs in.
        removal = ok(remove_lbenroll(box, *CONTENT_ONLY))
        assert {r["id"]: r["status"] for r in removal["results"]}["REMOVE_REX_CA"] in (
            "unchanged", "changed")
        assert not box.exists(CA_FILE) and not box.exists(DROPIN)
        assert box.read(SSHD_CONFIG) == original_config
        sshd.stop()
        sshd.start()
        gone = login(keys, port)
        assert gone.returncode == 255 and "Permission denied" in gone.stderr, gone
    finally:
        sshd.stop()


def test_proxies_without_a_ca_keep_the_per_proxy_keys(lab, sandbox):
    box = sandbox()
    report = enroll(box, "--rex")
    assert statuses(report)["REX_CA"] == "unchanged"
    assert statuses(report)["REX_KEYS"] == "changed"
    assert not box.exists(CA_FILE) and not box.exists(DROPIN)


def test_a_ca_that_is_not_a_key_is_refused_and_nothing_is_written(lab, sandbox):
    box = sandbox()
    lab.set_ssh_ca("<html><body>Service Unavailable</body></html>\n", ["proxy02"])
    report = enroll_with_warning(box)
    rex_ca = [r for r in report["results"] if r["id"] == "REX_CA"][0]
    assert rex_ca["status"] == "warning", rex_ca
    assert any("not an SSH CA key" in line for line in rex_ca["detail"]), rex_ca
    assert not box.exists(CA_FILE) and not box.exists(DROPIN)
    # No proxy published a CA: the keys are installed as before.
    assert statuses(report)["REX_KEYS"] == "changed"


def enroll_with_warning(box):
    from tests.e2e.test_enroll import ENROLL, lbenroll
    proc = lbenroll(box, *(ENROLL + ["--json", "--rex"]))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    return proc.report
