"""foreman-user-ca.pub: the SSH CA keys the Smart Proxies sign their remote execution keys with,
one per line, trusted by sshd through TrustedUserCAKeys (writers/sshd_dropin.py)."""
import collections
import re

from lbenroll import host
from lbenroll.sshkeys import blob_type, summary
from lbenroll.writers.base import Target, Writer

# A CA key as lbenroll keeps it: its type, its base64 blob and its comment.
CaKey = collections.namedtuple("CaKey", "type blob comment")

# A proxy's /ssh/ca_pubkey is the one line of its ssh_user_ca_public_key_file, a few hundred
# bytes (an RSA 16384-bit key is under 3 KiB); anything larger is not one.
MAX_CA_KEY = 16 * 1024

# The key types sshd accepts as a CA (sshd_config(5) CASignatureAlgorithms; DSA is gone from
# OpenSSH 9.8 and was never a CA for certificates of a Foreman proxy). A certificate
# (*-cert-v01@openssh.com) is not a CA key, so it is refused.
CA_KEY_TYPES = ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
                "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com",
                "sk-ecdsa-sha2-nistp256@openssh.com")

_BASE64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")
_COMMENT = re.compile(r"^[\x20-\x7e]*$")  # printable ASCII: nothing that could end the line


class NotACaKey(ValueError):
    """The bytes are not one SSH public key line of an allowed type; the message says why."""


def _blob_type(blob):
    """sshkeys.blob_type of a blob that is base64 and nothing else (no line end, no padding but
    at its end), else None."""
    return blob_type(blob) if _BASE64.match(blob) else None


def parse_ca_key(data):
    """The CaKey in the bytes a proxy served at /ssh/ca_pubkey; None when they are empty (the
    proxy has no CA: smart_proxy_remote_execution_ssh answers 200 with no body then). Raises
    NotACaKey for anything else than one key line of a type in CA_KEY_TYPES."""
    if len(data) > MAX_CA_KEY:
        raise NotACaKey("%d bytes, more than a CA key's %d" % (len(data), MAX_CA_KEY))
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise NotACaKey("not ASCII text") from None
    lines = [line.strip() for line in text.splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        return None
    if len(lines) > 1:
        raise NotACaKey("%d lines, not one key" % len(lines))
    words = lines[0].split(None, 2)
    if len(words) < 2:
        raise NotACaKey("not an SSH public key line")
    key_type, blob = words[0], words[1]
    comment = words[2] if len(words) > 2 else ""
    if key_type not in CA_KEY_TYPES:
        raise NotACaKey("key type %r is not one sshd takes as a CA (%s)" % (
            key_type[:40], ", ".join(CA_KEY_TYPES)))
    if _blob_type(blob) != key_type:
        raise NotACaKey("the key's data is not a %s key" % key_type)
    if not _COMMENT.match(comment):
        raise NotACaKey("the comment holds characters other than printable ASCII")
    return CaKey(key_type, blob, comment)


def line_of(key):
    return " ".join(part for part in (key.type, key.blob, key.comment) if part)


def keys_in(text):
    """The CaKeys of a CA file's text, in order; lines that are not one are left out."""
    keys = []
    for line in (text or "").splitlines():
        try:
            key = parse_ca_key(line.encode("ascii", "replace"))
        except NotACaKey:
            continue
        if key is not None:
            keys.append(key)
    return keys


def identity(keys):
    """What makes two lists of CA keys the same trust: their (type, blob) set."""
    return frozenset((key.type, key.blob) for key in keys)


TARGET = Target(host.REX_USER_CA, 0o644, "root", "root",
                "With --rex, when the Smart Proxies publish an SSH CA (/ssh/ca_pubkey; with "
                "--rex-apikeys, remote_execution_ca_pubkey in Foreman's API): the CA keys sshd "
                "trusts for remote execution logins (TrustedUserCAKeys), as Global Registration "
                "writes them")


class RexUserCaWriter(Writer):
    """The file holds exactly the CA keys given, sorted (so every run writes the same bytes,
    whichever proxy answered first). A file that already holds the same keys, whatever their
    comments and order (Global Registration's), is left as it is."""

    id = "REX_USER_CA"
    target = TARGET

    def __init__(self, keys):
        self.keys = sorted(keys, key=lambda key: (key.type, key.blob))

    def render(self, current_text):
        if current_text is not None and identity(keys_in(current_text)) == identity(self.keys) \
                and len(keys_in(current_text)) == len(
                    [line for line in current_text.splitlines()
                     if line.strip() and not line.lstrip().startswith("#")]):
            return current_text, []
        return "".join(line_of(key) + "\n" for key in self.keys), [
            "trusts %s" % summary(key) for key in self.keys]
