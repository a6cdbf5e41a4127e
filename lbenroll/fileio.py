"""The one module that writes host files: atomic, backed up once, metadata kept, undoable."""
import errno
import logging
import os
import shutil
import stat
import tempfile
import time

from lbenroll import host
from lbenroll.errors import WriteError

log = logging.getLogger("lbenroll")

SELINUX_XATTR = "security.selinux"
BLOCK = 1 << 20  # bytes per read or write when a large file is handled in pieces
UNREAD = object()  # write_file: no planned_from given, read the current content
ABSENT_SUFFIX = ".lbenroll-absent"


def read_bytes(ctx, path):
    """Current bytes of a host file, or None when it does not exist."""
    try:
        with open(ctx.path(path), "rb") as f:
            return f.read()
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise WriteError("cannot read %s: %s" % (path, exc.strerror),
                         fix="check the file's permissions")


def _owner_ids(ctx, owner, group):
    """uid/gid for names (or numeric ids), looked up in the managed root's passwd/group files."""
    return _lookup_id(ctx.path("/etc/passwd"), owner), _lookup_id(ctx.path("/etc/group"), group)


def _lookup_id(db_path, name):
    # A number is an id already: a user's primary group comes from passwd as a gid, and it
    # may have no line of its own in /etc/group.
    if isinstance(name, int):
        return name
    if name == "root":
        return 0
    try:
        with open(db_path) as f:
            for line in f:
                fields = line.split(":")
                if len(fields) > 2 and fields[0] == name:
                    return int(fields[2])
    except OSError:
        pass
    raise WriteError("user or group %r not found in %s" % (name, db_path))


def _get_selinux(path):
    try:
        return os.getxattr(path, SELINUX_XATTR)
    except OSError:
        return None


def _missing_dirs(real):
    """The directories that do not exist on the way to real, outermost first."""
    missing = []
    while real and not os.path.isdir(real):
        missing.insert(0, real)
        real = os.path.dirname(real)
    return missing


def _makedirs(ctx, directory, spec=None):
    """Create a missing directory and its missing parents 0755 (less the umask) root; return
    the directories created, outermost first, so that an undo can remove them again.

    With spec (a Directory) the directory itself gets spec's mode and owner instead: sshd
    ignores ~/.ssh/authorized_keys unless ~/.ssh belongs to the user and others cannot write it.
    """
    real = ctx.path(directory)
    created = _missing_dirs(real)
    if not created:
        return created
    if spec is None:
        os.makedirs(real, 0o755)
        return created
    uid, gid = _owner_ids(ctx, spec.owner, spec.group)  # an unknown owner creates nothing
    if not os.path.isdir(os.path.dirname(real)):
        os.makedirs(os.path.dirname(real), 0o755)
    os.mkdir(real, spec.mode)
    os.chmod(real, spec.mode)  # mkdir's mode went through the umask
    if os.geteuid() == 0:
        os.chown(real, uid, gid)
    return created


def _remove_empty_dirs(created):
    for directory in reversed(created):
        if os.path.isdir(directory) and not os.listdir(directory):
            os.rmdir(directory)


def _fsync_dir(directory):
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_replace(real, data, mode, uid, gid, selinux):
    """Temp file in the target's directory, final metadata set before the data, fsync, rename."""
    directory = os.path.dirname(real)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(real) + ".")
    try:
        os.fchmod(fd, mode)
        if os.geteuid() == 0:
            os.fchown(fd, uid, gid)
        if selinux is not None:
            try:
                os.setxattr(tmp, SELINUX_XATTR, selinux)
            except OSError as exc:
                # Without SELinux support on this filesystem the label cannot be kept; on an
                # enforcing host the label exists and setting it back works.
                log.debug("could not keep SELinux label on %s: %s", real, exc)
        _write_chunks(fd, data.chunks() if hasattr(data, "chunks") else (data,))
        os.fsync(fd)
        os.close(fd)
        fd = None
        os.rename(tmp, real)
        tmp = None
        _fsync_dir(directory)
    finally:
        if fd is not None:
            os.close(fd)
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def replace_bytes(real, data, mode, uid, gid, selinux):
    """Atomically put data at a real (already re-rooted) path with that metadata: for restoring
    a recorded state (snapshot.py); every other write goes through write_file."""
    _atomic_replace(real, data, mode, uid, gid, selinux)


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _write_chunks(fd, chunks):
    """Write pieces (bytes or memoryviews) in blocks of about BLOCK bytes: a Spliced file has a
    piece per changed line, and a write call each would be tens of thousands of calls."""
    pending = bytearray()
    for chunk in chunks:
        if len(pending) + len(chunk) > BLOCK:
            _write_all(fd, pending)
            del pending[:]
            if len(chunk) > BLOCK:
                _write_all(fd, chunk)
                continue
        pending += chunk
    _write_all(fd, pending)


