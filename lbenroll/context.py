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

    @property
    def dry_run(self):
        # The runner is the one place that knows: host-changing commands are only recorded.
        return self.runner.dry_run

    def path(self, host_path):
        return host.reroot(self.root, host_path)

    def run(self, argv, changes_host=False, timeout=None, input=None, env=None, binary=False):
        return self.runner.run(argv, changes_host=changes_host, timeout=timeout, input=input,
                               env=env, binary=binary)

    def rpm(self, *args):
        return host.rpm_argv(self.root, *args)

    def in_root(self, *argv):
        return host.in_root_argv(self.root, *argv)
