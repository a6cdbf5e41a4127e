"""What the watched paths held before a run's first change; after a rollback, checked, and what
is root's healed.

The undo stack puts back what lbenroll changed itself. What its children changed besides
(update-ca-trust's extracted bundles, subscription-manager's caches and certificates) is only
known by looking: so before the first change of a run the watched trees are recorded (kind,
mode, owner, SELinux label, content or its digest), and after a rollback every difference in
root's directories is put back, then everything is compared again. "The host is as it was" is
said only when that second comparison finds nothing.

The trees are walked as diskio walks (see its docstring): each top is reached through diskio's
walk, everything below it relative to the descriptor of its directory (openat, O_NOFOLLOW),
never by a whole path and never through a link: a link is recorded as a link. What an entry is
(kind, mode, owner, label, bytes) comes from the descriptor actually read, so a file swapped for
a link or a FIFO between looking and opening is never read through, nor waited on. Recording
never stops a run: what cannot be recorded (an error, a race) is recorded as unreadable and
compared as such; at most MAX_DEPTH directories below a top are walked (deeper is named as not
compared), and no file is read without a bound.

A directory trusted in diskio's sense (root's, reached only through root's) holds root's
files: what differs there is put back. One that is not (a --rex-user's ~/.ssh, which REX_KEYS
watches) holds a user's: what differs there is compared and named, never put back, never
written: REX_KEYS' own undo took back lbenroll's lines, and an undo takes back only lbenroll's
edits. Of a user's file only a digest is kept (its size and times when larger than KEEP_BYTES),
never its bytes.
"""
import collections
import hashlib
import os
import stat

from lbenroll import diskio, host
from lbenroll.errors import LbenrollError

# Contents up to this size are kept, so that a file a child changed can be put back; a larger
# one (a 20,000-repository redhat.repo) is kept as a digest only: the writer that changed it
# holds its old bytes for the undo, and the comparison afterwards checks that it did. A user's
# file larger than this is compared by size and times only (it is never read whole by root),
# and so is one of root's larger than diskio.MAX_READ.
KEEP_BYTES = 1 << 20
# Directories walked below a top; one deeper is recorded (kind, mode, owner) but not listed.
MAX_DEPTH = 32

# whose: None in a trusted directory (root's, so a rollback may put it back); else the uid of
# the user whose directory it is in (root's own uid for a root-owned directory that is not
# root's alone: writable by others, or below a user's). Not part of the comparison.
Entry = collections.namedtuple("Entry", "kind mode uid gid label digest data link whose")
FILE, DIRECTORY, LINK, SPECIAL = "file", "directory", "link", "special"
# A path this run may not read (an unprivileged --dry-run or --root run), or one that changed
# while it was recorded: compared as such only, never put back.
UNREADABLE = "unreadable"
# A directory MAX_DEPTH below its top: what is below it is not compared.
NOT_WALKED = "directory not walked"

# Tests only: called with the real path of a file or directory between looking at it (its
# kind) and opening it, to change it there as another process could.
looked_hook = None


def _unreadable(whose):
    return Entry(UNREADABLE, None, None, None, None, None, None, None, whose)


def _same(a, b):
    """Equal for the comparison: everything but the kept bytes (the digest stands for them) and
    whose directory it is in."""
    if a is None or b is None:
        return a is b
    return a._replace(data=None, whose=None) == b._replace(data=None, whose=None)


def _whose(st, above):
    """Whose an untrusted directory (st: its fstat) is: its owner unless that is root, else the
    user of the untrusted directory above it (root's own uid when there is none)."""
    if st.st_uid not in diskio.TRUSTED_UIDS:
        return st.st_uid
    return st.st_uid if above is None else above


def _stamp(st):
    """What a file not read is compared by."""
    return "%d bytes, modified at %d ns" % (st.st_size, st.st_mtime_ns)


def _read(fd, limit, keep):
    """(sha256, the bytes when at most keep of them) of an open file read to its end, or
    (None, None) when it holds more than limit bytes: never more than limit + 1 are read."""
    digest, kept, total = hashlib.sha256(), [], 0
    while True:
        block = os.read(fd, min(diskio.BLOCK, limit + 1 - total))
        if not block:
            break
        total += len(block)
        if total > limit:
            return None, None
        digest.update(block)
        if total <= keep:
            kept.append(block)
    return digest.hexdigest(), b"".join(kept) if total <= keep else None


def _file(fd, st, whose):
    """The Entry of the regular file open at fd (st: its fstat)."""
    trusted = whose is None
    limit = diskio.MAX_READ if trusted else KEEP_BYTES
    digest = data = None
    if st.st_size <= limit:
        # O_NONBLOCK (diskio.O_READ) does not apply to a regular file's reads; it kept the
        # open from waiting on a FIFO put here since it was looked at.
        digest, data = _read(fd, limit, KEEP_BYTES if trusted else 0)
    return Entry(FILE, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, diskio.selinux_label(fd),
                 digest or _stamp(st), data, None, whose)


