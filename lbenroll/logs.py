"""Logging to the log file (and stderr with --verbose), every record passed through redaction."""
import logging
import os

LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"


class RedactingFilter(logging.Filter):
    def __init__(self, redact):
        super(RedactingFilter, self).__init__()
        self.redact = redact

    def filter(self, record):
        record.msg = self.redact(record.getMessage())
        record.args = None
        return True


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
            handler = logging.FileHandler(log_file)
            handler.setLevel(logging.DEBUG)
            handlers.append(handler)
        except OSError as exc:
            note = "cannot write the log file %s (%s); logging to it is off" % (
                log_file, exc.strerror)
    if verbose:
        handler = logging.StreamHandler()
        handler.setLevel(logging.INFO)
        handlers.append(handler)
    for handler in handlers:
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler.addFilter(RedactingFilter(redact))
        logger.addHandler(handler)
    return note
