"""The backup store under /var/lib/lbenroll/backup: every host file as it was before lbenroll
(or a command it ran) first changed it, kept once with its mode and owner, or a marker that it
was absent; put back and emptied by --remove. Also what lbenroll last wrote to each file it
manages (so that --remove can tell its own edits from everyone else's, lbenroll.revert), and the
set-aside copies of Puppet directories."""
import collections
import errno
import hashlib
import logging
import os
import shutil
import stat
import time

from lbenroll import diskio, host
from lbenroll.errors import WriteError

log = logging.getLogger("lbenroll")

ABSENT_SUFFIX = ".lbenroll-absent"

# What lbenroll last wrote to a managed file is kept under this name inside the store: the bytes
# up to KEEP_WRITTEN, a larger file (a 20,000-repository redhat.repo) as its SHA-256 only, in
# PATH + DIGEST_SUFFIX. A digest tells whether the file still holds lbenroll's write; only kept
# bytes allow a three-way revert.
LAST_WRITTEN = "last-written"
DIGEST_SUFFIX = ".lbenroll-sha256"
KEEP_WRITTEN = 1 << 20
Digest = collections.namedtuple("Digest", "sha256")


def backup_path(ctx, path):
    return ctx.path(host.BACKUP_DIR + path)


def _store_dir(ctx, directory):
    """Create a directory of the backup store; the store's top stays 0700, so the copies (which
    keep their originals' modes) are readable by root only."""
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o700)
    top = ctx.path(host.BACKUP_DIR)
    if stat.S_IMODE(os.stat(top).st_mode) != 0o700:
        os.chmod(top, 0o700)


def _mark_absent(ctx, path):
    marker = backup_path(ctx, path) + ABSENT_SUFFIX
    if not os.path.exists(marker):
        _store_dir(ctx, os.path.dirname(marker))
        diskio.replace(marker, b"", 0o600, 0, 0, None)


def _mark_missing_dirs(ctx, directory):
    """Mark the directories on the way to directory that do not exist yet as absent, so that a
    removal takes away the directories an enrollment brought and no others."""
    missing = []
    while directory != "/" and not os.path.isdir(ctx.path(directory)):
        missing.insert(0, directory)
        directory = os.path.dirname(directory)
    for path in missing:
        if not os.path.exists(backup_path(ctx, path)):  # its files were backed up: it existed
            _mark_absent(ctx, path)


def backed_up(ctx, path):
    """Whether the store already keeps path (its bytes, or the marker that it was absent)."""
    dest = backup_path(ctx, path)
    return os.path.exists(dest) or os.path.exists(dest + ABSENT_SUFFIX)


def backup_once(ctx, path, current):
    """Keep the file as it was before lbenroll first touched it, with its mode and owner (so a
    removal can recreate it if it was deleted since), or a marker that it was absent (then also
    one for each missing directory above it). current is what diskio.read_entry gives: a
    symbolic link is kept as a link to the same target."""
    if backed_up(ctx, path):
        return
    dest = backup_path(ctx, path)
    if current is None:
        _mark_missing_dirs(ctx, os.path.dirname(path))
        _mark_absent(ctx, path)
        return
    if isinstance(current, diskio.Link):
        st = os.lstat(ctx.path(path))
        _store_dir(ctx, os.path.dirname(dest))
        diskio.replace_link(dest, current.target, st.st_uid, st.st_gid, None)
        return
    st = os.stat(ctx.path(path))
    _store_dir(ctx, os.path.dirname(dest))
    diskio.replace(dest, current, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, None)


def backup_before_command(ctx, files, directories=()):
    """Before a command lbenroll runs changes files itself (a package script, subscription-manager
    register), back them up as a first write would, and mark the directories it may create
    if they are missing. The store then holds the true originals. Nothing in a dry run."""
    if ctx.dry_run:
        return
    ctx.before_change()
    try:
        for path in files:
            current = None
            if not backed_up(ctx, path):  # a large redhat.repo is not read again for nothing
                current = diskio.read_bytes(ctx, path)
                backup_once(ctx, path, current)
            ctx.commanded.add(path)
            written = read_written(ctx, path)
            if written is not None and holds_written(
                    diskio.read_entry(ctx, path) if current is None else current, written):
                ctx.record_after_command.add(path)
        for directory in directories:
            _mark_missing_dirs(ctx, directory)
    except OSError as exc:
        raise WriteError("cannot back up before changing the host: %s" % (exc.strerror or exc),
                         fix="check free space and permissions under %s" % host.BACKUP_DIR)


