"""The bytes on disk: read a host file, replace one (or a symbolic link) atomically keeping its
metadata, create the directories on the way. The only code that writes; fileio.py (managed
files), backup.py (the backup store) and snapshot.py (a rollback's last check) build on it.

Every path is walked here one component at a time from /, never handed to the kernel whole,
and every act (read, create, rename, unlink, chmod, chown) is done on a descriptor or relative
to the descriptor of the directory the walk ended in. A symbolic link is followed only where
root alone could have made it: the link is owned by root (or by whoever runs lbenroll) and sits
in a directory that is trusted, i.e. owned by root and writable by nobody else (or sticky, like
/tmp, where others cannot replace root's entries). A directory not owned by root (a --rex-user's
home, its .ssh) is untrusted, and so is everything below it: no link there is followed, at any
component, and meeting one raises UnsafePath. A link that appears between two operations is met
by the second one's walk. This is systemd's chase() with CHASE_SAFE (src/basic/chase.c: an
openat() per component, O_NOFOLLOW, and unsafe_transition() refusing to pass from an
unprivileged owner to another one) and the ownership rule of OpenSSH's auth_secure_path()
(auth.c: every directory from the file up to the home owned by root or the user, none group-
or world-writable), done the other way round: from / downwards, on descriptors.

Under --root the managed root's own directories are walked like any other: owned by root, they
are trusted, so re-rooting works as before. A trusted link's target is resolved from the real
/ (as the kernel would: a link is not re-rooted), and walked by the same rule."""
import collections
import errno
import logging
import os
import stat

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

# The owners whose links and directories are trusted: root, and whoever runs lbenroll (the
# same, except in an unprivileged --dry-run or a test run).
TRUSTED_UIDS = frozenset((0, os.geteuid()))
MAX_LINKS = 40  # as the kernel's ELOOP limit

O_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
O_READ = os.O_RDONLY | os.O_CLOEXEC | os.O_NOCTTY | os.O_NONBLOCK

# Tests only: called with the real path at the start of every walk (walk_hook) and once it
# has reached the directory to act in (walked_hook), to change the tree between two operations,
# or between a walk and its act, as another process could.
walk_hook = walked_hook = None


class UnsafePath(WriteError):
    """A path lbenroll was to act on passes through a link it may not follow (one that a user
    other than root could have made) or one that appeared while it worked."""

    def __init__(self, real, where):
        super(UnsafePath, self).__init__(
            "%s%s is a symbolic link in a directory root does not own (or one that appeared "
            "while lbenroll worked); lbenroll does not follow it and changed nothing there" % (
                "" if real == where else "%s: " % real, where),
            fix="replace %s with a real directory or file (or remove it), then run lbenroll "
                "again" % where)


def _trusted_dir(st, parent_trusted):
    """Whether links in a directory may be followed: the way to it was trusted, root owns it
    and nobody else can replace its entries."""
    if not parent_trusted or st.st_uid not in TRUSTED_UIDS:
        return False
    return not st.st_mode & 0o022 or bool(st.st_mode & stat.S_ISVTX)


class _Dir(object):
    """An open directory reached by a walk: its descriptor and whether it is trusted."""

    __slots__ = ("fd", "trusted")

    def __init__(self, fd, trusted):
        self.fd, self.trusted = fd, trusted

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        os.close(self.fd)


def _components(path):
    return [part for part in path.split("/") if part and part != "."]


_SELF = object()  # _walk's last "component" when it is to end in the directory itself


def _walk(real, follow_last, create=None, created=None, to_dir=False):
    """(_Dir of the directory holding real's last component, that component's name); with
    to_dir, (_Dir of real itself, None).

    Links on the way are followed only as the module's docstring says; with follow_last a
    trusted link as the last component is followed too (the name returned is then the last
    component of its target). create, (mode, uid, gid) or None, with to_dir: make missing
    directories on the way (their real paths are appended to created), real itself with that
    mode and owner, the ones above it 0755 root.
    """
    if walk_hook is not None:
        walk_hook(real)
    found = _walk_from_root(real, follow_last, create, created, to_dir)
    if walked_hook is not None:
        walked_hook(real)
    return found


