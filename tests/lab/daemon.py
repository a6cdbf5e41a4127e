"""Foreground daemons for the lab: start, wait for readiness explicitly, stop by PID."""
import os
import re
import signal
import socket
import subprocess
import time


class LabError(RuntimeError):
    """A lab component did not come up or behave as expected."""


class Daemon(object):
    """One foreground process started in its own session, output captured to a log file.

    Readiness is always waited for explicitly (a port answering, a log line), never slept for.
    """

    def __init__(self, name, argv, log_path, cwd=None, env=None):
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.cwd = cwd
        self.env = env
        self.proc = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def start(self):
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=self.cwd, env=self.env, start_new_session=True)
        finally:
            log.close()
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def _check_alive(self):
        if not self.running():
            raise LabError("%s exited with %s before it was ready; log %s:\n%s" % (
                self.name, self.proc.returncode if self.proc else None, self.log_path,
                self.log_text()[-3000:]))

    def wait_port(self, host, port, timeout=30.0):
        """Wait until a TCP connect to host:port succeeds (the process must stay alive)."""
        deadline = time.monotonic() + timeout
        while True:
            self._check_alive()
            try:
                socket.create_connection((host, port), timeout=1.0).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise LabError("%s: %s:%s not answering after %ss" % (
                        self.name, host, port, timeout))
                time.sleep(0.02)  # poll interval while waiting for a readiness condition

    def wait_log(self, pattern, timeout=30.0):
        """Wait until the log contains a line matching the regular expression."""
        rx = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout
        while True:
            if rx.search(self.log_text()):
                return
            self._check_alive()
            if time.monotonic() > deadline:
                raise LabError("%s: no log line matching %r after %ss; log %s" % (
                    self.name, pattern, timeout, self.log_path))
            time.sleep(0.05)

    def stop(self, timeout=15.0):
        if not self.running():
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


def wait_until(predicate, timeout, what):
    """Poll a readiness predicate until it is true; raise LabError naming what was awaited."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise LabError("timed out after %ss waiting for %s" % (timeout, what))
        time.sleep(0.02)
