"""The update-ca-trust stand-in (bin/update-ca-trust) and the EL9 trust store of a sandbox.

The stand-in runs as a subprocess against a throw-away root ($LAB_CA_TRUST_ROOT), with
certificates made by openssl; the sandbox tests use bare sandboxes (conftest.bare_sandbox).
"""
import os
import shutil
import stat
import subprocess

import pytest

from tests.lab import sandbox as sandbox_module

LAB_DIR = os.path.dirname(os.path.abspath(__file__))
STAND_IN = os.path.join(LAB_DIR, "bin", "update-ca-trust")
BASE_BUNDLE = os.path.join(LAB_DIR, "files", "ca-bundle.trust.p11-kit")
EXTRACTED = "etc/pki/ca-trust/extracted"
ANCHORS = "etc/pki/ca-trust/source/anchors"
BUNDLES = ("openssl/ca-bundle.trust.crt", "pem/tls-ca-bundle.pem", "pem/email-ca-bundle.pem",
           "pem/objsign-ca-bundle.pem")
BASE_LABELS = ["Amazon Root CA 1", "DigiCert Global Root G2", "ISRG Root X1"]


def openssl(*argv, cwd=None):
    subprocess.run(["openssl"] + list(argv), check=True, capture_output=True, cwd=cwd)


def make_cert(directory, name, subject, ca=True, eku=None, issuer=None):
    """A certificate (PEM path): self-signed, or signed by issuer (a name made before)."""
    ext = ["basicConstraints=critical,CA:%s" % ("TRUE" if ca else "FALSE")]
    if eku:
        ext.append("extendedKeyUsage=%s" % eku)
    with open(os.path.join(directory, name + ".ext"), "w") as f:
        f.write("\n".join(ext) + "\n")
    key = name + ".key"
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key,
            cwd=directory)
    if issuer is None:
        addext = [arg for line in ext for arg in ("-addext", line)]
        openssl("req", "-x509", "-new", "-key", key, "-subj", subject, "-days", "30",
                *addext, "-out", name + ".pem", cwd=directory)
    else:
        openssl("req", "-new", "-key", key, "-subj", subject, "-out", name + ".csr", cwd=directory)
        openssl("x509", "-req", "-in", name + ".csr", "-CA", issuer + ".pem", "-CAkey",
                issuer + ".key", "-set_serial", "7", "-days", "30", "-extfile", name + ".ext",
                "-out", name + ".pem", cwd=directory)
    return os.path.join(directory, name + ".pem")


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("certs"))
    return {
        "anchor": make_cert(directory, "anchor", "/O=Lab/CN=Lab Anchor CA"),
        "no_cn": make_cert(directory, "no_cn", "/O=Nameless Org"),
        "email": make_cert(directory, "email", "/CN=Lab Email CA", eku="emailProtection"),
        "leaf": make_cert(directory, "leaf", "/CN=leaf.example.test", ca=False, issuer="anchor"),
        "neutral": make_cert(directory, "neutral", "/CN=Lab Neutral CA"),
    }


def new_root(path):
    """A host tree as on EL9: base bundle, empty anchors, the extracted directories."""
    root = str(path)
    for directory in ("usr/share/pki/ca-trust-source/anchors", ANCHORS,
                      "etc/pki/ca-trust/source/blocklist", EXTRACTED + "/pem",
                      EXTRACTED + "/openssl", EXTRACTED + "/java", EXTRACTED + "/edk2"):
        os.makedirs(os.path.join(root, directory))
    shutil.copy(BASE_BUNDLE, os.path.join(root, "usr/share/pki/ca-trust-source"))
    return root


def update_ca_trust(root, *args):
    env = dict(os.environ, LAB_CA_TRUST_ROOT=root)
    env.pop("LAB_KILL_AT", None)
    return subprocess.run(["/usr/bin/python3", STAND_IN] + list(args), env=env,
                          capture_output=True, text=True)


def read(root, relative):
    with open(os.path.join(root, EXTRACTED, relative), "rb") as f:
        return f.read()


def labels(data):
    return [line[2:] for line in data.decode().splitlines() if line.startswith("# ")]


def add(root, cert, directory, name):
    shutil.copy(cert, os.path.join(root, directory, name))


# --- the stand-in ----------------------------------------------------------------------------

