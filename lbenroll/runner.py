"""The one module that runs commands: argv lists only, timeouts, secrets redacted, dry-run aware."""
import logging
import shlex
import subprocess

log = logging.getLogger("lbenroll")

DEFAULT_TIMEOUT = 300


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

    def display(self, argv):
        return self.redact(" ".join(shlex.quote(a) for a in argv))

    def run(self, argv, changes_host=False, timeout=None, input=None, env=None, binary=False):
        """Run argv; return a CommandResult, or None when dry-run skips a host-changing command.

        binary=True returns stdout as bytes (stderr stays text) for commands like rpm2cpio.
        """
        if not isinstance(argv, (list, tuple)):
            raise TypeError("commands are argv lists, never shell strings")
        argv = [str(a) for a in argv]
        shown = self.display(argv)
        if changes_host and self.dry_run:
            self.would_run.append(shown)
            log.info("dry-run: would run: %s", shown)
            return None
        log.info("running: %s", shown)
        try:
            proc = subprocess.run(
                argv, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                universal_newlines=not binary, timeout=timeout or self.timeout)
        except FileNotFoundError:
            log.info("not found: %s", argv[0])
            return CommandResult(argv, 127, "", "%s: command not found" % argv[0])
        except subprocess.TimeoutExpired as exc:
            log.info("timed out after %ss: %s", exc.timeout, shown)
            return CommandResult(argv, 124, "", "timed out after %ss" % exc.timeout, timed_out=True)
        stderr = proc.stderr.decode("utf-8", "replace") if binary else proc.stderr
        result = CommandResult(argv, proc.returncode, proc.stdout, stderr)
        log.info("exit %s: %s", proc.returncode, shown)
        shown_output = stderr if binary else proc.stdout + stderr
        for line in shown_output.splitlines():
            log.debug("  | %s", self.redact(line))
        return result

    def output(self, result):
        """A failed command's combined output, redacted, for an error message."""
        text = (result.stderr or "").strip() or (result.stdout or "").strip()
        return self.redact(text)
