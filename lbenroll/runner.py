"""The one module that runs commands: argv lists only, timeouts, secrets redacted, dry-run aware,
and each command in a minimal environment of its own."""
import locale
import logging
import os
import pwd
import selectors
import shlex
import subprocess
import time

from lbenroll.redact import MASK

log = logging.getLogger("lbenroll")

DEFAULT_TIMEOUT = 300
READ_SIZE = 64 * 1024  # bytes per read of a streamed command's output
STDERR_KEPT = 64 * 1024  # the end of a streamed command's stderr kept for its error message

# What a command gets of lbenroll's environment (issue 18 section 4): an allow-list, never a
# deny-list, so a variable nobody thought of (a token, LD_PRELOAD, PYTHONPATH) stays behind.
# - PATH is fixed: the programs lbenroll runs by name (rpm, dnf, subscription-manager, systemctl,
#   update-ca-trust, chroot) all live in these directories on EL8-10, and root's usual PATH
#   starts with /usr/local/sbin, where a program planted by anyone who can write there would
#   run as root instead. subprocess looks a name up in the child's PATH (os.get_exec_path(env)).
# - HOME is root's home from the password database, not the caller's: rpm reads ~/.rpmmacros
#   (a macro can run a shell command) and a HOME kept by sudo could point at a user's files.
# - The proxy variables are passed on as given: dnf (librepo/libcurl) and subscription-manager
#   (candlepin/subscription-manager src/rhsm/utils.py get_env_proxy_info, used by
#   rhsm/connection.py where rhsm.conf names no proxy; NO_PROXY too) need them on a host that
#   reaches the balancer only through a proxy.
# - LANG, LC_* and LANGUAGE are replaced by LC_ALL: lbenroll reads what dnf, yum and
#   subscription-manager print ("Nothing to do", "No match for argument", "system identity:"),
#   which is translated otherwise. LANGUAGE must go as well, not only be outranked: Python's
#   gettext (dnf, and subscription-manager's module-level catalogue, subscription_manager/i18n.py)
#   reads LANGUAGE before LC_ALL, so LANGUAGE=de with LC_ALL=C.UTF-8 still answers in German.
# Nothing named LBENROLL_* ever reaches a command: the password is lbenroll's alone (no command
# needs it; the Foreman API is called in-process).
CHILD_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
PASSED_ON = ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")
SECRET_PREFIX = "LBENROLL_"
# glibc-common ships /usr/lib/locale/C.utf8 on EL8 and EL9 (glibc.spec `%files common`, e.g.
# openela-main/glibc glibc-2.28-236.el8 and glibc-2.34-83.el9); glibc 2.35+ has C.UTF-8
# upstream. A host without it (a trimmed image) gets C: English too, only ASCII.
UTF8_C_LOCALE = "C.UTF-8"
PLAIN_C_LOCALE = "C"


def c_locale():
    """C.UTF-8 if this host's glibc can load it, else C. Asked of glibc itself (setlocale), which
    knows every place a locale can come from (locale-archive, /usr/lib/locale, built in);
    lbenroll's own locale is put back at once."""
    saved = locale.setlocale(locale.LC_ALL)
    try:
        locale.setlocale(locale.LC_ALL, UTF8_C_LOCALE)
    except locale.Error:
        return PLAIN_C_LOCALE
    finally:
        locale.setlocale(locale.LC_ALL, saved)
    return UTF8_C_LOCALE


def root_home():
    try:
        return pwd.getpwuid(os.geteuid()).pw_dir or "/"
    except KeyError:
        return "/"


def child_environment(parent, locale_name, home, extra=None):
    """The environment of a command: the allow-list above taken from parent (lbenroll's own
    environment), then a caller's extra variables over it. Pure, for the tests."""
    env = {"PATH": CHILD_PATH, "HOME": home, "LC_ALL": locale_name}
    env.update((name, parent[name]) for name in PASSED_ON if name in parent)
    for name, value in (extra or {}).items():
        if name.startswith(SECRET_PREFIX):
            raise ValueError("%s is lbenroll's own and never given to a command" % name)
        env[name] = value
    return env


class CommandResult(object):
    def __init__(self, argv, returncode, stdout="", stderr="", timed_out=False):
        self.argv = argv
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.timed_out = timed_out

    @property
    def ok(self):
        return self.returncode == 0


