"""What the watched paths held before a run's first change; after a rollback, checked and healed.

The undo stack puts back what lbenroll changed itself. What its children changed besides
(update-ca-trust's extracted bundles, subscription-manager's caches and certificates) is only
known by looking: so before the first change of a run the watched trees are recorded (kind,
mode, owner, SELinux label, content or its digest), and after a rollback every difference is
put back, then everything is compared again. "The host is as it was" is said only when that
second comparison finds nothing.
"""
import collections
import errno
import hashlib
import os
import stat

from lbenroll import diskio, host

# Contents up to this size are kept, so that a file a child changed can be put back; a larger
# one (a 20,000-repository redhat.repo) is kept as a digest only: the writer that changed it
# holds its old bytes for the undo, and the comparison afterwards checks that it did.
KEEP_BYTES = 1 << 20

Entry = collections.namedtuple("Entry", "kind mode uid gid label digest data link")
FILE, DIRECTORY, LINK = "file", "directory", "link"
# A path this run may not read (an unprivileged --dry-run or --root run): compared as such only.
UNREADABLE = Entry("unreadable", None, None, None, None, None, None, None)


def _digest(data):
    return hashlib.sha256(data).hexdigest()


def _label(real):
    try:
        return os.getxattr(real, diskio.SELINUX_XATTR, follow_symlinks=False)
    except OSError:
        return None


def _entry(real):
    """The Entry for a path as it is now, or None when nothing is there."""
    try:
        st = os.lstat(real)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        if exc.errno in (errno.EACCES, errno.EPERM):
            return UNREADABLE  # not lbenroll's to see, so not lbenroll's to change either
        raise
    mode, label = stat.S_IMODE(st.st_mode), _label(real)
    if stat.S_ISLNK(st.st_mode):
        return Entry(LINK, None, st.st_uid, st.st_gid, label, None, None, os.readlink(real))
    if stat.S_ISDIR(st.st_mode):
        return Entry(DIRECTORY, mode, st.st_uid, st.st_gid, label, None, None, None)
    if not stat.S_ISREG(st.st_mode):
        # A socket (ssh's ControlMaster in ~/.ssh) or a FIFO: never opened (a FIFO would
        # block); recorded by kind, mode and owner.
        return Entry("special", mode, st.st_uid, st.st_gid, label, None, None, None)
    try:
        with open(real, "rb") as f:
            data = f.read()
    except PermissionError:
        return UNREADABLE
    return Entry(FILE, mode, st.st_uid, st.st_gid, label, _digest(data),
                 data if len(data) <= KEEP_BYTES else None, None)


def _same(a, b):
    """Equal for the comparison: everything but the kept bytes (the digest stands for them)."""
    if a is None or b is None:
        return a is b
    return a._replace(data=None) == b._replace(data=None)


class Snapshot(object):
    """The state of the watched paths: {host path: Entry}, absent tops recorded as None."""

    def __init__(self, ctx, tops):
        self.ctx = ctx
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

    def _walk(self, top):
        """{host path: Entry} of top and, for a directory, everything below it."""
        real_top = self.ctx.path(top)
        found = {top: _entry(real_top)}
        if found[top] is None or found[top].kind != DIRECTORY:
            return found
        for directory, dirs, files in os.walk(real_top):
            for name in dirs + files:
                real = os.path.join(directory, name)
                found[self._host_path(real)] = _entry(real)
            # os.walk does not follow links to directories: they are recorded as links.
        return found

    def _host_path(self, real):
        if self.ctx.root == "/":
            return real
        return "/" + os.path.relpath(real, self.ctx.root)

    def spare(self, path, why):
        """Leave path as it is in restore(): something besides lbenroll edited it during the
        run, and a rollback takes back only lbenroll's edits (fileio.take_back). It is listed
        with why among what is not as it was."""
        self.spared[path] = why

    def __len__(self):
        return len(self.entries)

    def differences(self):
        """[host path] whose state differs from the snapshot, sorted."""
        now = {}
        for top in self.tops:
            now.update(self._walk(top))
        paths = set(self.entries) | set(now)
        return sorted(path for path in paths
                      if not _same(self.entries.get(path), now.get(path)))

    def restore(self):
        """Put every differing path back as recorded; return [(path, why)] of what could not
        be, after comparing everything again."""
        failed = {}
        differing = [path for path in self.differences() if path not in self.spared]
        # Remove what was not there, deepest first; then recreate what was, outermost first.
        for path in sorted(differing, key=len, reverse=True):
            if self.entries.get(path) is None:
                self._remove(path, failed)
        for path in sorted(differing, key=len):
            if self.entries.get(path) is not None:
                self._put_back(path, self.entries[path], failed)
        for path in self.differences():
            failed.setdefault(path, self.spared.get(path, "still differs after the rollback"))
        return sorted(failed.items())

    def _remove(self, path, failed):
        # Through diskio's walk, like every act below: a watched tree may hold a user's
        # directory (a --rex-user's ~/.ssh), where no link is followed.
        real = self.ctx.path(path)
        try:
            st = diskio.lstat(real)
            if st is not None and stat.S_ISDIR(st.st_mode):
                diskio.rmdir(real)  # its new contents went first
            elif st is not None:
                diskio.unlink(real)
        except OSError as exc:
            failed[path] = "cannot remove it: %s" % (exc.strerror or exc)

    def _put_back(self, path, entry, failed):
        real = self.ctx.path(path)
        now = _entry(real)
        try:
            if now is not None and now.kind != entry.kind:
                if now.kind == DIRECTORY:
                    diskio.rmdir(real)
                else:
                    diskio.unlink(real)
                now = None
            if entry.kind == DIRECTORY:
                if now is None:
                    diskio.make_dirs(real, (entry.mode, entry.uid, entry.gid))
            elif entry.kind not in (FILE, LINK):  # special or unreadable: nothing to put back
                if now is None:
                    failed[path] = "a %s cannot be recreated" % entry.kind
                    return
            elif entry.kind == LINK:
                if now is None or now.link != entry.link:
                    diskio.replace_link(real, entry.link, entry.uid, entry.gid, None)
            elif now is None or now.digest != entry.digest:
                if entry.data is None:
                    failed[path] = "its content (sha256 %s) was too large to keep; restore it " \
                                   "from %s%s" % (entry.digest[:16], host.BACKUP_DIR, path)
                    return
                diskio.replace(real, entry.data, entry.mode, entry.uid, entry.gid,
                                     entry.label)
            label = entry.label if entry.label is not None and _label(real) != entry.label \
                else None
            diskio.set_metadata(real, None if entry.kind == LINK else entry.mode, entry.uid,
                                entry.gid, label)
        except OSError as exc:
            failed[path] = "cannot put it back: %s" % (exc.strerror or exc)