# set_aside() keeps its copies here, inside the backup store; they are not file backups.
SET_ASIDE = "set-aside"


def written_path(ctx, path):
    return ctx.path("%s/%s%s" % (host.BACKUP_DIR, LAST_WRITTEN, path))


def read_written(ctx, path):
    """What lbenroll last wrote to path: bytes, a diskio.Link, a Digest, or None when the store
    has no record of it (a file lbenroll changed only through a command it ran, or one an
    lbenroll older than the record backed up)."""
    dest = written_path(ctx, path)
    if os.path.islink(dest):
        return diskio.Link(os.readlink(dest))
    if os.path.isfile(dest):
        with open(dest, "rb") as f:
            return f.read()
    if os.path.isfile(dest + DIGEST_SUFFIX):
        with open(dest + DIGEST_SUFFIX) as f:
            return Digest(f.read().strip())
    return None


def holds_written(current, written):
    """Whether current (what diskio.read_entry gives) is what lbenroll last wrote."""
    if isinstance(written, Digest):
        return isinstance(current, bytes) and hashlib.sha256(current).hexdigest() == written.sha256
    return written is not None and current == written


def _size_and_digest(data):
    digest, size = hashlib.sha256(), 0
    for chunk in data.chunks() if hasattr(data, "chunks") else (data,):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def _unlink_quietly(path):
    try:
        os.unlink(path)
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            raise


def keep_written(ctx, path, data):
    """Record data (bytes, a writers.base.Spliced, a diskio.Link, a Digest; None: forget the
    record) as what lbenroll last wrote to path. Called before the write itself: a run killed
    in between leaves a record the file does not hold, which --remove treats as an edit by
    someone else (the safe side), never the other way round."""
    dest = written_path(ctx, path)
    if data is None:
        _unlink_quietly(dest)
        _unlink_quietly(dest + DIGEST_SUFFIX)
        return
    _store_dir(ctx, os.path.dirname(dest))
    if isinstance(data, diskio.Link):
        diskio.replace_link(dest, data.target, 0, 0, None)
        _unlink_quietly(dest + DIGEST_SUFFIX)
        return
    if isinstance(data, Digest):
        size, digest = KEEP_WRITTEN + 1, data.sha256
    else:
        size, digest = _size_and_digest(data)
    if size <= KEEP_WRITTEN:
        diskio.replace(dest, data, 0o600, 0, 0, None)
        _unlink_quietly(dest + DIGEST_SUFFIX)
    else:
        diskio.replace(dest + DIGEST_SUFFIX, digest.encode() + b"\n", 0o600, 0, 0, None)
        _unlink_quietly(dest)


def record_written(ctx, path, data):
    """keep_written, returning the record it replaces, for an undo to put back."""
    previous = read_written(ctx, path)
    keep_written(ctx, path, data)
    return previous


def record_after_command(ctx):
    """After a command lbenroll ran (Context.run): a file that held lbenroll's last write before
    it holds the command's result now, lbenroll's too, and recorded as such (subscription-manager
    register rewriting rhsm.conf with the values lbenroll gave it)."""
    for path in sorted(ctx.record_after_command):
        keep_written(ctx, path, diskio.read_entry(ctx, path))
    ctx.record_after_command.clear()


def settle(ctx, path, data):
    """After --remove reverted lbenroll's edits in a file others edited too: the store keeps
    data as the file's state before lbenroll and forgets lbenroll's write, so that a second
    --remove finds the file as it should be and changes nothing."""
    dest = backup_path(ctx, path)
    st = os.lstat(dest)
    diskio.replace(dest, data, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, None)
    keep_written(ctx, path, None)


def backups(ctx):
    """[(host path, absent)] for every path in the backup store, sorted: absent is True when the
    store says the path (a file or a directory) did not exist before lbenroll."""
    top = ctx.path(host.BACKUP_DIR)
    entries = []

    def unreadable(exc):
        # os.walk would skip it silently and --remove would then report nothing to restore.
        if exc.errno != errno.ENOENT:
            raise WriteError("cannot read the backup store: %s: %s" % (exc.filename, exc.strerror),
                             fix="run lbenroll as root")
    for directory, dirs, files in os.walk(top, onerror=unreadable):
        if directory == top:
            dirs[:] = [name for name in dirs if name not in (SET_ASIDE, LAST_WRITTEN)]
        for name in files:
            path = "/" + os.path.relpath(os.path.join(directory, name), top)
            if path.endswith(ABSENT_SUFFIX):
                entries.append((path[:-len(ABSENT_SUFFIX)], True))
            else:
                entries.append((path, False))
    return sorted(entries)