def _holds(real, expected):
    """Whether the file at real still has exactly the bytes expected (None: does not exist),
    compared block by block so that no second copy of a large file is read into memory."""
    try:
        f = open(real, "rb")
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return expected is None
        raise
    with f:
        if expected is None or os.fstat(f.fileno()).st_size != len(expected):
            return False
        view, pos = memoryview(expected), 0
        for block in iter(lambda: f.read(BLOCK), b""):
            if view[pos:pos + len(block)] != block:
                return False
            pos += len(block)
        return pos == len(expected)


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
        _atomic_replace(marker, b"", 0o600, 0, 0, None)


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
    one for each missing directory above it)."""
    if backed_up(ctx, path):
        return
    dest = backup_path(ctx, path)
    if current is None:
        _mark_missing_dirs(ctx, os.path.dirname(path))
        _mark_absent(ctx, path)
        return
    st = os.stat(ctx.path(path))
    _store_dir(ctx, os.path.dirname(dest))
    _atomic_replace(dest, current, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, None)


def backup_before_command(ctx, files, directories=()):
    """Before a command lbenroll runs changes files itself (a package script, subscription-manager
    register), back them up as a first write would, and mark the directories it may create
    if they are missing. The store then holds the true originals. Nothing in a dry run."""
    if ctx.dry_run:
        return
    ctx.before_change()
    try:
        for path in files:
            if not backed_up(ctx, path):  # a large redhat.repo is not read again for nothing
                backup_once(ctx, path, read_bytes(ctx, path))
        for directory in directories:
            _mark_missing_dirs(ctx, directory)
    except OSError as exc:
        raise WriteError("cannot back up before changing the host: %s" % (exc.strerror or exc),
                         fix="check free space and permissions under %s" % host.BACKUP_DIR)


def write_file(ctx, target, data, undo=True, planned_from=UNREAD):
    """Write data to the target atomically; return False (and touch nothing) if already equal.

    data is bytes, or a Spliced (writers.base) written piece by piece. planned_from, when
    given, is the content (None: absent) the data was computed from: if the file no longer
    holds it, something else wrote it meanwhile and nothing is written.

    target carries the path and the mode/owner/group used only when the file is created;
    an existing file keeps its own mode, owner and SELinux label. target.parent, when set, is
    the mode/owner of its directory if that has to be created; an existing one is left as it is.
    """
    real = ctx.path(target.path)
    if planned_from is UNREAD:
        current = read_bytes(ctx, target.path)
    elif _holds(real, planned_from):
        current = planned_from
    else:
        raise WriteError("%s changed while lbenroll was working on it; nothing written" % (
            target.path), fix="find out what else writes %s, then run lbenroll again" % (
            target.path))
    if data == current:
        return False
    ctx.before_change()
    try:
        # The backup first: it records which of the directories were missing.
        backup_once(ctx, target.path, current)
        created = _makedirs(ctx, os.path.dirname(target.path), target.parent)
        if current is not None:
            st = os.stat(real)
            mode, uid, gid = stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid
        else:
            mode = target.mode
            uid, gid = _owner_ids(ctx, target.owner, target.group)
        _atomic_replace(real, data, mode, uid, gid, _get_selinux(real))
    except OSError as exc:
        raise WriteError("cannot write %s: %s" % (target.path, exc.strerror or exc),
                         fix="check free space and permissions on %s" % os.path.dirname(real))
    log.info("wrote %s", target.path)
    if undo:
        def undo_write():
            restore_bytes(ctx, target, current)
            _remove_empty_dirs(created)
        ctx.undo.push("restore %s" % target.path, undo_write)
    return True


def restore_bytes(ctx, target, previous):
    """Put back earlier bytes (or remove a file that did not exist) without a new backup."""
    real = ctx.path(target.path)
    if previous is None:
        if os.path.exists(real):
            os.unlink(real)
        return
    if read_bytes(ctx, target.path) == previous:
        return
    st = os.stat(real) if os.path.exists(real) else None
    if st is not None:
        mode, uid, gid = stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid
    else:
        mode = target.mode
        uid, gid = _owner_ids(ctx, target.owner, target.group)
    _atomic_replace(real, previous, mode, uid, gid, _get_selinux(real) if st else None)


# set_aside() keeps its copies here, inside the backup store; they are not file backups.
SET_ASIDE = "set-aside"


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
        if directory == top and SET_ASIDE in dirs:
            dirs.remove(SET_ASIDE)
        for name in files:
            path = "/" + os.path.relpath(os.path.join(directory, name), top)
            if path.endswith(ABSENT_SUFFIX):
                entries.append((path[:-len(ABSENT_SUFFIX)], True))
            else:
                entries.append((path, False))
    return sorted(entries)


def read_backup(ctx, path):
    """The bytes the store keeps for path (an entry backups() listed as not absent)."""
    with open(backup_path(ctx, path), "rb") as f:
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
            if not os.path.lexists(real) or os.path.isdir(real):
                return False
            os.unlink(real)
            log.info("removed %s (absent before lbenroll)", path)
            return True
        data = read_backup(ctx, path)
        if read_bytes(ctx, path) == data:
            return False
        if os.path.exists(real):
            st, selinux = os.stat(real), _get_selinux(real)
        else:
            st, selinux = os.stat(backup_path(ctx, path)), None
            _makedirs(ctx, os.path.dirname(path))
        _atomic_replace(real, data, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, selinux)
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
                os.rmdir(top)
    except OSError as exc:
        raise WriteError("cannot remove %s: %s" % (directory, exc.strerror or exc))
    if os.path.isdir(real):
        return False
    log.info("removed the directory %s (absent before lbenroll)", directory)
    return True


def forget_backups(ctx):
    """Empty the backup store, so that a later enrollment backs up afresh; set-aside copies
    stay. True if there was anything to forget."""
    top = ctx.path(host.BACKUP_DIR)
    names = [name for name in (os.listdir(top) if os.path.isdir(top) else [])
             if name != SET_ASIDE]
    try:
        for name in names:
            path = os.path.join(top, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
        if os.path.isdir(top) and not os.listdir(top):
            os.rmdir(top)
    except OSError as exc:
        raise WriteError("cannot empty %s: %s" % (host.BACKUP_DIR, exc.strerror or exc),
                         fix="remove its contents by hand")
    return bool(names)


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