class Snapshot(object):
    """The state of the watched paths: {host path: Entry}, absent tops recorded as None.

    owner_name: a function giving a uid's user name (or None), to name whose directory a path
    a rollback leaves as it is lies in."""

    def __init__(self, ctx, tops, owner_name=None):
        self.ctx = ctx
        self.owner_name = owner_name
        self.tops = sorted(set(tops))
        self.entries = {}
        self.spared = {}  # {host path: why}: files a rollback leaves to whoever else edited them
        for top in self.tops:
            self.entries.update(self._walk(top))

    def add(self, top):
        """Record one more top as it is now."""
        if top not in self.tops:
            self.tops = sorted(self.tops + [top])
            # A path below a top already recorded keeps its first state.
            for path, entry in self._walk(top).items():
                self.entries.setdefault(path, entry)

    def _walk(self, top, below=True):
        """{host path: Entry} of top (None when nothing is there) and, with below, of everything
        below it. Never raises: what cannot be recorded is recorded as unreadable."""
        found = {top: None}
        try:
            parent, name = diskio.walk_to(self.ctx.path(top))
        except (FileNotFoundError, NotADirectoryError):
            return found
        except (OSError, LbenrollError):
            # A link a user made on the way (UnsafePath), a path the kernel refuses...
            found[top] = _unreadable(None)
            return found
        with parent:
            try:
                whose = None if parent.trusted else _whose(os.fstat(parent.fd), None)
            except OSError:
                found[top] = _unreadable(None)
                return found
            self._record(parent.fd, whose, name, top, 0 if below else None, found)
        return found

    def _record(self, dir_fd, whose, name, path, depth, found):
        """Record path, called name in the directory open at dir_fd, into found; for a directory,
        with depth (how far below its top it is; None: do not list it) what is below it too.
        Holds one descriptor per directory level, at most MAX_DEPTH + 1."""
        try:
            st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            return  # nothing there (any more)
        except OSError:
            found[path] = _unreadable(whose)
            return
        if stat.S_ISLNK(st.st_mode):
            try:
                target = os.readlink(name, dir_fd=dir_fd)
            except OSError:  # EINVAL: no longer a link
                found[path] = _unreadable(whose)
                return
            found[path] = Entry(LINK, None, st.st_uid, st.st_gid, diskio.label_at(dir_fd, name),
                                None, None, target, whose)
            return
        is_dir = stat.S_ISDIR(st.st_mode)
        if not is_dir and not stat.S_ISREG(st.st_mode):
            # A socket (ssh's ControlMaster in ~/.ssh) or a FIFO: never opened; recorded by
            # kind, mode and owner.
            found[path] = Entry(SPECIAL, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid,
                                diskio.label_at(dir_fd, name), None, None, None, whose)
            return
        if looked_hook is not None:
            looked_hook(self.ctx.path(path))
        try:
            # O_NOFOLLOW: a link put there since the stat is refused (ELOOP), not followed.
            fd = os.open(name, (diskio.O_DIR if is_dir else diskio.O_READ) | os.O_NOFOLLOW,
                         dir_fd=dir_fd)
        except OSError:
            found[path] = _unreadable(whose)
            return
        try:
            st = os.fstat(fd)  # what is read is what was opened, whatever the stat saw
            if not is_dir:
                found[path] = _file(fd, st, whose) if stat.S_ISREG(st.st_mode) \
                    else _unreadable(whose)  # a FIFO or directory put there since the stat
                return
            entry = Entry(DIRECTORY, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid,
                          diskio.selinux_label(fd), None, None, None, whose)
            if depth is not None and depth >= MAX_DEPTH:
                entry = entry._replace(kind=NOT_WALKED)
            found[path] = entry
            if depth is None or depth >= MAX_DEPTH:
                return
            trusted_below = whose is None and diskio.trusted_below(st, True)
            whose_below = None if trusted_below else _whose(st, whose)
            try:
                names = sorted(os.listdir(fd))
            except OSError:
                found[path] = _unreadable(whose)
                return
            for child in names:
                self._record(fd, whose_below, child, path.rstrip("/") + "/" + child, depth + 1,
                             found)
        except OSError:
            found[path] = _unreadable(whose)
        finally:
            os.close(fd)

    def _look(self, path):
        """The Entry of one path as it is now (a directory's contents not listed), or None."""
        return self._walk(path, below=False)[path]

    def spare(self, path, why):
        """Leave path as it is in restore(): something besides lbenroll edited it during the
        run, and a rollback takes back only lbenroll's edits (fileio.take_back). It is listed
        with why among what is not as it was."""
        self.spared[path] = why

    def __len__(self):
        return len(self.entries)

    def _now(self):
        now = {}
        for top in self.tops:
            now.update(self._walk(top))
        return now

    def _differing(self, now):
        paths = set(self.entries) | set(now)
        return sorted(path for path in paths
                      if not _same(self.entries.get(path), now.get(path)))

    def differences(self):
        """[host path] whose state differs from the snapshot, sorted."""
        return self._differing(self._now())

    def _left_as_is(self, before, now):
        """Why a rollback does not put a path back whose state was before and is now, or None
        when it may."""
        entries = [entry for entry in (before, now) if entry is not None]
        users = [entry.whose for entry in entries if entry.whose is not None]
        if any(entry.kind == NOT_WALKED for entry in entries):
            return "more than %d directories below its top: what is below it was not " \
                   "compared%s" % (MAX_DEPTH, ", and nothing is put back there" if users else "")
        if users:
            return self._in_users_directory(users[0])
        if before is not None and before.kind == UNREADABLE:
            return "it could not be read before the run: lbenroll does not know what to put back"
        if now is not None and now.kind == UNREADABLE:
            return "it cannot be read now: lbenroll leaves it as it is"
        return None

    def _in_users_directory(self, uid):
        if uid in diskio.TRUSTED_UIDS:
            return "in a directory that is not root's alone (others can change it): lbenroll " \
                   "puts nothing back there; what changed there is left as it is"
        name = self.owner_name(uid) if self.owner_name is not None else None
        return "in %s's directory: lbenroll took back only its own lines (REX_KEYS); what " \
               "else changed there is left as it is" % (name or "uid %d" % uid)

    def restore(self):
        """Put every differing path of root's back as recorded; return [(path, why)] of what is
        not as it was, after comparing everything again. A path in a user's directory, one not
        compared, one that could not be read is left as it is: it is spared (spare()) and named
        with why."""
        failed, left = {}, {}
        now = self._now()
        differing = []
        for path in self._differing(now):
            why = self._left_as_is(self.entries.get(path), now.get(path))
            if why is not None:
                left[path] = why
            elif path not in self.spared:
                differing.append(path)
        # Remove what was not there, deepest first; then recreate what was, outermost first.
        for path in sorted(differing, key=len, reverse=True):
            if self.entries.get(path) is None:
                self._remove(path, failed)
        for path in sorted(differing, key=len):
            if self.entries.get(path) is not None:
                self._put_back(path, self.entries[path], failed)
        now = self._now()
        for path in self._differing(now):
            before, after = self.entries.get(path), now.get(path)
            why = failed.get(path) or self.spared.get(path) or left.get(path) or \
                self._left_as_is(before, after) or "still differs after the rollback"
            if path not in failed and path not in self.spared and any(
                    entry is not None and entry.whose is not None for entry in (before, after)):
                self.spare(path, why)  # the rollback's advice: it keeps what changed there
            failed.setdefault(path, why)
        for path, entry in self.entries.items():
            if entry is not None and entry.kind == NOT_WALKED:
                failed.setdefault(path, self._left_as_is(entry, None))
        return sorted(failed.items())

    def _remove(self, path, failed):
        # Through diskio's walk, like every act below: no link a user made is followed.
        real = self.ctx.path(path)
        try:
            st = diskio.lstat(real)
            if st is not None and stat.S_ISDIR(st.st_mode):
                diskio.rmdir(real)  # its new contents went first
            elif st is not None:
                diskio.unlink(real)
        except (OSError, LbenrollError) as exc:
            failed[path] = "cannot remove it: %s" % _cause(exc)

    def _put_back(self, path, entry, failed):
        real = self.ctx.path(path)
        try:
            now = self._look(path)
            if now is not None and (now.whose is not None or now.kind in (UNREADABLE,
                                                                          NOT_WALKED)):
                failed[path] = self._left_as_is(None, now)  # it changed since it was compared
                return
            if now is not None and now.kind != entry.kind:
                if now.kind == DIRECTORY:
                    diskio.rmdir(real)
                else:
                    diskio.unlink(real)
                now = None
            if entry.kind == DIRECTORY:
                if now is None:
                    diskio.make_dirs(real, (entry.mode, entry.uid, entry.gid))
            elif entry.kind == SPECIAL:  # nothing to put back but its mode and owner
                if now is None:
                    failed[path] = "a socket or FIFO cannot be recreated"
                    return
            elif entry.kind == LINK:
                if now is None or now.link != entry.link:
                    diskio.replace_link(real, entry.link, entry.uid, entry.gid, None)
            elif now is None or now.digest != entry.digest:
                if entry.data is None:
                    failed[path] = "its content (%s) was too large to keep; restore it from " \
                                   "%s%s" % (_content(entry), host.BACKUP_DIR, path)
                    return
                diskio.replace(real, entry.data, entry.mode, entry.uid, entry.gid,
                               entry.label)
            after = self._look(path)
            label = entry.label if entry.label is not None and (
                after is None or after.label != entry.label) else None
            diskio.set_metadata(real, None if entry.kind == LINK else entry.mode, entry.uid,
                                entry.gid, label)
        except (OSError, LbenrollError) as exc:
            failed[path] = "cannot put it back: %s" % _cause(exc)


def _content(entry):
    if " " in entry.digest:  # compared by size and times
        return entry.digest
    return "sha256 %s" % entry.digest[:16]


def _cause(exc):
    if isinstance(exc, LbenrollError):
        return exc.message
    return exc.strerror or exc