class Runner(object):
    """Runs argv lists. Commands that change the host are only recorded in dry-run mode."""

    def __init__(self, redactor, dry_run=False, timeout=DEFAULT_TIMEOUT):
        self.redact = redactor
        self.dry_run = dry_run
        self.timeout = timeout
        self.would_run = []
        self._base_env = None

    def environment(self, extra=None):
        """A command's environment (child_environment); the locale and home are looked up on the
        first command of the run, not for each."""
        if self._base_env is None:
            self._base_env = (c_locale(), root_home())
        locale_name, home = self._base_env
        return child_environment(os.environ, locale_name, home, extra)

    def display(self, argv):
        return " ".join(self._shown(a) for a in argv)

    def _shown(self, arg):
        """One argument as a shell would take it, its secrets masked. Masked before it is
        quoted: quoting first would split a secret holding a quote ('pa'"'"'ss') so that the
        mask no longer finds it; the pieces around a mask are quoted one by one."""
        masked = self.redact(arg)
        if masked == arg:
            return shlex.quote(arg)
        return MASK.join(shlex.quote(piece) if piece else "" for piece in masked.split(MASK))

    def run(self, argv, changes_host=False, timeout=None, input=None, env=None):
        """Run argv; return a CommandResult, or None when dry-run skips a host-changing command.

        env: variables a command needs beyond the minimal environment (child_environment).
        """
        if not isinstance(argv, (list, tuple)):
            raise TypeError("commands are argv lists, never shell strings")
        argv = [str(a) for a in argv]
        env = self.environment(env)
        shown = self.display(argv)
        if changes_host and self.dry_run:
            self.would_run.append(shown)
            log.info("dry-run: would run: %s", shown)
            return None
        log.info("running: %s", shown)
        try:
            proc = subprocess.run(
                argv, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                universal_newlines=True, timeout=timeout or self.timeout)
        except FileNotFoundError:
            log.info("not found: %s", argv[0])
            return CommandResult(argv, 127, "", "%s: command not found" % argv[0])
        except subprocess.TimeoutExpired as exc:
            log.info("timed out after %ss: %s", exc.timeout, shown)
            return CommandResult(argv, 124, "", "timed out after %ss" % exc.timeout, timed_out=True)
        stderr = proc.stderr
        result = CommandResult(argv, proc.returncode, proc.stdout, stderr)
        log.info("exit %s: %s", proc.returncode, shown)
        shown_output = proc.stdout + stderr
        for line in shown_output.splitlines():
            log.debug("  | %s", self.redact(line))
        return result

    def output(self, result):
        """A failed command's combined output, redacted, for an error message."""
        text = (result.stderr or "").strip() or (result.stdout or "").strip()
        return self.redact(text)

    def stream(self, argv, consume, timeout=None, input=None, env=None):
        """Run argv, a command that only reads (so it runs in dry-run too), and give its stdout
        to consume(bytes) piece by piece as it arrives: output of any size is never held whole.

        consume may raise to stop the command: the child is killed and reaped, and the
        exception goes on to the caller. input (bytes) is written to the child's stdin while
        its output is read. Returns a CommandResult whose stdout is None; stderr is the end of
        what the command printed there.
        """
        if not isinstance(argv, (list, tuple)):
            raise TypeError("commands are argv lists, never shell strings")
        argv = [str(a) for a in argv]
        env = self.environment(env)
        shown = self.display(argv)
        timeout = timeout or self.timeout
        log.info("running: %s", shown)
        try:
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL if input is None else subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        except FileNotFoundError:
            log.info("not found: %s", argv[0])
            return CommandResult(argv, 127, None, "%s: command not found" % argv[0])
        deadline = time.monotonic() + timeout
        with proc:
            try:
                stderr, finished = _pump(proc, input, consume, deadline)
                if finished:  # its output is closed; it may still take a moment to exit
                    proc.wait(max(deadline - time.monotonic(), 0.001))
            except subprocess.TimeoutExpired:
                finished = False
            except BaseException:
                proc.kill()
                proc.wait()
                log.info("stopped (output refused): %s", shown)
                raise
            if not finished:
                proc.kill()
                proc.wait()
                log.info("timed out after %ss: %s", timeout, shown)
                return CommandResult(argv, 124, None, "timed out after %ss" % timeout,
                                     timed_out=True)
        stderr = stderr.decode("utf-8", "replace")
        log.info("exit %s: %s", proc.returncode, shown)
        for line in stderr.splitlines():
            log.debug("  | %s", self.redact(line))
        return CommandResult(argv, proc.returncode, None, stderr)


def _pump(proc, data, consume, deadline):
    """Write data to proc's stdin and hand its stdout to consume until both pipes close or the
    deadline passes; (the last STDERR_KEPT bytes of stderr, whether the pipes closed in time)."""
    stderr = bytearray()
    pending = memoryview(data or b"")
    with selectors.DefaultSelector() as selector:
        if data is not None:
            os.set_blocking(proc.stdin.fileno(), False)
            selector.register(proc.stdin, selectors.EVENT_WRITE)
        selector.register(proc.stdout, selectors.EVENT_READ)
        selector.register(proc.stderr, selectors.EVENT_READ)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                return stderr, False
            for key, _ in selector.select(left):
                pipe = key.fileobj
                if pipe is proc.stdin:
                    try:
                        pending = pending[os.write(pipe.fileno(), pending[:READ_SIZE]):]
                    except BlockingIOError:
                        continue
                    except BrokenPipeError:  # the child stopped reading: its exit says why
                        pending = pending[:0]
                    if not pending:
                        selector.unregister(pipe)
                        pipe.close()
                    continue
                chunk = os.read(pipe.fileno(), READ_SIZE)
                if not chunk:
                    selector.unregister(pipe)
                    continue
                if pipe is proc.stdout:
                    consume(chunk)
                else:
                    stderr += chunk
                    del stderr[:-STDERR_KEPT]
    return stderr, True
