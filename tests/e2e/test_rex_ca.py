"""--rex with an SSH CA: the proxies publish it at :9090/ssh/ca_pubkey, lbenroll has sshd trust
it, and a certificate the CA signed logs in to a real sshd after the enrollment, not before.

The sshd runs inside the client's sandbox (its mount namespace: /etc/ssh is the files lbenroll
wrote there), in the foreground on a port of its own on 127.0.0.1, with its own host key. No
systemd runs in a sandbox, so lbenroll's reload is deferred ("reads it when it starts") and the
test restarts its sshd, as systemd would reload the real one.
"""
import json
import os
import time

import pytest

from tests.e2e.test_enroll import ENROLL, enroll, lbenroll, statuses
from tests.e2e.test_remove import CONTENT_ONLY, lbenroll as remove_lbenroll, ok
from tests.lab.sshd import SSHD_CONFIG, Sshd, free_port, login, make_keys, refused, seed_sshd

CA_FILE = "/etc/ssh/foreman-user-ca.pub"
DROPIN = "/etc/ssh/sshd_config.d/60-foreman-user-ca.conf"
AUTHORIZED_KEYS = "/root/.ssh/authorized_keys"


@pytest.fixture
def keys(tmp_path):
    return make_keys(tmp_path)


def step(report, step_id):
    return [r for r in report["results"] if r["id"] == step_id][0]


@pytest.mark.parametrize("include", [True, False], ids=["el9-drop-in", "el8-no-include"])
def test_a_ca_signed_certificate_logs_in_after_the_enrollment_and_not_before(
        lab, sandbox, keys, include):
    box = sandbox()
    port = free_port()
    original_config = seed_sshd(box, keys, port, include)
    sshd = Sshd(box, port, str(keys / "sshd.log")).start()
    try:
        before = login(keys, port)
        assert refused(before), before

        ca_line = (keys / "ca.pub").read_text().strip()
        lab.set_ssh_ca(ca_line + "\n")
        report = enroll(box, "--rex")
        rex_ca = step(report, "REX_CA")
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

        sshd.restart()  # what lbenroll's `systemctl try-reload-or-restart sshd` does with systemd
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
        sshd.restart()
        gone = login(keys, port)
        assert refused(gone), gone
    finally:
        sshd.stop()


def test_rex_apikeys_trusts_the_cas_foreman_lists_and_adds_only_the_unsigned_proxys_key(
        lab, sandbox, keys):
    # Foreman's API (remote_execution_ca_pubkey) is the source with --rex-apikeys: proxy01 and
    # proxy03 sign with the CA, proxy02 has none and keeps its own key, as Foreman's
    # remote_execution_ssh_keys leaves out only the keys of proxies with a CA.
    from tests.e2e.test_rex import enroll_with_api_keys, index_requests, key_lines, proxy_key
    from tests.lab.foreman import PASSWORD
    box = sandbox()
    port = free_port()
    seed_sshd(box, keys, port)
    sshd = Sshd(box, port, str(keys / "sshd.log")).start()
    try:
        assert refused(login(keys, port))
        ca_line = (keys / "ca.pub").read_text().strip()
        lab.set_ssh_ca(ca_line + "\n", ["proxy01", "proxy03"])
        since, start = len(lab.foreman.requests()), time.time()
        proc = enroll_with_api_keys(box)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        report = json.loads(proc.stdout)

        # From the API alone, listed once for both steps: no proxy was asked its CA or key.
        asked = [e["path"] for e in lab.requests() if e["ts"] > start
                 and e["path"] in ("/ssh/ca_pubkey", "/ssh/pubkey")]
        assert asked == []
        assert [page for page, _ in index_requests(lab, since)] == ["1", "2"]
        assert key_lines(box) == [proxy_key(lab, "proxy02")]

        rex_ca = step(report, "REX_CA")
        assert rex_ca["status"] == "changed", rex_ca
        assert rex_ca["data"]["ca_proxies"] == ["proxy01.example.test", "proxy03.example.test"]
        assert rex_ca["data"]["everywhere"] is False
        assert box.read_text(CA_FILE) == ca_line + "\n"
        assert box.read_text(DROPIN).splitlines()[-1] == "TrustedUserCAKeys %s" % CA_FILE
        rex_keys = step(report, "REX_KEYS")
        assert rex_keys["status"] == "changed", rex_keys
        assert rex_keys["data"]["left_out"] == ["proxy01.example.test", "proxy03.example.test"]
        assert PASSWORD not in proc.stdout + proc.stderr

        sshd.restart()  # what lbenroll's `systemctl try-reload-or-restart sshd` does with systemd
        after = login(keys, port)
        assert after.returncode == 0, after
        assert after.stdout.strip() == "client01.example.test"
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
    rex_ca = step(report, "REX_CA")
    assert rex_ca["status"] == "warning", rex_ca
    assert any("not an SSH CA key" in line for line in rex_ca["detail"]), rex_ca
    assert not box.exists(CA_FILE) and not box.exists(DROPIN)
    # No proxy published a CA: the keys are installed as before.
    assert statuses(report)["REX_KEYS"] == "changed"


def enroll_with_warning(box):
    proc = lbenroll(box, *(ENROLL + ["--json", "--rex"]))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    return proc.report


def test_diagnose_names_a_proxy_whose_ca_the_host_does_not_trust(lab, sandbox, keys, tmp_path):
    from tests.e2e.test_diagnose import diagnose, verdicts
    from tests.e2e.test_enroll import PROXY_FQDNS
    from tests.lab.sshd import keygen
    box = sandbox()
    box.seed(SSHD_CONFIG, b"Include /etc/ssh/sshd_config.d/*.conf\n", mode=0o600)
    lab.set_ssh_ca((keys / "ca.pub").read_text())
    enroll(box, "--rex")
    assert verdicts(diagnose(box), "PROXY_REX_CA") == dict.fromkeys(PROXY_FQDNS, "pass")

    keygen("-t", "ed25519", "-N", "", "-C", "rotated-ca", "-f", str(tmp_path / "rotated"))
    lab.set_ssh_ca((tmp_path / "rotated.pub").read_text(), ["proxy02"])
    proc = diagnose(box)
    assert proc.returncode == 1
    found = verdicts(proc, "PROXY_REX_CA")
    assert found == {"proxy01.example.test": "warn", "proxy02.example.test": "fail",
                     "proxy03.example.test": "warn"}, found
    proxy02 = [r for r in proc.report["results"] if r["id"] == "PROXY_REX_CA"
               and r["target"] == "proxy02.example.test"][0]
    assert "this host does not trust proxy02's CA SHA256:" in proxy02["summary"]
