"""lbenroll.diskio's reading side: a host file is read with a bound, and what is not a regular
file (a directory, a FIFO, a device) is a configuration error naming it, never a hang."""
import os
import signal

import pytest

from lbenroll import diskio, host
from lbenroll.errors import ConfigError, ExitCode
from tests.conftest import seed


@pytest.fixture
def deadline():
    """Fail (rather than hang the suite) if a read blocks: the old read waited on a FIFO."""
    def expired(signum, frame):
        raise AssertionError("the read blocked")
    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def real(root, path):
    return os.path.join(str(root), path.lstrip("/"))


def test_a_fifo_in_place_of_a_file_is_a_config_error(ctx, root, deadline):
    os.makedirs(os.path.dirname(real(root, host.RHSM_CONF)))
    os.mkfifo(real(root, host.RHSM_CONF))
    with pytest.raises(ConfigError) as exc:
        diskio.read_bytes(ctx, host.RHSM_CONF)
    assert exc.value.exit_code == ExitCode.CONFIG
    assert exc.value.message == "%s is a FIFO, where lbenroll expects a file" % host.RHSM_CONF
    assert host.RHSM_CONF in exc.value.fix


def test_a_directory_in_place_of_a_file_is_a_config_error(ctx, root):
    os.makedirs(real(root, host.REDHAT_REPO))
    with pytest.raises(ConfigError) as exc:
        diskio.read_bytes(ctx, host.REDHAT_REPO)
    assert "%s is a directory" % host.REDHAT_REPO in exc.value.message


def test_a_link_to_a_device_is_not_read_without_end(ctx, root, deadline):
    os.makedirs(os.path.dirname(real(root, host.PUPPET_CONF)))
    os.symlink("/dev/zero", real(root, host.PUPPET_CONF))
    with pytest.raises(ConfigError) as exc:
        diskio.read_bytes(ctx, host.PUPPET_CONF)
    assert "%s is a device" % host.PUPPET_CONF in exc.value.message


def test_a_file_larger_than_the_cap_is_refused_naming_it(ctx, root, monkeypatch):
    monkeypatch.setattr(diskio, "MAX_READ", 4096)
    seed(root, {host.RHSM_CONF: b"#" * 4096})
    assert len(diskio.read_bytes(ctx, host.RHSM_CONF)) == 4096
    seed(root, {host.RHSM_CONF: b"#" * 4097})
    with pytest.raises(ConfigError) as exc:
        diskio.read_bytes(ctx, host.RHSM_CONF)
    assert exc.value.message.startswith("%s is larger than" % host.RHSM_CONF)


def test_the_cap_is_far_above_the_benchmarks_20000_repository_redhat_repo(ctx, root):
    section = ("[repo-%05d]\nname = Repository %05d\nbaseurl = https://proxy01.example.test/"
               "pulp/content/org/Library/content/dist/rhel8/8/x86_64/repo-%05d/os\nenabled = 1\n"
               "gpgcheck = 1\nsslverify = 1\nsslcacert = /etc/rhsm/ca/katello-server-ca.pem\n"
               "sslclientkey = /etc/pki/entitlement/1234567890-key.pem\nsslclientcert = "
               "/etc/pki/entitlement/1234567890.pem\nmetadata_expire = 1\nenabled_metadata = 1\n"
               "\n")
    data = "".join(section % (i, i, i) for i in range(20000)).encode()
    seed(root, {host.REDHAT_REPO: data})
    assert len(data) * 4 < diskio.MAX_READ
    assert diskio.read_bytes(ctx, host.REDHAT_REPO) == data


def test_a_missing_file_is_none(ctx):
    assert diskio.read_bytes(ctx, host.RHSM_CONF) is None