def _walk_from_root(real, follow_last, create, created, to_dir):
    if not os.path.isabs(real):
        raise ValueError("a real path must be absolute: %r" % real)
    todo = _components(real) + ([_SELF] if to_dir else [])
    if not todo:
        raise ValueError("not a file path: %r" % real)
    stack = [_Dir(os.open("/", O_DIR), None)]
    stack[0].trusted = _trusted_dir(os.fstat(stack[0].fd), True)
    where, links = ["/"], 0
    try:
        while True:
            name = todo.pop(0)
            if name is _SELF:
                return stack.pop(), None
            if name == "..":
                if len(stack) > 1:
                    os.close(stack.pop().fd)
                    where.pop()
                continue
            here = stack[-1]
            last = not todo and not to_dir
            try:
                st = os.stat(name, dir_fd=here.fd, follow_symlinks=False)
            except FileNotFoundError:
                if last or create is None:
                    if last:
                        return stack.pop(), name
                    raise
                st = None
            if st is not None and stat.S_ISLNK(st.st_mode):
                if last and not follow_last:
                    return stack.pop(), name
                if not (here.trusted and st.st_uid in TRUSTED_UIDS):
                    raise UnsafePath(real, os.path.join(*(where + [name])))
                links += 1
                if links > MAX_LINKS:
                    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), real)
                target = os.readlink(name, dir_fd=here.fd)
                todo[:0] = _components(target)
                if target.startswith("/"):
                    while len(stack) > 1:
                        os.close(stack.pop().fd)
                    del where[1:]
                if not todo:
                    raise ValueError("a link to / is not a file path: %r" % real)
                continue
            if last:
                return stack.pop(), name
            if st is None:
                try:
                    _make_dir(here, name, create if todo == [_SELF] else (0o755, 0, 0))
                    created.append(os.path.join(*(where + [name])))
                except FileExistsError:
                    pass  # made meanwhile by another process: opened below like any directory
            stack.append(_Dir(_open_dir_at(here, name, real, where), None))
            stack[-1].trusted = _trusted_dir(os.fstat(stack[-1].fd), here.trusted)
            where.append(name)
    finally:
        for entry in stack:
            os.close(entry.fd)


def _open_dir_at(here, name, real, where):
    """A directory's descriptor; a link put there since it was looked at is refused."""
    try:
        return os.open(name, O_DIR | os.O_NOFOLLOW, dir_fd=here.fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafePath(real, os.path.join(*(where + [name])))
        raise


def _make_dir(here, name, spec):
    """mkdir, then the mode and owner set on the new directory's descriptor (never by path:
    what is at the name by then may be something else)."""
    mode, uid, gid = spec
    os.mkdir(name, 0o700, dir_fd=here.fd)
    fd = os.open(name, O_DIR | os.O_NOFOLLOW, dir_fd=here.fd)
    try:
        if os.geteuid() == 0:
            os.fchown(fd, uid, gid)
        os.fchmod(fd, mode)  # mkdir's mode goes through the umask
    finally:
        os.close(fd)


def _open_read(real):
    """A read descriptor for the file at real (links followed as _walk says), or None."""
    try:
        parent, name = _walk(real, follow_last=True)
    except (FileNotFoundError, NotADirectoryError):
        return None
    with parent:
        try:
            # a trusted last link was followed by the walk: one here is not to be
            fd = os.open(name, O_READ | os.O_NOFOLLOW, dir_fd=parent.fd)
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                return None
            if exc.errno == errno.ELOOP:
                # a link appeared since the walk looked (a trusted one was followed there)
                raise UnsafePath(real, real)
            raise
    os.set_blocking(fd, True)
    return fd


def open_file(real):
    """The file at real open for reading (a binary file object), or None when it does not
    exist. A FIFO or device put where a file was expected is refused."""
    fd = _open_read(real)
    if fd is None:
        return None
    if not stat.S_ISREG(os.fstat(fd).st_mode) and not stat.S_ISDIR(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file", real)
    return os.fdopen(fd, "rb")


def lstat(real):
    """os.lstat of real, walked safely; None when it does not exist."""
    try:
        parent, name = _walk(real, follow_last=False)
        with parent:
            return os.stat(name, dir_fd=parent.fd, follow_symlinks=False)
    except (FileNotFoundError, NotADirectoryError):
        return None


def in_trusted_dir(real):
    """Whether the directory holding real is trusted (see the module's docstring): a link
    there could only have been made by root. UnsafePath when the way to it is not safe."""
    parent, _name = _walk(real, follow_last=False)
    with parent:
        return parent.trusted


def walk_to(real):
    """The end of the walk to real, its last component not followed: (the directory holding
    it, that component's name). The directory has .fd (to act relative to) and .trusted (see
    the module's docstring), and closes on leaving a with block. For code that goes on below a
    path on descriptors itself (snapshot.py). FileNotFoundError or NotADirectoryError when a
    directory on the way is missing; UnsafePath when the way passes a link a user could make."""
    return _walk(real, follow_last=False)


def trusted_below(st, parent_trusted):
    """Whether a directory (st: its fstat) reached from a trusted directory or not is trusted
    itself, by the module's rule."""
    return _trusted_dir(st, parent_trusted)


def metadata(real):
    """(mode, uid, gid, SELinux label) of the existing file at real (a trusted link followed,
    as a write over it keeps its target's), or None when nothing is there."""
    fd = _open_read(real)
    if fd is None:
        return None
    try:
        st = os.fstat(fd)
        return stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, selinux_label(fd)
    finally:
        os.close(fd)


def read_entry(ctx, path):
    """What is at a host path without following a last symbolic link: None (nothing), a Link,
    or the file's bytes."""
    real = ctx.path(path)
    st = lstat(real)
    if st is not None and stat.S_ISLNK(st.st_mode):
        parent, name = _walk(real, follow_last=False)
        with parent:
            return Link(os.readlink(name, dir_fd=parent.fd))
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
    # Through the walk (no link a user made is followed); O_READ has O_NONBLOCK: a FIFO put
    # where a file belongs is refused, not waited on.
    fd = _open_read(real)
    if fd is None:
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), real)
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


