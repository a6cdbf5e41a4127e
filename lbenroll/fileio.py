"""Writes a managed host file: backed up once first, atomically, its metadata kept, undoable, and
only when it still holds what the plan was made from."""
import logging
import os
import stat

from lbenroll import backup, diskio, host, passwd, revert
from lbenroll.diskio import read_bytes  # noqa: F401 (steps read host files through fileio)
from lbenroll.errors import WriteError

log = logging.getLogger("lbenroll")

UNREAD = object()  # write_file: no planned_from given, read the current content


def write_file(ctx, target, data, undo=True, planned_from=UNREAD, backup_first=True,
               record=True):
    """Write data to the target atomically; return False (and touch nothing) if already equal.

    data is bytes, or a Spliced (writers.base) written piece by piece. planned_from, when
    given, is the content (None: absent) the data was computed from: if the file no longer
    holds it, something else wrote it meanwhile and nothing is written.

    target carries the path and the mode/owner/group used only when the file is created;
    an existing file keeps its own mode, owner and SELinux label. target.parent, when set, is
    the mode/owner of its directory if that has to be created; an existing one is left as it is.
    Every step goes through diskio's walk: no link a user could have made is followed.

    backup_first=False: no copy in the backup store and no record of the write
    (authorized_keys: lbenroll takes back its own lines, never the whole file).
    record: keep data in the store as lbenroll's last write (--remove tells its own edits from
    others' by it); False only for --remove's own revert.
    """
    real = ctx.path(target.path)
    record = record and backup_first
    if planned_from is UNREAD:
        current = read_bytes(ctx, target.path)
    elif diskio.holds(real, planned_from):
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
        if backup_first:
            backup.backup_once(ctx, target.path, current)
        recorded = backup.record_written(ctx, target.path, data) if record else None
        created = diskio.makedirs(ctx, os.path.dirname(target.path), _wanted_dir(ctx, target))
        diskio.replace(real, data, *_metadata(ctx, target, real))
    except OSError as exc:
        raise WriteError("cannot write %s: %s" % (target.path, exc.strerror or exc),
                         fix="check free space and permissions on %s" % os.path.dirname(real))
    log.info("wrote %s", target.path)
    if undo:
        def undo_write():
            take_back(ctx, target, current, data)
            if record:
                backup.keep_written(ctx, target.path, recorded)
            diskio.remove_empty_dirs(created)
        ctx.undo.push("restore %s" % target.path, undo_write)
    return True


def take_back(ctx, target, previous, written):
    """A rollback's undo of one write: the file goes back to previous if it still holds what
    lbenroll wrote (written) or a command of this run may have rewritten it since; if something
    else edited it since, only lbenroll's edits are taken
    out (lbenroll.revert) and the others kept; if that cannot be done safely the file is left
    as it is and WriteError says so. Either way the rollback's last check (snapshot.py) is told
    to leave that file to its editor."""
    real = ctx.path(target.path)
    written = b"".join(written.chunks()) if hasattr(written, "chunks") else written
    if target.path in ctx.commanded or diskio.holds(real, written):
        # A command of this run may have rewritten it: those edits are lbenroll's as well.
        restore_bytes(ctx, target, previous)
        return
    now = read_bytes(ctx, target.path)
    if now == previous:
        return
    merged = None if previous is None or now is None else revert.revert(previous, written, now)
    if ctx.snapshot is not None:
        ctx.snapshot.spare(target.path, "changed by something else during the run: %s" % (
            "lbenroll's edits taken out, the others kept" if merged is not None
            else "left as it is"))
    if merged is None:
        raise WriteError("%s was changed by something else after lbenroll wrote it; left as it "
                         "is" % target.path, fix="compare it with %s%s and take lbenroll's edits "
                         "out by hand" % (host.BACKUP_DIR, target.path))
    restore_bytes(ctx, target, merged)


def link_file(ctx, path, target, undo=True):
    """Make path a symbolic link to target, as write_file writes a file: backed up once first,
    atomically, undoable; False (and nothing touched) when it already is that link. What was
    there (a file, another link) is replaced; a directory is refused."""
    if links_to(ctx, path, target):
        return False
    real = ctx.path(path)
    st = diskio.lstat(real)
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise WriteError("%s is a directory; lbenroll would put a link there" % path,
                         fix="move the directory away, then run lbenroll again")
    current = diskio.read_entry(ctx, path)
    ctx.before_change()
    try:
        backup.backup_once(ctx, path, current)
        recorded = backup.record_written(ctx, path, diskio.Link(target))
        created = diskio.makedirs(ctx, os.path.dirname(path))
        # What was there keeps its owner and label for the link, and for an undo.
        label = diskio.link_label(real) if current is not None else None
        uid, gid = (st.st_uid, st.st_gid) if st else (0, 0)
        diskio.replace_link(real, target, uid, gid, label)
    except OSError as exc:
        raise WriteError("cannot link %s to %s: %s" % (path, target, exc.strerror or exc),
                         fix="check free space and permissions on %s" % os.path.dirname(real))
    log.info("linked %s -> %s", path, target)
    if undo:
        def undo_link():
            if not links_to(ctx, path, target):  # something else made it what it is now
                if ctx.snapshot is not None:
                    ctx.snapshot.spare(path, "changed by something else during the run; left "
                                       "as it is")
                raise WriteError("%s was changed by something else after lbenroll linked it; "
                                 "left as it is" % path)
            backup.keep_written(ctx, path, recorded)
            if current is None:
                diskio.unlink(real)
                diskio.remove_empty_dirs(created)
            elif isinstance(current, diskio.Link):
                diskio.replace_link(real, current.target, uid, gid, label)
            else:
                diskio.replace(real, current, stat.S_IMODE(st.st_mode), uid, gid, label)
        ctx.undo.push("restore %s" % path, undo_link)
    return True


def links_to(ctx, path, target):
    """Whether path is a symbolic link to target."""
    st = diskio.lstat(ctx.path(path))
    return (st is not None and stat.S_ISLNK(st.st_mode)
            and diskio.read_entry(ctx, path) == diskio.Link(target))


def _metadata(ctx, target, real):
    """(mode, uid, gid, label) a write to real gives the file: an existing one's own (read on
    its descriptor), else the target's for a new file."""
    found = diskio.metadata(real)
    if found is not None:
        return found
    uid, gid = passwd.owner_ids(ctx, target.owner, target.group)
    return target.mode, uid, gid, None


def _wanted_dir(ctx, target):
    """(mode, uid, gid) of target's directory when lbenroll creates it: its Directory's, else
    0755 root. An unknown owner raises before anything is created."""
    spec = target.parent
    if spec is None:
        return (0o755, 0, 0)
    return (spec.mode,) + passwd.owner_ids(ctx, spec.owner, spec.group)


def restore_bytes(ctx, target, previous):
    """Put back earlier bytes (or remove a file that did not exist) without a new backup,
    through diskio's walk like every write."""
    real = ctx.path(target.path)
    if previous is None:
        st = diskio.lstat(real)
        if st is not None and not stat.S_ISDIR(st.st_mode):
            diskio.unlink(real)
        return
    if read_bytes(ctx, target.path) == previous:
        return
    diskio.replace(real, previous, *_metadata(ctx, target, real))


