"""What a command line leaves to be found on the machine: the Foreman API password (-p,
--password-file, the LBENROLL_PASSWORD environment variable, or a prompt on a terminal) and this
host's name. The reading that option validation (options.py) does not do, for the enrollment,
`lbenroll repair` and `lbenroll diagnose` alike.
"""
import getpass
import os
import socket
import sys

from lbenroll import diskio
from lbenroll.errors import LbenrollError, UsageError

PASSWORD_ENV = "LBENROLL_PASSWORD"
PASSWORD_FIX = ("give --password-file PATH, set %s, or run on a terminal to be asked"
                % PASSWORD_ENV)

PASSWORD_FILE_FIX = ("give a file root can read, with the Foreman API password on its first line, "
                     "or set %s instead" % PASSWORD_ENV)


def first_line(path):
    """The first line of a --password-file, without its line end; UsageError if unreadable.

    Read through diskio's walk, as the repair timer reads it again and again as root: a link
    in a directory root does not own (a user's home) is not followed, so that user cannot
    point it at another file and have its first line sent to the balancer as the password; a
    FIFO is refused, not waited on."""
    try:
        data = diskio.read_file(os.path.abspath(path), path)
    except OSError as exc:
        raise UsageError("--password-file: cannot read %s: %s" % (path, exc.strerror),
                         fix=PASSWORD_FILE_FIX) from None
    except LbenrollError as exc:
        raise UsageError("--password-file: %s" % exc.message, fix=PASSWORD_FILE_FIX) from None
    return data.decode("utf-8", "surrogateescape").split("\n", 1)[0].rstrip("\r")


def password(given, password_file, login, ask=True):
    """The password from the first source that has one: -p, --password-file, LBENROLL_PASSWORD,
    then (with ask, on a terminal) a prompt naming the login; None when there is none."""
    if given is None and password_file:
        given = first_line(password_file)
    if given is None:
        given = os.environ.get(PASSWORD_ENV)
    if given is None and ask and sys.stdin is not None and sys.stdin.isatty():
        given = getpass.getpass("Foreman password for %s: " % login)
    return given


def host_fqdn():
    """This host's name as the resolver gives it (bootstrap.py's default for --fqdn)."""
    return socket.getfqdn()
