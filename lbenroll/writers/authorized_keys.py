"""authorized_keys of the remote-execution user: SSH public keys added once each; the lines
lbenroll added are recorded (KEYS_RECORD, root's) and only those are taken back, by line, on a
rollback or --remove: a key anyone else added, before or after, stays."""
import collections
import json
import logging
import os
import stat

from lbenroll import diskio, fileio, host, passwd
from lbenroll.errors import DataError, WriteError
from lbenroll.sshkeys import blob_type, fingerprint, summary
from lbenroll.writers.base import Directory, Target, Writer, decode, encode

log = logging.getLogger("lbenroll")

# A public key as found on a line: type and base64 blob (what identifies it), the comment, and
# the whole line as given (options, if any, included).
PublicKey = collections.namedtuple("PublicKey", "type blob comment line")
# A user from the managed root's /etc/passwd.
User = passwd.User

AUTHORIZED_KEYS_MODE = 0o600
SSH_DIR_MODE = 0o700

# Which key lines lbenroll added to which file, whether it created the file, and the
# directories it created for it: {"files": {path: {"lines": [...], "created": bool,
# "directories": [...]}}}. In root's state directory, never in the user's home.
KEYS_RECORD = host.STATE_DIR + "/rex-keys.json"
RECORD_TARGET = Target(KEYS_RECORD, 0o600, "root", "root",
                       "With --rex: the key lines lbenroll added to each authorized_keys, so "
                       "that --remove and a rollback take back exactly those",
                       Directory(0o700, "root", "root"))
# Key files a backup store of an older lbenroll may keep whole: never put back whole.
KEY_FILE_NAMES = ("authorized_keys", "authorized_keys2")


def parse_key(line):
    """The PublicKey on one line (a key line, optionally with options first), or None.

    A key is a type word followed by a base64 blob that names that same type, so an HTML error
    page or any other text served instead of a key file is never taken for a key.
    """
    words = line.split()
    for index in range(len(words) - 1):
        if blob_type(words[index + 1]) == words[index]:
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


def present_pairs(text):
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


def load_record(ctx):
    """{path: {"lines", "created", "directories"}} of KEYS_RECORD; {} when there is none."""
    data = fileio.read_bytes(ctx, KEYS_RECORD)
    if data is None:
        return {}
    try:
        files = json.loads(decode(data))["files"]
        for entry in files.values():
            if not (isinstance(entry["lines"], list) and isinstance(entry["directories"], list)):
                raise ValueError("not a list")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DataError("%s is not lbenroll's record of the keys it added (%s)" % (
            KEYS_RECORD, exc), fix="remove the remote execution keys by hand from each "
            "authorized_keys, then delete %s" % KEYS_RECORD)
    return files


def save_record(ctx, files, undo=True):
    """Write the record (removed when files is empty); undoable like any managed write."""
    if not files:
        fileio.restore_bytes(ctx, RECORD_TARGET, None)
        return
    data = encode(json.dumps({"files": files}, indent=1, sort_keys=True) + "\n")
    fileio.write_file(ctx, RECORD_TARGET, data, undo=undo, backup_first=False)


def handled_by_line(ctx, path):
    """Whether --remove takes back path's keys by line (it is never restored whole)."""
    return os.path.basename(path) in KEY_FILE_NAMES or path in load_record(ctx)


def without_lines(text, lines):
    """(text without one occurrence of each of lines, [the lines found and dropped]). Lines are
    compared stripped; every other byte of text is kept as it is."""
    wanted = collections.Counter(lines)
    kept, dropped = [], []
    for line in text.splitlines(True):
        if wanted[line.strip()] > 0:
            wanted[line.strip()] -= 1
            dropped.append(line.strip())
        else:
            kept.append(line)
    return "".join(kept), dropped


def _missing_dirs(ctx, directory):
    """The host directories on the way to directory that do not exist yet, outermost first."""
    missing = []
    while directory != "/" and diskio.lstat(ctx.path(directory)) is None:
        missing.insert(0, directory)
        directory = os.path.dirname(directory)
    return missing


def take_back(ctx, path, entry):
    """Remove the lines lbenroll added to path (entry from the record), keep every other line;
    remove the file and directories lbenroll created if nothing else is in them. Returns the
    lines removed. Everything goes through diskio's walk: a link on the way (a user's) raises
    UnsafePath and nothing is touched."""
    real = ctx.path(path)
    st = diskio.lstat(real)
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise WriteError("%s is no longer a regular file (%s); lbenroll left it alone" % (
            path, "a symbolic link" if stat.S_ISLNK(st.st_mode) else "not a file"),
            fix="remove these keys from the file it stands for by hand: %s" % (
                "; ".join(entry["lines"])))
    current = fileio.read_bytes(ctx, path)
    dropped = []
    if current is not None:
        text, dropped = without_lines(decode(current), entry["lines"])
        if entry.get("created") and not text.strip():
            diskio.unlink(real)
            log.info("removed %s (lbenroll created it; only its keys were in it)", path)
        elif dropped:
            target = Target(path, AUTHORIZED_KEYS_MODE, "root", "root", "")
            fileio.write_file(ctx, target, encode(text), undo=False, planned_from=current,
                              backup_first=False)
            log.info("removed %d key line(s) lbenroll added from %s", len(dropped), path)
    diskio.remove_empty_dirs([ctx.path(d) for d in entry.get("directories", [])])
    return dropped


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
        present = present_pairs(text)
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
        notes = ["added: %s" % summary(key) for key in added]
        notes += ["already present: %s" % summary(key) for key in kept]
        return text, notes, {"added": [fingerprint(k) for k in added],
                             "present": [fingerprint(k) for k in kept]}

    def write(self, ctx, plan):
        """Record the lines about to be added (root's record first: a run killed in between
        leaves a record of lines not written, which a take-back skips), then append them; the
        undo takes back those lines only. The file has no whole copy in the backup store."""
        path = self.target.path
        added = set(plan.data["added"])
        lines = [key.line for key in self.keys if fingerprint(key) in added]
        files = load_record(ctx)
        entry = files.get(path) or {"lines": [], "created": plan.current is None,
                                    "directories": []}
        new_dirs = _missing_dirs(ctx, os.path.dirname(path))
        entry["lines"] = entry["lines"] + lines
        entry["directories"] = entry["directories"] + new_dirs
        files[path] = entry
        save_record(ctx, files)
        fileio.write_file(ctx, self.target, plan.wanted, undo=False, planned_from=plan.current,
                          backup_first=False)
        undo_entry = {"lines": lines, "created": plan.current is None, "directories": new_dirs}
        ctx.undo.push("take back the %d key line(s) added to %s" % (len(lines), path),
                      lambda: take_back(ctx, path, undo_entry))
