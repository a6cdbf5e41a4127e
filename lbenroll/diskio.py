"""The bytes on disk: read a host file, replace one (or a symbolic link) atomically keeping its
metadata, create the directories on the way. The only code that writes; fileio.py (managed
files), backup.py (the backup store) and snapshot.py (a rollback's last check) build on it."""
import collections
import errno
import logging
import os
import stat
import tempfile

from lbenroll import passwd
from lbenroll.errors import ConfigError, WriteError

log = logging.getLogger("lbenroll")

SELINUX_XATTR = "security.selinux"


BLOCK = 1 << 20  # bytes per read or write when a large file is handled in pieces
# The most lbenroll reads of one host file. The largest it handles is redhat.repo: about 10 MB
# for the 20,000 repositories of the benchmarks (Satellite's largest organisations have a few
# thousand). 64 MiB is six times that, and keeps a run's memory (the file, its parse, a plan)
# within a few hundred MB whatever was put there.
MAX_READ = 64 << 20

# A symbolic link, as read_entry() gives it: where it points.
Link = collections.namedtuple("Link", "target")


def read_entry(ctx, path):
    """What is at a host path without following a last symbolic link: None (nothing), a Link,
    or the file's bytes."""
    real = ctx.path(path)
    if os.path.islink(real):
        return Link(os.readlink(real))
    return read_bytes(ctx, path)


def read_bytes(ctx, path):
    """Current bytes of a host file, or None when it does not exist; ConfigError when it is
    not a regular file or larger than MAX_READ."""
    try:
        return read_file(ctx.path(path), path)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise WriteError("cannot read %s: %s" % (path, exc.strerror),
                         fix="check the file's permissions")


def read_file(real, path):
    """The bytes of the file at real (path: its name in messages) by read_capped's rules;
    OSError when it cannot be opened."""
    # O_NONBLOCK: a FIFO put where a file belongs is refused, not waited on.
    fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        check_regular(os.fstat(fd).st_mode, path)
    except ConfigError:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as f:
        return read_capped(f, path)


def check_regular(mode, path):
    """ConfigError naming path unless mode is a regular file's."""
    if stat.S_ISREG(mode):
        return
    kind = "a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else (
        "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file")
    raise ConfigError("%s is %s, where lbenroll expects a file" % (path, kind),
                      fix="move %s away (or put the file back), then run lbenroll again" % path)


def read_capped(f, path, limit=None):
    """The bytes of an open regular file, refused (ConfigError naming path) when it holds more
    than limit (MAX_READ) bytes: no managed file is read without a bound."""
    limit = MAX_READ if limit is None else limit
    data = f.read(limit + 1)
    if len(data) > limit:
        raise ConfigError("%s is larger than %d MiB, more than lbenroll reads of a "
                          "configuration file" % (path, limit >> 20),
                          fix="check what wrote %s; move it away if it is not a real "
                              "configuration file" % path)
    return data


def owner_ids(ctx, owner, group):
    """uid/gid for names (or numeric ids), looked up in the managed root's passwd/group files."""
    ids = []
    for database, name in ((passwd.PASSWD, owner), (passwd.GROUP, group)):
        found = passwd.id_of(ctx, database, name)
        if found is None:
            raise WriteError("user or group %r not found in %s" % (name, ctx.path(database)))
        ids.append(found)
    return tuple(ids)


def selinux_label(path):
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


def makedirs(ctx, directory, spec=None):
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
    uid, gid = owner_ids(ctx, spec.owner, spec.group)  # an unknown owner creates nothing
    if not os.path.isdir(os.path.dirname(real)):
        os.makedirs(os.path.dirname(real), 0o755)
    os.mkdir(real, spec.mode)
    os.chmod(real, spec.mode)  # mkdir's mode went through the umask
    if os.geteuid() == 0:
        os.chown(real, uid, gid)
    return created


def remove_empty_dirs(created):
    for directory in reversed(created):
        if os.path.isdir(directory) and not os.listdir(directory):
            os.rmdir(directory)


def _fsync_dir(directory):
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace(real, data, mode, uid, gid, selinux):
    """Temp file in the target's directory, final metadata set before the data, fsync, rename."""
    directory = os.path.dirname(real)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(real) + ".")
    try:
        os.fchmod(fd, mode)
        if os.geteuid() == 0:
            os.fchown(fd, uid, gid)
        _keep_label(tmp, selinux, real)
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


def replace_link(real, target, uid, gid, selinux):
    """Make real a symbolic link to target atomically: a new link beside it, then rename."""
    directory = os.path.dirname(real)
    tmp = os.path.join(directory, ".%s.%s" % (os.path.basename(real), os.urandom(6).hex()))
    os.symlink(target, tmp)  # never over anything: an existing name is an error
    try:
        if os.geteuid() == 0:
            os.lchown(tmp, uid, gid)
        _keep_label(tmp, selinux, real)
        os.rename(tmp, real)
        tmp = None
        _fsync_dir(directory)
    finally:
        if tmp is not None:
            os.unlink(tmp)


def _keep_label(tmp, selinux, real):
    """Give the new file (or link: never followed) the label of what it replaces."""
    if selinux is None:
        return
    try:
        os.setxattr(tmp, SELINUX_XATTR, selinux, follow_symlinks=False)
    except OSError as exc:
        # Without SELinux support on this filesystem the label cannot be kept; on an
        # enforcing host the label exists and setting it back works.
        log.debug("could not keep SELinux label on %s: %s", real, exc)


def link_label(real):
    """The SELinux label of a path itself (a link's own, not its target's)."""
    try:
        return os.getxattr(real, SELINUX_XATTR, follow_symlinks=False)
    except OSError:
        return None


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


def holds(real, expected):
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