def read_backup(ctx, path):
    """What the store keeps for path (an entry backups() listed as not absent): its bytes, or
    a diskio.Link."""
    dest = backup_path(ctx, path)
    if os.path.islink(dest):
        return diskio.Link(os.readlink(dest))
    with open(dest, "rb") as f:
        return f.read()


def restore_backup(ctx, path):
    """Put a file back as the store keeps it; True if that changed anything.

    A file the store marks absent is deleted. Kept bytes are written atomically; an existing
    file keeps its mode, owner and SELinux label as on every write, a missing one (and its
    missing directories) is created with the original's mode and owner, kept on the copy.
    """
    real = ctx.path(path)
    try:
        if os.path.exists(backup_path(ctx, path) + ABSENT_SUFFIX):
            if not os.path.lexists(real) or (os.path.isdir(real) and not os.path.islink(real)):
                return False
            diskio.unlink(real)  # never through a link on the way
            log.info("removed %s (absent before lbenroll)", path)
            return True
        data = read_backup(ctx, path)
        if diskio.read_entry(ctx, path) == data:
            return False
        if isinstance(data, diskio.Link):
            st = os.lstat(backup_path(ctx, path))
            diskio.makedirs(ctx, os.path.dirname(path))
            diskio.replace_link(real, data.target, st.st_uid, st.st_gid,
                                diskio.link_label(real) if os.path.lexists(real) else None)
            log.info("restored the link %s -> %s from the backup store", path, data.target)
            return True
        found = diskio.lstat(real)
        if found is not None and stat.S_ISREG(found.st_mode):
            mode, uid, gid, selinux = diskio.metadata(real)  # on its descriptor
        else:  # missing, or a link the file replaces: the original's mode and owner
            st, selinux = os.stat(backup_path(ctx, path)), None
            mode, uid, gid = stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid
            diskio.makedirs(ctx, os.path.dirname(path))
        diskio.replace(real, data, mode, uid, gid, selinux)
    except OSError as exc:
        raise WriteError("cannot restore %s: %s" % (path, exc.strerror or exc),
                         fix="copy it from %s%s by hand" % (host.BACKUP_DIR, path))
    log.info("restored %s from the backup store", path)
    return True


def remove_empty_tree(ctx, directory):
    """Remove a directory the store marks absent, with the empty directories in it, bottom-up;
    True if the directory itself went. Files are never removed: a directory that still holds
    one stays. Everything below a directory that was absent came with the enrollment (puppet
    creates its code and devices directories on its first run, for instance)."""
    real = ctx.path(directory)
    if not os.path.isdir(real) or os.path.islink(real):
        return False
    try:
        for top, _dirs, _files in os.walk(real, topdown=False):  # bottom-up
            if not os.listdir(top):
                diskio.rmdir(top)  # never through a link that appeared on the way
    except OSError as exc:
        raise WriteError("cannot remove %s: %s" % (directory, exc.strerror or exc))
    if os.path.isdir(real):
        return False
    log.info("removed the directory %s (absent before lbenroll)", directory)
    return True


def _host_path_of(top, stored):
    """The host path a file of the store stands for (its backup, marker or last write)."""
    path = "/" + os.path.relpath(stored, top)
    if path.startswith("/%s/" % LAST_WRITTEN):
        path = path[len(LAST_WRITTEN) + 1:]
    for suffix in (ABSENT_SUFFIX, DIGEST_SUFFIX):
        if path.endswith(suffix):
            return path[:-len(suffix)]
    return path


