"""One lbenroll run at a time per managed root (flock on a file under /var/lib/lbenroll)."""
import errno
import fcntl
import os
import stat

from lbenroll import diskio, host
from lbenroll.errors import LockedError, WriteError


class RunLock(object):
    def __init__(self, ctx):
        self.path = ctx.path(host.LOCK_FILE)
        self.fd = None

    def __enter__(self):
        directory = os.path.dirname(self.path)
        try:
            # Through diskio's walk (a --root tree may hold a link a user made), the file itself
            # opened relative to its directory, never through a link. Another run may create
            # the directory meanwhile: the lock file, not the directory, decides which goes on.
            diskio.make_dirs(directory, (0o755, 0, 0))
            parent, name = diskio.walk_to(self.path)
            with parent:
                self.fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
                                  | os.O_NONBLOCK, 0o600, dir_fd=parent.fd)
            if not stat.S_ISREG(os.fstat(self.fd).st_mode):
                os.close(self.fd)
                self.fd = None
                raise OSError(errno.EINVAL, "not a regular file")
        except OSError as exc:
            raise WriteError("cannot create the lock file %s: %s" % (self.path, exc.strerror),
                             step="LOCK", fix="check that %s is writable" % directory)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(self.fd)
            self.fd = None
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise LockedError("another lbenroll run is in progress (lock %s)" % self.path,
                                  step="LOCK", fix="wait for it to finish, then run again")
            raise
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)  # closing releases the flock
            self.fd = None
