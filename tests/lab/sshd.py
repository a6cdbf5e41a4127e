"""A real sshd inside a sandbox, and an SSH CA with a user certificate it signed (ssh-keygen):
the remote-execution CA tests log in to it with the real ssh client, on loopback only.

The sshd runs in the sandbox's mount namespace, so the /etc/ssh it reads is the sandbox's (what
lbenroll wrote there); in the foreground (-D), logging to stderr (-e), on its own port of
127.0.0.1 with its own host key. Readiness is its port answering, never a sleep.
"""
import socket
import subprocess

from tests.lab.daemon import Daemon

LOOPBACK = "127.0.0.1"
SSHD_CONFIG = "/etc/ssh/sshd_config"
HOST_KEY = "/etc/ssh/lab_rex_host_ed25519_key"
SSHD = "/usr/sbin/sshd"


def free_port():
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def keygen(*args):
    subprocess.run(["ssh-keygen", "-q"] + list(args), check=True, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL)


def make_keys(directory, principal="root"):
    """In directory: an SSH CA (ca, ca.pub), a user key (id) with a certificate the CA signed
    for principal (id-cert.pub), and a host key (host). Returns directory."""
    keygen("-t", "ed25519", "-N", "", "-C", "lab-rex-ca", "-f", str(directory / "ca"))
    keygen("-t", "ed25519", "-N", "", "-C", "proxy-rex", "-f", str(directory / "id"))
    keygen("-s", str(directory / "ca"), "-I", "lab-rex", "-n", principal,
           str(directory / "id.pub"))
    keygen("-t", "ed25519", "-N", "", "-f", str(directory / "host"))
    return directory


def sshd_config(port, include=True, extra=()):
    """A host's sshd_config: EL9's layout (Include first) or EL8's (none), and a Match block at
    the end, as many hosts have."""
    lines = ["Include /etc/ssh/sshd_config.d/*.conf"] if include else []
    lines += ["Port %d" % port, "ListenAddress %s" % LOOPBACK, "HostKey %s" % HOST_KEY,
              "PidFile none", "UsePAM no", "PermitRootLogin prohibit-password",
              "PasswordAuthentication no", "KbdInteractiveAuthentication no"] + list(extra)
    lines += ["Match User nobody", "    PermitTTY no"]
    return "\n".join(lines) + "\n"


def seed_sshd(box, keys, port, include=True, extra=()):
    """The sandbox's sshd_config and host key; returns the sshd_config bytes."""
    box.seed(HOST_KEY, (keys / "host").read_bytes(), mode=0o600)
    config = sshd_config(port, include, extra).encode()
    box.seed(SSHD_CONFIG, config, mode=0o600)
    return config


class Sshd(object):
    """sshd -D in the sandbox; start() returns once its port answers."""

    def __init__(self, box, port, log):
        self.box, self.port, self.log = box, port, log
        self.daemon = None

    def start(self):
        argv = self.box.command([SSHD, "-D", "-e", "-f", SSHD_CONFIG])
        self.daemon = Daemon("sshd", argv, self.log, env=self.box.environment()).start()
        self.daemon.wait_port(LOOPBACK, self.port)
        return self

    def restart(self):
        """What `systemctl try-reload-or-restart sshd` does on a host where systemd runs."""
        self.stop()
        return self.start()

    def stop(self):
        if self.daemon is not None:
            self.daemon.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


def login(keys, port, user="root"):
    """ssh as user to the sandbox's sshd with the CA-signed certificate only (and its key);
    runs `hostname` there."""
    return subprocess.run(
        ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
         "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "ConnectTimeout=10", "-i", str(keys / "id"),
         "-o", "CertificateFile=%s" % (keys / "id-cert.pub"), "-p", str(port),
         "%s@%s" % (user, LOOPBACK), "hostname"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)


def refused(result):
    return result.returncode == 255 and "Permission denied" in result.stderr
