"""An Ansible connection to a lab sandbox (tests/lab/sandbox.py), for the fleet tests: each
inventory host is a sandbox, reached by running commands through its Sandbox.command() argv
from the controller, as ssh would run them on a real host. Tests only."""
import subprocess

from ansible.errors import AnsibleConnectionFailure
from ansible.plugins.connection import ConnectionBase

DOCUMENTATION = """
    name: lab_sandbox
    short_description: run tasks inside an lbenroll lab sandbox (tests only)
    description:
        - Runs each command inside the sandbox whose host argv prefix is lab_sandbox_command.
    author: lbenroll developers
    options:
        sandbox_command:
            description: Sandbox.command([]), the argv prefix that runs a command in the sandbox.
            type: list
            elements: str
            required: true
            vars:
                - name: lab_sandbox_command
        sandbox_env:
            description: Sandbox.environment(), the environment commands run with.
            type: dict
            default: {}
            vars:
                - name: lab_sandbox_env
    extends_documentation_fragment:
        - connection_pipelining
"""


class Connection(ConnectionBase):
    transport = "lab_sandbox"
    has_pipelining = True

    def _connect(self):
        self._connected = True
        return self

    def _run(self, argv, **streams):
        """argv inside the sandbox; streams: input (bytes) or stdin (a file)."""
        try:
            return subprocess.run(self.get_option("sandbox_command") + argv,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=self.get_option("sandbox_env"), cwd="/", **streams)
        except OSError as exc:
            raise AnsibleConnectionFailure("cannot enter the sandbox: %s" % exc)

    def exec_command(self, cmd, in_data=None, sudoable=True):
        super(Connection, self).exec_command(cmd, in_data=in_data, sudoable=sudoable)
        proc = self._run(["/bin/sh", "-c", cmd], input=in_data or b"")
        return proc.returncode, proc.stdout, proc.stderr

    def put_file(self, in_path, out_path):
        super(Connection, self).put_file(in_path, out_path)
        with open(in_path, "rb") as f:
            proc = self._run(["/bin/sh", "-c", 'cat > "$1"', "put", out_path], stdin=f)
        if proc.returncode:
            raise AnsibleConnectionFailure("put %s: %s" % (out_path, proc.stderr))

    def fetch_file(self, in_path, out_path):
        super(Connection, self).fetch_file(in_path, out_path)
        with open(out_path, "wb") as f:
            proc = self._run(["/bin/cat", in_path], stdin=subprocess.DEVNULL)
            f.write(proc.stdout)
        if proc.returncode:
            raise AnsibleConnectionFailure("fetch %s: %s" % (in_path, proc.stderr))

    def close(self):
        self._connected = False
