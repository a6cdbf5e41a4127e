"""Writes a managed host file: backed up once first, atomically, its metadata kept, undoable, and
only when it still holds what the plan was made from."""
import logging
import os
import stat

from lbenroll import backup, diskio
from lbenroll.diskio import read_bytes  # noqa: F401 (steps read host files through fileio)
from lbenroll.errors import WriteError

log = logging.getLogger("lbenroll")

UNREAD = object()  # write_file: no planned_from given, read the current content


def write_file(ctx, target, data, undo=True, planned_from=UNREAD):
    """Write data to the target atomically; return False (and touch nothing) if already equal.

    data is bytes, or a Spliced (writers.base) written piece by piece. planned_from, when
    given, is the content (None: absent) the data was computed from: if the file no longer
    holds it, something else wrote it meanwhile and nothing is written.

    target carries the path and the mode/owner/group used only when the file is created;
    an existing file keeps its own mode, owner and SELinux label. target.parent, when set, is
    the mode/owner of its directory if that has to be created; an existing one is left as it is.
    """
    real = ctx.path(target.path)
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
        backup.backup_once(ctx, target.path, current)
        created = diskio.makedirs(ctx, os.path.dirname(target.path), target.parent)
        if current is not None:
            st = os.stat(real)
            mode, uid, gid = stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid
        else:
            mode = target.mode
            uid, gid = diskio.owner_ids(ctx, target.owner, target.group)
        diskio.replace(real, data, mode, uid, gid, diskio.selinux_label(real))
    except OSError as exc:
        raise WriteError("cannot write %s: %s" % (target.path, exc.strerror or exc),
                         fix="check free space and permissions on %s" % os.path.dirname(real))
    log.info("wrote %s", target.path)
    if undo:
        def undo_write():
            restore_bytes(ctx, target, current)
            diskio.remove_empty_dirs(created)
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
        uid, gid = diskio.owner_ids(ctx, target.owner, target.group)
    diskio.replace(real, previous, mode, uid, gid, diskio.selinux_label(real) if st else None)


