"""The run context passed everywhere: managed root, command runner, dry-run, redaction, undo."""
from lbenroll import host
from lbenroll.redact import Redactor
from lbenroll.runner import Runner
from lbenroll.undo import UndoStack


class Context(object):
    def __init__(self, root="/", dry_run=False, secrets=(), runner=None, timeout=900):
        self.root = root or "/"
        self.timeout = timeout
        self.redact = Redactor(secrets)
        self.runner = runner if runner is not None else Runner(self.redact, dry_run=dry_run)
        self.undo = UndoStack()
        # The paths a failed run is checked against after its rollback (snapshot.py), and
        # their state, recorded just before the run's first change. None: no such check (a
        # removal is finished by running it again, never rolled back).
        self.watched = list(host.ROLLBACK_WATCHED)
        self.snapshot = None
        # What rpm said about packages.LOOKED_UP; forgotten whenever a command changes the host.
        self.rpm_answer = None
        # Managed files a command of this run may rewrite (backup.backup_before_command): the
        # command's edits are lbenroll's, so a rollback puts such a file back whole; and those
        # of them holding lbenroll's last write, recorded again once the command has run.
        self.commanded = set()
        self.record_after_command = set()

    def before_change(self):
        """Called before anything on the host changes: the first call records the watched
        paths, so a run that changes nothing (a repair of a correct host) never reads them."""
        if self.snapshot is None and self.watched is not None and not self.dry_run:
            from lbenroll import passwd
            from lbenroll.snapshot import Snapshot
            self.snapshot = Snapshot(self, self.watched,
                                     owner_name=lambda uid: passwd.name_of(self, uid))

    @property
    def dry_run(self):
        # The runner is the one place that knows: host-changing commands are only recorded.
        return self.runner.dry_run

    def path(self, host_path):
        return host.reroot(self.root, host_path)

    def watch(self, path):
        """Add a path the run is about to write outside the usual watched ones (another
        --rex-user's ~/.ssh): checked after a rollback like the others."""
        if self.watched is None or path in self.watched:
            return
        self.watched.append(path)
        if self.snapshot is not None:
            self.snapshot.add(path)

    def run(self, argv, changes_host=False, timeout=None, input=None, env=None):
        if changes_host:
            self.before_change()
            self.rpm_answer = None
        # --timeout bounds every command unless the call asks for another bound.
        result = self.runner.run(argv, changes_host=changes_host, timeout=timeout or self.timeout,
                                 input=input, env=env)
        if changes_host and self.record_after_command:
            from lbenroll.backup import record_after_command
            record_after_command(self)
        return result

    def stream(self, argv, consume, timeout=None, input=None, env=None):
        """Runner.stream with the context's --timeout: a reading command's output, piecewise."""
        return self.runner.stream(argv, consume, timeout=timeout or self.timeout, input=input,
                                  env=env)

    def rpm(self, *args):
        return host.rpm_argv(self.root, *args)

    def in_root(self, *argv):
        return host.in_root_argv(self.root, *argv)