def test_extract_writes_the_bundles_read_only_with_comment_lines(tmp_path):
    root = new_root(tmp_path)
    proc = update_ca_trust(root, "extract")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    for relative in BUNDLES:
        path = os.path.join(root, EXTRACTED, relative)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o444
        assert labels(read(root, relative)) == BASE_LABELS
    text = read(root, "pem/tls-ca-bundle.pem").decode()
    # p11-kit's pem-bundle --comment: "# label", PEM in 64-column lines, a blank line between.
    assert text.startswith("# Amazon Root CA 1\n-----BEGIN CERTIFICATE-----\n")
    assert "-----END CERTIFICATE-----\n\n# DigiCert Global Root G2\n" in text
    assert text.endswith("-----END CERTIFICATE-----\n")
    assert max(len(line) for line in text.splitlines()) == 64
    assert not [n for d in ("pem", "openssl") for n in os.listdir(os.path.join(root, EXTRACTED, d))
                if n not in ("tls-ca-bundle.pem", "email-ca-bundle.pem", "objsign-ca-bundle.pem",
                             "ca-bundle.trust.crt")]  # no temporary file left behind
    verify = subprocess.run(["openssl", "storeutl", "-noout", "-certs",
                             os.path.join(root, EXTRACTED, "pem/tls-ca-bundle.pem")],
                            capture_output=True, text=True)
    assert "Total found: 3" in verify.stdout


def test_no_argument_is_extract_and_output_is_deterministic(tmp_path, certs):
    first = new_root(tmp_path / "one")
    second = new_root(tmp_path / "two")
    # The same sources, created in another order under other file names.
    for name in ("anchor", "email", "no_cn"):
        add(first, certs[name], ANCHORS, name + ".pem")
    for name in ("no_cn", "email", "anchor"):
        add(second, certs[name], ANCHORS, "z-" + name + ".crt")
    assert update_ca_trust(first).returncode == 0
    assert update_ca_trust(second, "extract").returncode == 0
    before = {relative: read(first, relative) for relative in BUNDLES}
    assert before == {relative: read(second, relative) for relative in BUNDLES}
    assert update_ca_trust(first, "extract").returncode == 0
    assert before == {relative: read(first, relative) for relative in BUNDLES}
    assert labels(before["pem/tls-ca-bundle.pem"]) == sorted(
        BASE_LABELS + ["Lab Anchor CA", "Nameless Org"])


def test_anchor_rename_is_atomic_and_replaces_the_file(tmp_path, certs):
    root = new_root(tmp_path)
    assert update_ca_trust(root).returncode == 0
    path = os.path.join(root, EXTRACTED, "pem/tls-ca-bundle.pem")
    old_inode = os.stat(path).st_ino
    add(root, certs["anchor"], ANCHORS, "katello-server-ca.pem")
    assert update_ca_trust(root, "extract").returncode == 0
    assert os.stat(path).st_ino != old_inode  # a new file renamed over the old one
    assert "Lab Anchor CA" in labels(read(root, "pem/tls-ca-bundle.pem"))
    os.unlink(os.path.join(root, ANCHORS, "katello-server-ca.pem"))
    assert update_ca_trust(root, "extract").returncode == 0
    assert labels(read(root, "pem/tls-ca-bundle.pem")) == BASE_LABELS


def test_trust_rules_follow_p11_kit(tmp_path, certs):
    root = new_root(tmp_path)
    add(root, certs["anchor"], ANCHORS, "anchor.pem")
    add(root, certs["email"], ANCHORS, "email.pem")
    add(root, certs["leaf"], ANCHORS, "leaf.pem")           # not an authority
    add(root, certs["neutral"], "etc/pki/ca-trust/source", "neutral.pem")  # not an anchor
    # A base certificate on the blocklist (as a PEM of its own).
    isrg = subprocess.run(["openssl", "x509", "-in", "/dev/stdin"], capture_output=True,
                          input=open(BASE_BUNDLE, "rb").read().split(b'label: "ISRG Root X1"')[1],
                          check=True).stdout
    with open(os.path.join(root, "etc/pki/ca-trust/source/blocklist/isrg.pem"), "wb") as f:
        f.write(isrg)
    assert update_ca_trust(root).returncode == 0
    assert labels(read(root, "pem/tls-ca-bundle.pem")) == [
        "Amazon Root CA 1", "DigiCert Global Root G2", "Lab Anchor CA"]
    assert labels(read(root, "pem/email-ca-bundle.pem")) == [
        "Amazon Root CA 1", "DigiCert Global Root G2", "Lab Anchor CA", "Lab Email CA"]
    assert labels(read(root, "pem/objsign-ca-bundle.pem")) == [
        "Amazon Root CA 1", "DigiCert Global Root G2", "Lab Anchor CA"]
    # --filter=certificates: every certificate, trusted or not, each once.
    assert labels(read(root, "openssl/ca-bundle.trust.crt")) == sorted(
        BASE_LABELS + ["Lab Anchor CA", "Lab Email CA", "Lab Neutral CA", "leaf.example.test"])


