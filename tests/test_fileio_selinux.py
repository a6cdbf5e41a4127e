"""SELinux labels survive lbenroll's writes: the temp file gets the old file's label before the
rename (else the new file would carry the directory's default label, e.g. rhsm.conf as tmp_t).

The label is an extended attribute, which filesystems such as ext4 store for root without
SELinux being enabled, so this runs here as on an EL host. A filesystem that refuses it makes
these tests skip, saying so."""
import errno
import os

import pytest

from lbenroll import backup, diskio, fileio
from lbenroll.writers.base import Spliced, Target
from tests.conftest import seed

TARGET = Target("/etc/rhsm/rhsm.conf", 0o644, "root", "root", "rhsm.conf")
LABEL = b"system_u:object_r:rhsmcertd_config_t:s0\x00"  # as the kernel returns it: with NUL


def labelled(root):
    real = os.path.join(str(root), TARGET.path.lstrip("/"))
    try:
        os.setxattr(real, diskio.SELINUX_XATTR, LABEL)
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM):
            pytest.skip("this filesystem does not store security.selinux (%s)" % exc.strerror)
        raise
    return real


def test_a_rewritten_file_keeps_its_label(ctx, root):
    seed(root, {TARGET.path: b"[server]\nhostname = proxy02.example.test\n"})
    real = labelled(root)
    assert fileio.write_file(ctx, TARGET, b"[server]\nhostname = lb.example.test\n")
    assert os.getxattr(real, diskio.SELINUX_XATTR) == LABEL


def test_a_spliced_write_and_its_undo_keep_the_label(ctx, root):
    base = b"[server]\nhostname = proxy02.example.test\n"
    seed(root, {TARGET.path: base})
    real = labelled(root)
    fileio.write_file(ctx, TARGET, Spliced(base, [(20, 40, b"lb.example.test")]),
                      planned_from=base)
    assert os.getxattr(real, diskio.SELINUX_XATTR) == LABEL
    ctx.undo.rollback()
    assert fileio.read_bytes(ctx, TARGET.path) == base
    assert os.getxattr(real, diskio.SELINUX_XATTR) == LABEL


def test_a_restored_backup_keeps_the_current_label(ctx, root):
    seed(root, {TARGET.path: b"original\n"})
    real = labelled(root)
    fileio.write_file(ctx, TARGET, b"changed\n", undo=False)
    assert backup.restore_backup(ctx, TARGET.path)
    assert fileio.read_bytes(ctx, TARGET.path) == b"original\n"
    assert os.getxattr(real, diskio.SELINUX_XATTR) == LABEL
