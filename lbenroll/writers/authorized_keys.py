"""authorized_keys of the remote-execution user: SSH public keys added once each, none removed."""
import base64
import binascii
import collections
import hashlib
import os
import struct

from lbenroll import passwd
from lbenroll.writers.base import Directory, Target, Writer

# A public key as found on a line: type and base64 blob (what identifies it), the comment, and
# the whole line as given (options, if any, included).
PublicKey = collections.namedtuple("PublicKey", "type blob comment line")
# A user from the managed root's /etc/passwd.
User = passwd.User

AUTHORIZED_KEYS_MODE = 0o600
SSH_DIR_MODE = 0o700


def _blob_type(blob):
    """The key type named inside a base64 key blob (its first SSH string), or None."""
    try:
        raw = base64.b64decode(blob.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None
    if len(raw) < 4:
        return None
    length = struct.unpack(">I", raw[:4])[0]
    if not 0 < length <= 64 or len(raw) < 4 + length:
        return None
    return raw[4:4 + length].decode("ascii", "replace")


def parse_key(line):
    """The PublicKey on one line (a key line, optionally with options first), or None.

    A key is a type word followed by a base64 blob that names that same type, so an HTML error
    page or any other text served instead of a key file is never taken for a key.
    """
    words = line.split()
    for index in range(len(words) - 1):
        if _blob_type(words[index + 1]) == words[index]:
            return PublicKey(words[index], words[index + 1], " ".join(words[index + 2:]),
                             line.strip())
    return None


def parse_keys(text):
    """([PublicKey], [lines that are not keys]) of a key file; blank and # lines are neither."""
    keys, rejected = [], []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key = parse_key(line)
        if key is None:
            rejected.append(line.strip())
        else:
            keys.append(key)
    return keys, rejected


def fingerprint(key):
    """OpenSSH's fingerprint of a key: SHA256 of the blob, base64 without padding."""
    digest = hashlib.sha256(base64.b64decode(key.blob)).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def describe(key):
    return " ".join(part for part in (key.type, fingerprint(key), key.comment) if part)


def _present(text):
    """(type, blob) of every key already in the file. Options may hold quoted spaces, so every
    pair of neighbouring words counts; the pair of a key is among them whatever its options."""
    pairs = set()
    for line in text.splitlines():
        words = line.split()
        if words and not words[0].startswith("#"):
            pairs.update(zip(words, words[1:]))
    return pairs


def find_user(ctx, name):
    """The User called name in the managed root's /etc/passwd, or None."""
    return passwd.user(ctx, name)


def target_for(user, authpath=None):
    """The Target for user's keys: authpath, or ~/.ssh/authorized_keys with ~/.ssh created 0700
    and owned by the user like bootstrap.py does (only for that default path)."""
    description = "remote execution keys of %s" % user.name
    if authpath:
        return Target(authpath, AUTHORIZED_KEYS_MODE, user.name, user.gid, description)
    path = os.path.join(user.home, ".ssh", "authorized_keys")
    return Target(path, AUTHORIZED_KEYS_MODE, user.name, user.gid, description,
                  Directory(SSH_DIR_MODE, user.name, user.gid))


class AuthorizedKeysWriter(Writer):
    """Appends the keys that are not in the file yet, each on a line of its own.

    A key counts as present when a line has the same type and base64 blob, whatever its
    comment, options or spacing; existing lines, comments and their order are kept.
    """

    id = "REX_KEYS"
    # The path depends on --rex-user and --rex-authpath; this is root's, for the FILES section.
    target = Target("/root/.ssh/authorized_keys", AUTHORIZED_KEYS_MODE, "root", "root",
                    "With --rex: the Smart Proxies' remote execution SSH public keys, each added "
                    "once; or --rex-authpath / the --rex-user's home (~USER/.ssh/authorized_keys)",
                    Directory(SSH_DIR_MODE, "root", "root"))

    def __init__(self, keys, target=None):
        self.keys = list(keys)
        if target is not None:
            self.target = target

    def render(self, current_text):
        text = current_text or ""
        present = _present(text)
        added, kept = [], []
        for key in self.keys:
            if (key.type, key.blob) in present:
                kept.append(key)
            else:
                added.append(key)
                present.add((key.type, key.blob))
        if added and text and not text.endswith("\n"):
            text += "\n"
        text += "".join(key.line + "\n" for key in added)
        notes = ["added: %s" % describe(key) for key in added]
        notes += ["already present: %s" % describe(key) for key in kept]
        return text, notes, {"added": [fingerprint(k) for k in added],
                             "present": [fingerprint(k) for k in kept]}