def test_usage_errors_and_help(tmp_path):
    root = new_root(tmp_path)
    for args in (["enable"], ["extract", "--bogus"], ["extract", "-o"]):
        proc = update_ca_trust(root, *args)
        assert proc.returncode == 2, args
        assert proc.stdout == "" and "Usage: update-ca-trust [extract]" in proc.stderr
    assert not os.listdir(os.path.join(root, EXTRACTED, "pem"))
    proc = update_ca_trust(root, "--help")
    assert proc.returncode == 0 and proc.stderr.startswith("Usage: update-ca-trust")


def test_output_option_and_missing_directories(tmp_path):
    root = new_root(tmp_path)
    out = os.path.join(root, "srv/trust")  # -o /srv/trust on that host
    assert update_ca_trust(root, "extract", "--output=/srv/trust").returncode == 0
    assert sorted(os.listdir(out)) == ["edk2", "java", "openssl", "pem"]
    assert labels(open(os.path.join(out, "pem/tls-ca-bundle.pem"), "rb").read()) == BASE_LABELS
    shutil.rmtree(os.path.join(root, EXTRACTED, "openssl"))
    proc = update_ca_trust(root, "extract")
    assert proc.returncode == 1
    assert "couldn't create file" in proc.stderr and "ca-bundle.trust.crt" in proc.stderr
    assert labels(read(root, "pem/tls-ca-bundle.pem")) == BASE_LABELS


# --- a sandbox's trust store -----------------------------------------------------------------

def test_fresh_sandbox_has_the_el9_trust_store(bare_sandbox):
    box = bare_sandbox()
    assert box.listdir("/etc/pki/ca-trust/source/anchors") == []
    assert box.exists("/usr/share/pki/ca-trust-source/ca-bundle.trust.p11-kit")
    tls = box.read("/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem")
    assert labels(tls) == BASE_LABELS
    assert box.read("/etc/pki/tls/certs/ca-bundle.crt") == tls
    assert box.snapshot("/etc/pki/tls/certs")["/etc/pki/tls/certs/ca-bundle.crt"][0] == (
        "link:/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem")
    assert box.snapshot("/etc/pki/tls/certs")["/etc/pki/tls/certs/ca-bundle.trust.crt"][0] == (
        "link:/etc/pki/ca-trust/extracted/openssl/ca-bundle.trust.crt")
    proc = box.run(["sh", "-c", "command -v update-ca-trust; stat -c '%a %n' "
                                "/etc/pki/ca-trust/extracted/pem/*.pem "
                                "/etc/pki/ca-trust/extracted/openssl/*"])
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "/usr/bin/update-ca-trust"
    assert [line.split()[0] for line in lines[1:]] == ["444"] * 4
    assert box.written_files() == {}
    # What the sandbox was seeded with is byte for byte what the stand-in writes there.
    proc = box.run(["update-ca-trust", "extract"])
    assert (proc.returncode, proc.stderr) == (0, "")
    assert box.written_files() == {}


def test_anchor_and_extract_in_a_sandbox_change_the_bundles(bare_sandbox, certs):
    box = bare_sandbox()
    with open(certs["anchor"], "rb") as f:
        box.seed("/etc/pki/ca-trust/source/anchors/katello-server-ca.pem", f.read())
    proc = box.run(["sh", "-c", "update-ca-trust extract && "
                                "grep -c '^# Lab Anchor CA$' /etc/pki/tls/certs/ca-bundle.crt"])
    assert (proc.returncode, proc.stdout) == (0, "1\n"), proc.stderr
    assert box.written_files() == {
        "/etc/pki/ca-trust/extracted/openssl/ca-bundle.trust.crt": "written",
        "/etc/pki/ca-trust/extracted/pem/email-ca-bundle.pem": "written",
        "/etc/pki/ca-trust/extracted/pem/objsign-ca-bundle.pem": "written",
        "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem": "written"}


def test_seeded_symlink_counts_as_written_once_changed(bare_sandbox):
    box = bare_sandbox()
    proc = box.run(["ln", "-sfn", "/nowhere", "/etc/pki/tls/certs/ca-bundle.crt"])
    assert proc.returncode == 0, proc.stderr
    assert box.written_files() == {"/etc/pki/tls/certs/ca-bundle.crt": "written"}
    assert sandbox_module.CA_TRUST_LINKS["/etc/pki/tls/cert.pem"].endswith("tls-ca-bundle.pem")
