"""A run's private temporary directory, and the removal of those that killed runs left behind.

The directory is named after the run's process: lbenroll-<pid>-<start time>-<pid namespace>-
<random>, the start time being the process's, in clock ticks since boot (/proc/<pid>/stat field
22), so that a PID used again by another process is not taken for the run, and the namespace
the inode of /proc/self/ns/pid, so that a run in a container sharing /tmp, whose PIDs this one
cannot see, is never taken for gone. A run that ends removes its own; one that was killed
(SIGKILL, a power cut) cannot, so every run first removes those whose process is gone (issue 19
point 6).

The temporary directory is shared with every local user, who can make entries named like ours.
An entry is removed only if it is a directory (never a link: os.lstat) owned by this process's
user, with mkdtemp's mode 0700, in a temporary directory that only its owner can rename entries
of (sticky, or not writable by others): such an entry can only have been made by that user, and
nobody else can swap it. shutil.rmtree then works on file descriptors and follows no link
inside it (shutil.rmtree.avoids_symlink_attacks).
"""
import logging
import os
import re
import shutil
import stat
import tempfile

log = logging.getLogger("lbenroll")

PREFIX = "lbenroll-"
OWNED_NAME = re.compile(r"^lbenroll-(\d+)-(\d+)-(\d+)-[A-Za-z0-9_]+$")
MODE = 0o700


def start_time(pid):
    """The start time of process pid in clock ticks since boot, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rpartition(")")[2].split()
    except (OSError, ValueError):
        return None
    # After the command name: field 3 (state) is fields[0], so field 22 is fields[19].
    return int(fields[19]) if len(fields) > 19 and fields[19].isdigit() else None


def pid_namespace():
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return 0


def make():
    """A new private directory (mode 0700) named after this process."""
    pid = os.getpid()
    return tempfile.mkdtemp(prefix="%s%d-%d-%d-" % (PREFIX, pid, start_time(pid) or 0,
                                                    pid_namespace()))


def _alive(pid, started):
    if not os.path.isdir("/proc/self"):
        return True  # no way to tell: keep everything
    return start_time(pid) == started


def _parent_is_safe(parent):
    """Only the owner of an entry can rename or remove it in parent (sticky /tmp), or nobody
    but root and this user can write there at all."""
    st = os.stat(parent)
    if st.st_uid not in (0, os.geteuid()):
        return False
    return bool(st.st_mode & stat.S_ISVTX) or not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def remove_abandoned(parent=None):
    """Remove the directories of runs that are no longer alive; return their paths. Anything
    else, or anything that does not look exactly like what this user's runs make, is left."""
    parent = parent or tempfile.gettempdir()
    if not getattr(shutil.rmtree, "avoids_symlink_attacks", False):
        return []
    try:
        if not _parent_is_safe(parent):
            log.info("not cleaning %s: others can rename entries there", parent)
            return []
        names = os.listdir(parent)
    except OSError as error:
        log.info("not cleaning %s: %s", parent, error)
        return []
    removed = []
    namespace = pid_namespace()
    for name in sorted(names):
        owned = OWNED_NAME.match(name)
        if not owned:
            continue
        path = os.path.join(parent, name)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if (not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid()
                or stat.S_IMODE(st.st_mode) != MODE):
            continue
        if int(owned.group(3)) != namespace or _alive(int(owned.group(1)), int(owned.group(2))):
            continue
        try:
            shutil.rmtree(path)
        except OSError as error:
            log.info("could not remove %s, left by an earlier run: %s", path, error)
            continue
        log.info("removed %s, left by a run that was killed", path)
        removed.append(path)
    return removed
