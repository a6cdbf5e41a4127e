"""The lab's PKI: the Katello default CA, proxy certificates and an unrelated CA (openssl CLI)."""
import base64
import collections
import os
import secrets
import struct
import subprocess

from tests.lab.daemon import LabError

CertPair = collections.namedtuple("CertPair", "cert key")

LAB_CA_NAME = "Katello Default CA (lbenroll lab)"
FOREIGN_CA_NAME = "Unrelated CA (lbenroll lab)"

# EC P-256 keys: generating them takes milliseconds where RSA 2048 takes ~0.2 s each, and every
# TLS stack in the lab (Python ssl, OpenSSL, librepo, proton, mosquitto) accepts them.
_KEY_ARGS = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc"]
_DAYS = "3650"

_REQUEST = """\
[req]
distinguished_name = dn
prompt = no
x509_extensions = ext
[dn]
O = Katello
OU = SomeOrgUnit
CN = {cn}
"""

_CA_CONFIG = _REQUEST + """\
[ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""

# Server certs also carry clientAuth: a proxy authenticates to its peers with the same cert, as
# the foreman-proxy-certs-generate certificates do.
_SERVER_CONFIG = _REQUEST + """\
[ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = {san}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def _openssl(argv):
    proc = subprocess.run(["openssl"] + argv, capture_output=True, text=True)
    if proc.returncode != 0:
        raise LabError("openssl %s failed (%s): %s" % (argv[0], proc.returncode, proc.stderr))


def _serial():
    # Random serials: certificates re-issued for the same name must never collide.
    return "0x%x" % secrets.randbits(63)


def _write_config(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def make_ca(directory, stem, common_name):
    """Create a self-signed CA as <directory>/<stem>.pem and .key."""
    os.makedirs(directory, exist_ok=True)
    pair = CertPair(os.path.join(directory, stem + ".pem"), os.path.join(directory, stem + ".key"))
    config = _write_config(os.path.join(directory, stem + ".cnf"),
                           _CA_CONFIG.format(cn=common_name))
    _openssl(["req", "-new", "-x509"] + _KEY_ARGS + [
        "-keyout", pair.key, "-out", pair.cert, "-config", config,
        "-days", _DAYS, "-set_serial", _serial()])
    return pair


def make_server_cert(directory, fqdn, dns_names, ca):
    """Create <directory>/<fqdn>.pem and .key signed by ca, with the given DNS SANs."""
    os.makedirs(directory, exist_ok=True)
    pair = CertPair(os.path.join(directory, fqdn + ".pem"), os.path.join(directory, fqdn + ".key"))
    san = ", ".join("DNS:" + name for name in dns_names)
    config = _write_config(os.path.join(directory, fqdn + ".cnf"),
                           _SERVER_CONFIG.format(cn=fqdn, san=san))
    _openssl(["req", "-new", "-x509"] + _KEY_ARGS + [
        "-keyout", pair.key, "-out", pair.cert, "-config", config,
        "-CA", ca.cert, "-CAkey", ca.key, "-days", _DAYS, "-set_serial", _serial()])
    return pair


def make_lab_pki(pki_dir, proxies):
    """Create the lab CA (<pki_dir>/ca.pem, ca.key) and one certificate per proxy.

    proxies maps fqdn -> list of DNS SANs. Returns (ca, {fqdn: CertPair}).
    """
    ca = make_ca(pki_dir, "ca", LAB_CA_NAME)
    certs = {fqdn: make_server_cert(pki_dir, fqdn, names, ca) for fqdn, names in proxies.items()}
    return ca, certs


def make_foreign_proxy_cert(pki_dir, fqdn, dns_names):
    """Create an unrelated CA under <pki_dir>/foreign/ and a proxy cert for fqdn signed by it.

    Models a proxy installed with certificates from a different CA than its siblings. The
    foreign CA is created once and reused, so certificates issued earlier stay valid.
    Returns (foreign_ca, CertPair).
    """
    directory = os.path.join(pki_dir, "foreign")
    ca = CertPair(os.path.join(directory, "ca.pem"), os.path.join(directory, "ca.key"))
    if not os.path.exists(ca.cert):
        ca = make_ca(directory, "ca", FOREIGN_CA_NAME)
    return ca, make_server_cert(directory, fqdn, dns_names, ca)


def _ssh_string(data):
    return struct.pack(">I", len(data)) + data


def make_ssh_key(directory, stem, comment):
    """An Ed25519 key pair; returns the public key in OpenSSH's one-line format.

    openssl makes the key (no openssh-client needed); the last 32 bytes of the DER public key
    are the raw Ed25519 key that the OpenSSH wire format wraps.
    """
    os.makedirs(directory, exist_ok=True)
    key = os.path.join(directory, stem)
    _openssl(["genpkey", "-algorithm", "ed25519", "-out", key])
    der = subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-outform", "DER"],
                         capture_output=True, check=True).stdout
    blob = _ssh_string(b"ssh-ed25519") + _ssh_string(der[-32:])
    public = "ssh-ed25519 %s %s\n" % (base64.b64encode(blob).decode(), comment)
    with open(key + ".pub", "w") as f:
        f.write(public)
    return public


def read_pem(path):
    with open(path) as f:
        return f.read()
