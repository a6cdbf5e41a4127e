"""Unit-test guards and shared fixtures.

Unit tests (everything outside tests/e2e and tests/lab) may not touch the real network, start a
real subprocess, or write outside their temporary directory: the guards below fail such a test.
"""
import builtins
import os
import re
import socket
import subprocess
import tempfile

import pytest

from lbenroll.context import Context

try:  # Hypothesis is a test-only dependency; its property tests skip where it is missing.
    from hypothesis import HealthCheck, settings
except ImportError:  # pragma: no cover - rpmbuild's %check on EL8/EL9 has no python3-hypothesis
    settings = None
if settings is not None:
    # Deterministic (the same examples every run, as CI and %check need) and no example
    # database: the unit-test guards allow writes only under a test's tmp directory.
    settings.register_profile("lbenroll", derandomize=True, database=None, deadline=None,
                              max_examples=200, print_blob=False,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile("lbenroll")

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
UNGUARDED = (os.path.join(HERE, "e2e"), os.path.join(HERE, "lab"), os.path.join(HERE, "packaging"))


def _is_unit_test(request):
    path = str(request.node.fspath)
    return not path.startswith(UNGUARDED)


class GuardViolation(AssertionError):
    pass


@pytest.fixture(autouse=True)
def unit_guards(request, monkeypatch, tmp_path):
    if not _is_unit_test(request):
        yield
        return
    allowed = (str(tmp_path), "/dev/null")

    def no_network(*args, **kwargs):
        raise GuardViolation("unit test tried to open a network connection: %r" % (args,))

    def no_subprocess(*args, **kwargs):
        raise GuardViolation("unit test tried to run a real command: %r" % (args[:1],))

    real_open = builtins.open

    def guarded_open(file, mode="r", *args, **kwargs):
        if isinstance(file, (str, bytes, os.PathLike)) and any(c in mode for c in "wax+"):
            path = os.path.abspath(os.fsdecode(file))
            if not path.startswith(allowed):
                raise GuardViolation("unit test tried to write %s outside its tmp root" % path)
        return real_open(file, mode, *args, **kwargs)

    real_os_open = os.open

    def guarded_os_open(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            full = os.fsdecode(path)
            if kwargs.get("dir_fd") is not None and not os.path.isabs(full):
                # diskio opens relative to a directory's descriptor: where is that?
                full = os.path.join(os.readlink("/proc/self/fd/%d" % kwargs["dir_fd"]), full)
            full = os.path.abspath(full)
            if not full.startswith(allowed):
                raise GuardViolation("unit test tried to write %s outside its tmp root" % full)
        return real_os_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket, "getfqdn", no_network)
    # _execute_child, not __init__: Popen sets up its attributes first, so a blocked command
    # fails cleanly instead of leaving a half-built Popen behind.
    monkeypatch.setattr(subprocess.Popen, "_execute_child", no_subprocess)
    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(os, "open", guarded_os_open)
    # A run's temporary directory, and its clean-up of earlier runs' (lbenroll/scratch.py), stay
    # in the test's own directory: the suite leaves nothing in /tmp and removes nothing there.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    yield


def rpm_qa(root):
    """The argv prefix of lbenroll's package lookups (packages.installed)."""
    return ["rpm", "--root", str(root), "-qa"]


def rpm_answer(*packages):
    """What `rpm -qa --qf '%{NAME} %{VERSION}-%{RELEASE}\\n'` prints for these installed
    packages, each given as a name (version 1.0-1) or as name-version-release."""
    lines = []
    for package in packages:
        nvr = re.match(r"(.+)-(\d[^-]*-[^-]+)$", package)
        lines.append("%s %s\n" % nvr.groups() if nvr else "%s 1.0-1\n" % package)
    return "".join(lines)


class FakeRunner(object):
    """A command runner matched by argv prefix; records calls; fails on any unexpected command.

    Register expectations with `expect(prefix, returncode=0, stdout="", stderr="", effect=None)`.
    The longest matching prefix wins; `effect(argv)` may simulate side effects on the tmp root.
    """

    def __init__(self, redactor=None, dry_run=False):
        from lbenroll.redact import Redactor
        self.redact = redactor or Redactor()
        self.dry_run = dry_run
        self.calls = []
        self.timeouts = []  # the timeout each recorded call was given
        self.would_run = []
        self._rules = []

    def expect(self, prefix, returncode=0, stdout="", stderr="", effect=None):
        self._rules.append((list(prefix), returncode, stdout, stderr, effect))
        return self

    def display(self, argv):
        """runner.py's own display, so that "would run" lines in tests are production's."""
        from lbenroll.runner import Runner
        return Runner.display(self, argv)

    def _shown(self, arg):
        from lbenroll.runner import Runner
        return Runner._shown(self, arg)

    def output(self, result):
        from lbenroll.runner import Runner
        return Runner.output(self, result)

    def run(self, argv, changes_host=False, timeout=None, input=None, env=None):
        from lbenroll.runner import CommandResult
        argv = [str(a) for a in argv]
        if changes_host and self.dry_run:
            self.would_run.append(self.display(argv))
            return None
        matches = [r for r in self._rules if argv[:len(r[0])] == r[0]]
        if not matches:
            raise GuardViolation("unexpected command: %r" % argv)
        prefix, rc, out, err, effect = max(matches, key=lambda r: len(r[0]))
        self.calls.append(argv)
        self.timeouts.append(timeout)
        if effect is not None:
            effect(argv)
        return CommandResult(argv, rc, out, err)


    def stream(self, argv, consume, timeout=None, input=None, env=None):
        """As run(), the matching rule's stdout (bytes) given to consume in pieces of 64 KiB."""
        from lbenroll.runner import CommandResult
        result = self.run(argv, timeout=timeout, input=input, env=env)
        out = result.stdout if isinstance(result.stdout, bytes) else result.stdout.encode()
        for start in range(0, len(out), 65536):
            consume(out[start:start + 65536])
        return CommandResult(result.argv, result.returncode, None, result.stderr)


@pytest.fixture
def root(tmp_path):
    """A temporary managed root (like `rpm --root`)."""
    path = tmp_path / "root"
    path.mkdir()
    return path


@pytest.fixture
def fake_runner():
    return FakeRunner()


@pytest.fixture
def ctx(root, fake_runner):
    c = Context(root=str(root), runner=fake_runner)
    fake_runner.redact = c.redact
    return c


def seed(root, files):
    """Seed a temporary root from a dict {host path: text or bytes}."""
    for path, content in files.items():
        real = os.path.join(str(root), path.lstrip("/"))
        os.makedirs(os.path.dirname(real), exist_ok=True)
        data = content.encode() if isinstance(content, str) else content
        with open(real, "wb") as f:
            f.write(data)
