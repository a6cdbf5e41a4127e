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
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
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


def backup_path(ctx, path):
    return ctx.path(host.BACKUP_DIR + path)


def backup_once(ctx, path, current):
    """Keep the file as it was before lbenroll first touched it (or a marker that it was absent)."""
    dest = backup_path(ctx, path)
    if os.path.exists(dest) or os.path.exists(dest + ABSENT_SUFFIX):
        return
    directory = os.path.dirname(dest)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o700)
    if current is None:
        _atomic_replace(dest + ABSENT_SUFFIX, b"", 0o600, 0, 0, None)
    else:
        _atomic_replace(dest, current, 0o600, 0, 0, None)


def write_file(ctx, target, data, undo=True):
    """Write data to the target atomically; return False (and touch nothing) if already equal.

    target carries the path and the mode/owner/group used only when the file is created;
    an existing file keeps its own mode, owner and SELinux label. target.parent, when set, is
    the mode/owner of its directory if that has to be created; an existing one is left as it is.
    """
    real = ctx.path(target.path)
    current = read_bytes(ctx, target.path)
    if current == data:
        return False
    try:
        created = _makedirs(ctx, os.path.dirname(target.path), target.parent)
        backup_once(ctx, target.path, current)
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


def set_aside(ctx, directory, undo=True):
    """Move a directory lbenroll does not write itself (Puppet's SSL directory, its cache) into
    the backup store; return where it went, or None when there was nothing to move.

    Copy then delete, not rename: /etc, /opt and /var are often separate filesystems. Each call
    gets its own stamped place, so an earlier set-aside copy is never overwritten.
    """
    real = ctx.path(directory)
    if not os.path.isdir(real):
        return None
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