def selinux_label(path):
    """The SELinux label of a path (its last link followed) or of an open descriptor, or
    None."""
    try:
        return os.getxattr(path, SELINUX_XATTR)
    except OSError:
        return None


def makedirs(ctx, directory, wanted=(0o755, 0, 0)):
    """Create a missing directory and its missing parents 0755 root; return the real paths of
    the directories created, outermost first, so that an undo can remove them again.

    The directory itself gets wanted (mode, uid, gid): sshd ignores ~/.ssh/authorized_keys
    unless ~/.ssh belongs to the user and others cannot write it (passwd.owner_ids gives the
    ids of a Directory's owner).
    """
    return make_dirs(ctx.path(directory), wanted)


def make_dirs(real, wanted=(0o755, 0, 0)):
    """makedirs() for a real path: the last directory gets wanted (mode, uid, gid)."""
    created = []
    directory, _none = _walk(real, follow_last=True, create=wanted, created=created,
                             to_dir=True)
    with directory:
        return created


def remove_empty_dirs(created):
    """Remove the directories of created (real paths, outermost first) that are empty,
    deepest first; one that is not empty, or no longer a directory, stays."""
    for directory in reversed(created):
        try:
            parent, name = _walk(directory, follow_last=False)
        except (FileNotFoundError, NotADirectoryError):
            continue
        with parent:
            try:
                os.rmdir(name, dir_fd=parent.fd)  # never follows a link: ENOTDIR
            except OSError as exc:
                if exc.errno not in (errno.ENOENT, errno.ENOTDIR, errno.ENOTEMPTY,
                                     errno.EEXIST):
                    raise


def rmdir(real):
    """Remove the empty directory at real (never a link's target)."""
    parent, name = _walk(real, follow_last=False)
    with parent:
        os.rmdir(name, dir_fd=parent.fd)


def unlink(real):
    """Remove the file or link at real (a link itself, never its target); False when nothing
    was there. A directory is left alone (IsADirectoryError)."""
    try:
        parent, name = _walk(real, follow_last=False)
    except (FileNotFoundError, NotADirectoryError):
        return False
    with parent:
        try:
            os.unlink(name, dir_fd=parent.fd)
        except FileNotFoundError:
            return False
        os.fsync(parent.fd)
    return True


def set_metadata(real, mode, uid, gid, selinux):
    """Set mode (None: leave it; a link has none), owner and label of what is at real itself,
    a link included, on its descriptor or relative to its directory's: never through a link."""
    parent, name = _walk(real, follow_last=False)
    with parent:
        st = os.stat(name, dir_fd=parent.fd, follow_symlinks=False)
        if stat.S_ISLNK(st.st_mode):
            if os.geteuid() == 0:
                os.chown(name, uid, gid, dir_fd=parent.fd, follow_symlinks=False)
            if selinux is not None:
                _set_label_at(parent, name, selinux, real)
            return
        if not (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)):
            _set_special(parent, name, mode, uid, gid, real)
            return
        flags = (O_DIR if stat.S_ISDIR(st.st_mode) else O_READ) | os.O_NOFOLLOW
        fd = os.open(name, flags, dir_fd=parent.fd)
    try:
        if os.geteuid() == 0:
            os.fchown(fd, uid, gid)
        if mode is not None:
            os.fchmod(fd, mode)
        if selinux is not None:
            _keep_label(fd, selinux, real)
    finally:
        os.close(fd)


