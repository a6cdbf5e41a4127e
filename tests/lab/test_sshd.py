"""The lab's sshd: a real sshd in a sandbox takes a CA-signed certificate once TrustedUserCAKeys
names the CA (the mechanics tests/e2e/test_rex_ca.py relies on), and only then."""
import pytest

from tests.lab.sshd import Sshd, free_port, login, make_keys, refused, seed_sshd

pytestmark = pytest.mark.skipif(__import__("os").geteuid() != 0, reason="needs root")


def test_a_ca_signed_certificate_logs_in_only_once_sshd_trusts_the_ca(bare_sandbox, tmp_path):
    keys = make_keys(tmp_path)
    box = bare_sandbox()
    port = free_port()
    seed_sshd(box, keys, port)
    run = box.run(["/usr/sbin/sshd", "-t"])  # /run/sshd is there: sshd -t works in a sandbox
    assert run.returncode == 0, run.stderr
    with Sshd(box, port, str(tmp_path / "sshd.log")) as sshd:
        assert refused(login(keys, port))
        box.seed("/etc/ssh/lab-ca.pub", (keys / "ca.pub").read_bytes())
        box.seed("/etc/ssh/sshd_config.d/60-lab.conf", b"TrustedUserCAKeys /etc/ssh/lab-ca.pub\n")
        assert refused(login(keys, port))  # sshd has not read it yet
        sshd.restart()
        answer = login(keys, port)
        assert answer.returncode == 0, answer.stderr
        assert answer.stdout.strip() == "client01.example.test"
        # A certificate for another principal is refused: no AuthorizedPrincipalsFile.
        assert refused(login(keys, port, user="nobody"))
