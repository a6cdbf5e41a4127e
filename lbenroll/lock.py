"""One lbenroll run at a time per managed root (flock on a file under /var/lib/lbenroll)."""
import errno
import fcntl
import os

from lbenroll import host
from lbenroll.errors import LockedError, WriteError


class RunLock(object):
    def __init__(self, ctx):
        self.path = ctx.path(host.LOCK_FILE)
        self.fd = None

    def __enter__(self):
        directory = os.path.dirname(self.path)
        try:
            # Another run may create the directory between a check and makedirs: the lock file,
            # not the directory, is what decides which run goes on.
            os.makedirs(directory, 0o755, exist_ok=True)
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
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