def _set_special(parent, name, mode, uid, gid, real):
    """Owner and mode of a socket (ssh's ControlMaster in ~/.ssh) or FIFO, which cannot be
    opened for reading: through an O_PATH descriptor, checked not to be a link, and its /proc
    name (fchmod does not take an O_PATH descriptor)."""
    fd = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent.fd)
    try:
        if stat.S_ISLNK(os.fstat(fd).st_mode):
            raise UnsafePath(real, real)  # it became a link since it was looked at
        proc = "/proc/self/fd/%d" % fd
        if os.geteuid() == 0:
            os.chown(proc, uid, gid)
        if mode is not None:
            os.chmod(proc, mode)
    finally:
        os.close(fd)


def _temp_name(name):
    return ".%s.%s" % (name, os.urandom(6).hex())


def replace(real, data, mode, uid, gid, selinux):
    """Temp file in the target's directory, final metadata set on its descriptor before the
    data, fsync, rename; nothing is done by path after the rename. A link at real is replaced,
    never followed."""
    parent, name = _walk(real, follow_last=False)
    with parent:
        tmp = _temp_name(name)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                     0o600, dir_fd=parent.fd)
        try:
            if os.geteuid() == 0:
                os.fchown(fd, uid, gid)
            os.fchmod(fd, mode)  # after the chown, which clears set-id bits
            _keep_label(fd, selinux, real)
            _write_chunks(fd, data.chunks() if hasattr(data, "chunks") else (data,))
            os.fsync(fd)
            os.close(fd)
            fd = None
            os.rename(tmp, name, src_dir_fd=parent.fd, dst_dir_fd=parent.fd)
            tmp = None
            os.fsync(parent.fd)
        finally:
            if fd is not None:
                os.close(fd)
            if tmp is not None:
                try:
                    os.unlink(tmp, dir_fd=parent.fd)
                except OSError:
                    pass


def replace_link(real, target, uid, gid, selinux):
    """Make real a symbolic link to target atomically: a new link beside it, then rename."""
    parent, name = _walk(real, follow_last=False)
    with parent:
        tmp = _temp_name(name)
        os.symlink(target, tmp, dir_fd=parent.fd)  # never over anything: an existing name fails
        try:
            if os.geteuid() == 0:
                os.chown(tmp, uid, gid, dir_fd=parent.fd, follow_symlinks=False)
            if selinux is not None:
                _set_label_at(parent, tmp, selinux, real)
            os.rename(tmp, name, src_dir_fd=parent.fd, dst_dir_fd=parent.fd)
            tmp = None
            os.fsync(parent.fd)
        finally:
            if tmp is not None:
                os.unlink(tmp, dir_fd=parent.fd)


def _set_label_at(parent, name, selinux, real):
    """The label of a link itself: setxattr has no directory-descriptor form, so the path goes
    through the directory's descriptor in /proc (no component of it can be swapped)."""
    _keep_label("/proc/self/fd/%d/%s" % (parent.fd, name), selinux, real)


def _keep_label(where, selinux, real):
    """Give the new file (a descriptor, or a /proc path of a link: never followed) the label
    of what it replaces."""
    if selinux is None:
        return
    try:
        if isinstance(where, int):
            os.setxattr(where, SELINUX_XATTR, selinux)
        else:
            os.setxattr(where, SELINUX_XATTR, selinux, follow_symlinks=False)
    except OSError as exc:
        # Without SELinux support on this filesystem the label cannot be kept; on an
        # enforcing host the label exists and setting it back works.
        log.debug("could not keep SELinux label on %s: %s", real, exc)


def link_label(real):
    """The SELinux label of a path itself (a link's own, not its target's)."""
    try:
        parent, name = _walk(real, follow_last=False)
    except OSError:
        return None
    with parent:
        return label_at(parent.fd, name)


def label_at(dir_fd, name):
    """The SELinux label of the entry name (a link's own) in the directory open at dir_fd:
    getxattr has no directory-descriptor form, so through the directory's descriptor in /proc,
    the last component not followed."""
    try:
        return os.getxattr("/proc/self/fd/%d/%s" % (dir_fd, name), SELINUX_XATTR,
                           follow_symlinks=False)
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
        f = open_file(real)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return expected is None
        raise
    if f is None:
        return expected is None
    with f:
        if expected is None or os.fstat(f.fileno()).st_size != len(expected):
            return False
        view, pos = memoryview(expected), 0
        for block in iter(lambda: f.read(BLOCK), b""):
            if view[pos:pos + len(block)] != block:
                return False
            pos += len(block)
        return pos == len(expected)