def forget_backups(ctx, keep=()):
    """Empty the backup store, so that a later enrollment backs up afresh; set-aside copies
    stay, and so does everything the store holds for a path in keep (a file --remove left
    alone: its original and lbenroll's last write are what the note sends its owner to). The
    consumer packages kept for a rollback go too (forget_consumer_copies). True if there was
    anything to forget."""
    copies = forget_consumer_copies(ctx)
    top = ctx.path(host.BACKUP_DIR)
    if not os.path.isdir(top):
        return copies
    kept, forgotten = set(keep), copies
    try:
        walked = []
        for directory, dirs, files in os.walk(top):
            if directory == top and SET_ASIDE in dirs:
                dirs.remove(SET_ASIDE)  # not walked: a Puppet cache can be large
            walked.append((directory, dirs + files))
        for directory, names in reversed(walked):  # bottom-up: a directory after its contents
            for name in names:
                stored = os.path.join(directory, name)
                if os.path.islink(stored) or not os.path.isdir(stored):
                    if _host_path_of(top, stored) not in kept:
                        os.unlink(stored)
                        forgotten = True
                elif not os.listdir(stored):
                    os.rmdir(stored)
                    forgotten = True
        if not os.listdir(top):
            os.rmdir(top)
    except OSError as exc:
        raise WriteError("cannot empty %s: %s" % (host.BACKUP_DIR, exc.strerror or exc),
                         fix="remove its contents by hand")
    return forgotten


def forget_consumer_copies(ctx):
    """Remove host.CONSUMER_RPM_COPIES and the package files in it; True if it was there.

    Through diskio's walk, which follows no link: a link found there is removed itself, never
    its target. Anything but a file or a link (a directory nobody but root could have put there)
    stays, and so then does the directory, with a note in the log.
    """
    real = ctx.path(host.CONSUMER_RPM_COPIES)
    found = diskio.lstat(real)
    if found is None:
        return False
    try:
        if not stat.S_ISDIR(found.st_mode):
            diskio.unlink(real)
            return True
        for name in sorted(os.listdir(real)):
            try:
                diskio.unlink(os.path.join(real, name))
            except IsADirectoryError:
                log.warning("kept %s/%s: not a package file", host.CONSUMER_RPM_COPIES, name)
        diskio.rmdir(real)
    except OSError as exc:
        if exc.errno != errno.ENOTEMPTY:
            raise WriteError("cannot remove %s: %s" % (host.CONSUMER_RPM_COPIES,
                                                       exc.strerror or exc),
                             fix="remove it by hand") from None
    return True


def _fsync_path(path, flags):
    fd = os.open(path, flags | getattr(os, "O_NOFOLLOW", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_tree(top):
    """fsync every regular file and every directory of a tree (links are in their directory's
    entries; a socket or FIFO holds no data)."""
    for directory, _dirs, files in os.walk(top):
        for name in files:
            path = os.path.join(directory, name)
            if stat.S_ISREG(os.lstat(path).st_mode):
                _fsync_path(path, os.O_RDONLY)
        _fsync_path(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))


def sync_parents(path, top):
    """fsync the directories from path's parent up to top, which hold the names of the new
    directories on the way."""
    directory = os.path.dirname(path)
    while True:
        _fsync_path(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        if directory == top or os.path.dirname(directory) == directory:
            return
        directory = os.path.dirname(directory)


def set_aside(ctx, directory, undo=True):
    """Move a directory lbenroll does not write itself (Puppet's SSL directory, its cache) into
    the backup store; return where it went, or None when there was nothing to move.

    Copy then delete, not rename: /etc, /opt and /var are often separate filesystems. Each call
    gets its own stamped place, so an earlier set-aside copy is never overwritten.
    """
    real = ctx.path(directory)
    if not os.path.isdir(real):
        return None
    ctx.before_change()
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    dest = ctx.path("%s/set-aside/%s%s" % (host.BACKUP_DIR, stamp, directory))
    suffix = 1
    while os.path.exists(dest):
        suffix += 1
        dest = ctx.path("%s/set-aside/%s.%d%s" % (host.BACKUP_DIR, stamp, suffix, directory))
    try:
        os.makedirs(os.path.dirname(dest), 0o700)
        shutil.copytree(real, dest, symlinks=True)
        # The copy is on disk before the original goes: a crash in between must not lose the
        # host's Puppet keys (rename(2) would be atomic, but the copy crosses filesystems).
        sync_tree(dest)
        sync_parents(dest, ctx.path(os.path.dirname(host.BACKUP_DIR)))
        shutil.rmtree(real)
    except OSError as exc:
        raise WriteError("cannot move %s aside to %s: %s" % (directory, dest, exc),
                         fix="check free space and permissions under %s" % host.BACKUP_DIR)
    log.info("moved %s aside to %s", directory, dest)
    if undo:
        def put_back():
            if os.path.exists(real):
                shutil.rmtree(real)
            shutil.copytree(dest, real, symlinks=True)
        ctx.undo.push("put back %s" % directory, put_back)
    return dest
