"""The managed root's users and groups: read with a bound, looked up by name."""
import pytest

from lbenroll import diskio, passwd
from lbenroll.errors import ConfigError, ExitCode, WriteError
from tests.conftest import seed

PASSWD = "root:x:0:0:root:/root:/bin/bash\nalice:x:1001:1002:Alice:/home/alice:/bin/bash\n"
GROUP = "root:x:0:\nwheel:x:10:alice\n"


def test_users_and_groups_come_from_the_managed_root(ctx, root):
    seed(root, {"/etc/passwd": PASSWD, "/etc/group": GROUP})
    assert passwd.user(ctx, "alice") == passwd.User("alice", 1001, 1002, "/home/alice")
    assert passwd.owner_ids(ctx, "alice", "wheel") == (1001, 10)
    with pytest.raises(WriteError, match="'nobody' not found in .*/etc/group"):
        passwd.owner_ids(ctx, "alice", "nobody")


def test_a_passwd_larger_than_the_read_bound_is_a_config_error_naming_it(ctx, root, monkeypatch):
    # One line past the bound, as a passwd file grown without end would be.
    seed(root, {"/etc/passwd": PASSWD + "x" * 4096 + "\n"})
    monkeypatch.setattr(diskio, "MAX_READ", 4096)
    with pytest.raises(ConfigError) as error:
        passwd.user(ctx, "alice")
    assert error.value.message.startswith("/etc/passwd is larger than ")
    assert error.value.exit_code == ExitCode.CONFIG


def test_a_passwd_that_is_a_fifo_is_refused_not_waited_on(ctx, root):
    import os
    os.makedirs(os.path.join(str(root), "etc"))
    os.mkfifo(os.path.join(str(root), "etc/passwd"))
    with pytest.raises(ConfigError, match="/etc/passwd is a FIFO"):
        passwd.user(ctx, "alice")
