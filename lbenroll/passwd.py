"""The managed root's users and groups, read from its own /etc/passwd and /etc/group (never the
running system's: under --root they differ)."""
import collections

from lbenroll import diskio
from lbenroll.errors import WriteError

User = collections.namedtuple("User", "name uid gid home")
PASSWD, GROUP = "/etc/passwd", "/etc/group"


def _entries(ctx, database):
    """The colon-separated fields of each line of a database of the managed root; [] when it
    cannot be read. ConfigError naming the file when it is larger than diskio.MAX_READ or not a
    regular file: whatever was put there is never read without a bound."""
    try:
        text = diskio.read_file(ctx.path(database), database).decode("utf-8", "surrogateescape")
    except OSError:
        return []
    return [line.split(":") for line in text.splitlines()]


def user(ctx, name):
    """The User called name, or None."""
    for fields in _entries(ctx, PASSWD):
        if len(fields) >= 6 and fields[0] == name:
            try:
                return User(name, int(fields[2]), int(fields[3]), fields[5])
            except ValueError:
                return None
    return None


def name_of(ctx, uid):
    """The name of the user whose uid is uid, or None."""
    for fields in _entries(ctx, PASSWD):
        if len(fields) >= 3 and fields[2] == str(uid):
            return fields[0]
    return None


def id_of(ctx, database, name):
    """The numeric id of a user (PASSWD) or group (GROUP) name, or None. A number is an id
    already: a user's primary group comes from passwd as a gid, and it may have no line of its
    own in /etc/group."""
    if isinstance(name, int):
        return name
    if name == "root":
        return 0
    for fields in _entries(ctx, database):
        if len(fields) > 2 and fields[0] == name:
            try:
                return int(fields[2])
            except ValueError:
                return None
    return None


def owner_ids(ctx, owner, group):
    """uid/gid for names (or numeric ids), looked up in the managed root's passwd/group files."""
    ids = []
    for database, name in ((PASSWD, owner), (GROUP, group)):
        found = id_of(ctx, database, name)
        if found is None:
            raise WriteError("user or group %r not found in %s" % (name, ctx.path(database)))
        ids.append(found)
    return tuple(ids)
