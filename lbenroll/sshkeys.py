"""OpenSSH public keys as text: the type named inside a key's blob, its fingerprint, and how a key
is named in notes. Shared by the authorized_keys and SSH CA writers (no writer imports another)."""
import base64
import binascii
import hashlib
import struct


def blob_type(blob):
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


def fingerprint(key):
    """OpenSSH's fingerprint of a key (anything with .blob): SHA256 of the blob, base64 without
    padding."""
    digest = hashlib.sha256(base64.b64decode(key.blob)).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def summary(key):
    """type, fingerprint and comment: how a key is named in notes."""
    return " ".join(part for part in (key.type, fingerprint(key), key.comment) if part)
