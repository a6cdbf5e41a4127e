"""Logging to the log file (and stderr with --verbose), every record passed through redaction."""
import errno
import logging
import os
import stat

LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"


class RedactingFilter(logging.Filter):
    def __init__(self, redact):
        super(RedactingFilter, self).__init__()
        self.redact = redact

    def filter(self, record):
        record.msg = self.redact(record.getMessage())
        record.args = None
        return True


class LogFile(logging.StreamHandler):
    """The log file, appended to: created 0600 (a run's log is root's to read), and opened
    without following a symbolic link in its place (where a --root tree holds one)."""

    def __init__(self, path):
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
                     | os.O_NONBLOCK, 0o600)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise OSError(errno.EINVAL, "not a regular file", path)
        os.set_blocking(fd, True)
        super(LogFile, self).__init__(os.fdopen(fd, "a", encoding="utf-8",
                                                errors="backslashreplace"))

    def close(self):
        try:
            self.stream.close()
        finally:
            super(LogFile, self).close()


def configure(redact, log_file=None, verbose=False):
    """Returns a note for the user when the log file cannot be opened (the run goes on)."""
    logger = logging.getLogger("lbenroll")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    note = None
    handlers = []
    if log_file:
        try:
            directory = os.path.dirname(log_file)
            if directory and not os.path.isdir(directory):
                os.makedirs(directory, 0o755)
            handler = LogFile(log_file)
            handler.setLevel(logging.DEBUG)
            handlers.append(handler)
        except OSError as exc:
            why = "a symbolic link" if exc.errno == errno.ELOOP else exc.strerror
            note = "cannot write the log file %s (%s); logging to it is off" % (log_file, why)
    if verbose:
        handler = logging.StreamHandler()
        handler.setLevel(logging.INFO)
        handlers.append(handler)
    for handler in handlers:
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler.addFilter(RedactingFilter(redact))
        logger.addHandler(handler)
    return note
