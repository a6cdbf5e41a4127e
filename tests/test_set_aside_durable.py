"""The Puppet SSL directory's copy in the backup store is on disk (fsynced) before the original
is removed (issue 18: a crash in between must not lose the host's Puppet keys)."""
import os

import pytest

from lbenroll import backup
from lbenroll.errors import WriteError


def test_every_copied_file_and_directory_is_fsynced_before_the_original_goes(ctx, root,
                                                                             monkeypatch):
    ssl = os.path.join(str(root), "etc/puppetlabs/puppet/ssl")
    for directory in ("certs", "private_keys"):
        os.makedirs(os.path.join(ssl, directory))
    for name in ("certs/host.pem", "private_keys/host.pem", "certs/ca.pem"):
        with open(os.path.join(ssl, name), "w") as f:
            f.write("PEM %s\n" % name)
    os.symlink("certs/ca.pem", os.path.join(ssl, "ca-link"))

    calls = []  # ("fsync", path) and ("rmtree", path), in the order they happened
    real_fsync, real_rmtree = os.fsync, backup.shutil.rmtree

    def fsync(fd):
        calls.append(("fsync", os.readlink("/proc/self/fd/%d" % fd)))
        real_fsync(fd)

    def rmtree(path, *args, **kwargs):
        calls.append(("rmtree", path))
        real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(backup.shutil, "rmtree", rmtree)
    dest = backup.set_aside(ctx, "/etc/puppetlabs/puppet/ssl", undo=False)

    assert calls[-1] == ("rmtree", ssl) and ("rmtree", ssl) not in calls[:-1]
    synced = {path for kind, path in calls[:-1] if kind == "fsync"}
    copied = {dest}
    for directory, dirs, files in os.walk(dest):
        copied.update(os.path.join(directory, name) for name in dirs + files
                      if not os.path.islink(os.path.join(directory, name)))
    assert len(copied) == 6  # the directory, two below it, three files; the link is an entry
    assert copied <= synced, copied - synced
    # The directories that hold the new names, up to /var/lib/lbenroll.
    parent = os.path.dirname(dest)
    while parent != os.path.join(str(root), "var/lib"):
        assert parent in synced, parent
        parent = os.path.dirname(parent)
    with open(os.path.join(dest, "private_keys/host.pem")) as f:
        assert f.read() == "PEM private_keys/host.pem\n"
    assert not os.path.exists(ssl)


def test_a_failed_copy_keeps_the_original(ctx, root, monkeypatch):
    ssl = os.path.join(str(root), "etc/puppetlabs/puppet/ssl")
    os.makedirs(ssl)
    with open(os.path.join(ssl, "key.pem"), "w") as f:
        f.write("key\n")

    def no_space(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(WriteError) as error:
        backup.set_aside(ctx, "/etc/puppetlabs/puppet/ssl", undo=False)
    assert "/etc/puppetlabs/puppet/ssl" in error.value.message
    with open(os.path.join(ssl, "key.pem")) as f:
        assert f.read() == "key\n"
