"""Runner.stream with real children: output handed over piece by piece, input written while
output is read, the child killed when the consumer refuses more or the timeout passes."""
import subprocess
import time

import pytest

from lbenroll.redact import MASK, Redactor
from lbenroll.runner import STDERR_KEPT, Runner


class Enough(Exception):
    pass


class RecordingPopen(subprocess.Popen):
    started = []

    def __init__(self, *args, **kwargs):
        super(RecordingPopen, self).__init__(*args, **kwargs)
        RecordingPopen.started.append(self)


@pytest.fixture
def children(monkeypatch):
    RecordingPopen.started[:] = []
    monkeypatch.setattr(subprocess, "Popen", RecordingPopen)
    return RecordingPopen.started


def test_input_is_written_while_the_output_is_read():
    data = bytes(range(256)) * 8192  # 2 MiB: more than both pipes hold, so no deadlock
    pieces = []
    result = Runner(Redactor()).stream(["cat"], pieces.append, input=data)
    assert result.ok and result.stdout is None
    assert b"".join(pieces) == data and len(pieces) > 1


def test_a_consumer_that_refuses_more_stops_an_endless_child(children):
    seen = []

    def consume(chunk):
        seen.append(len(chunk))
        if sum(seen) > 1 << 20:
            raise Enough()
    started = time.monotonic()
    with pytest.raises(Enough):
        Runner(Redactor()).stream(["yes"], consume)
    assert time.monotonic() - started < 30
    [child] = children
    assert child.returncode == -9  # killed and reaped


def test_the_timeout_kills_a_silent_child(children):
    result = Runner(Redactor(), timeout=1).stream(["sleep", "60"], lambda chunk: None)
    assert result.timed_out and result.returncode == 124
    assert children[0].returncode == -9


def test_stderr_is_kept_bounded_and_redacted_in_the_log(caplog):
    script = "head -c 1000000 /dev/zero | tr '\\0' e >&2; echo 'bad key s3cr3t-key' >&2; exit 3"
    with caplog.at_level("DEBUG", logger="lbenroll"):
        runner = Runner(Redactor(["s3cr3t-key"]))
        result = runner.stream(["sh", "-c", script, "s3cr3t-key"], lambda chunk: None)
    assert result.returncode == 3
    assert len(result.stderr) <= STDERR_KEPT
    assert runner.output(result).endswith("bad key " + MASK)
    assert "s3cr3t-key" not in caplog.text and MASK in caplog.text


def test_a_missing_command_is_a_result():
    assert Runner(Redactor()).stream(["no-such-tool-here"], lambda chunk: None).returncode == 127


def test_argv_lists_only():
    with pytest.raises(TypeError):
        Runner(Redactor()).stream("cat /etc/hosts", lambda chunk: None)


def test_a_streamed_command_gets_the_minimal_environment_too(monkeypatch):
    """rpm2cpio runs through stream: it must get what every other command gets, no secret and
    the C locale, not lbenroll's own environment."""
    monkeypatch.setenv("LBENROLL_PASSWORD", "s3cret-stream")
    monkeypatch.setenv("LANGUAGE", "de")
    pieces = []
    result = Runner(Redactor()).stream(["env"], pieces.append)
    assert result.ok
    lines = b"".join(pieces).decode().splitlines()
    assert not [line for line in lines if "s3cret-stream" in line or line.startswith("LANGUAGE=")]
    assert [line for line in lines if line.startswith("LC_ALL=C")]
    assert "PATH=/usr/sbin:/usr/bin:/sbin:/bin" in lines
