"""The balancer: HAProxy config rendering, start/stop, hot reload and the admin socket."""
import os
import socket

from tests.lab.daemon import Daemon, LabError, wait_until

BALANCER_ADDRESS = "127.0.1.10"
# Ports forwarded to the same port of every proxy (lab-contract.md "HAProxy").
BALANCED_PORTS = (80, 443, 8000, 8443, 5647, 8140, 9090, 5000, 1883)
DEFAULT_BALANCE = {port: "roundrobin" for port in BALANCED_PORTS}
DEFAULT_BALANCE[443] = "source"
# 8141 is the Puppet CA: it goes to :8140 of the one proxy that runs the CA.
PUPPET_CA_PORT = 8141
PUPPET_PORT = 8140
BALANCE_MODES = ("roundrobin", "source")
CHECK = "check inter 1s fall 2 rise 1"

# `show servers state` columns (HAProxy 2.6, format version 1).
OP_STATE_RUNNING = 2
ADMIN_MAINT_MASK = 0x23  # SRV_ADMF_MAINT: forced, inherited or resolution maintenance


def backend_name(port):
    return "be_%d" % port


class HAProxy(object):
    """One HAProxy instance (TCP mode) on the balancer address in front of the proxies.

    servers: list of (server name, address), e.g. [("proxy01", "127.0.2.1"), ...].
    disabled: server names put in maintenance in every balanced backend (proxy09).
    """

    def __init__(self, directory, servers, puppet_ca_server, disabled=()):
        self.directory = directory
        self.servers = list(servers)
        self.addresses = dict(self.servers)
        self.puppet_ca_server = puppet_ca_server
        self.default_puppet_ca_server = puppet_ca_server
        self.default_maintenance = {(port, name) for port in BALANCED_PORTS for name in disabled}
        self.maintenance = set(self.default_maintenance)
        self.balance = dict(DEFAULT_BALANCE)
        self.config_path = os.path.join(directory, "haproxy.cfg")
        self.socket_path = os.path.join(directory, "admin.sock")
        self.log_path = os.path.join(directory, "haproxy.log")
        self.daemon = None

    # -- configuration --------------------------------------------------------------------------

    def render(self):
        lines = [
            "global",
            "    maxconn 2048",
            "    stats socket %s mode 600 level admin" % self.socket_path,
            "    log stdout format raw local0",
            # Bounds how long a reload waits for the old process's open connections.
            "    hard-stop-after 5s",
            "",
            "defaults",
            "    mode tcp",
            "    log global",
            "    option tcplog",
            "    option redispatch",
            "    retries 3",
            "    timeout connect 2s",
            "    timeout client 60s",
            "    timeout server 60s",
            "    timeout check 1s",
        ]
        for port in BALANCED_PORTS:
            lines += self._frontend(port)
            lines += ["", "backend %s" % backend_name(port), "    balance %s" % self.balance[port]]
            if self.balance[port] == "source":
                lines.append("    hash-type consistent")
            for name, address in self.servers:
                disabled = " disabled" if (port, name) in self.maintenance else ""
                lines.append("    server %s %s:%d %s%s" % (name, address, port, CHECK, disabled))
        lines += self._frontend(PUPPET_CA_PORT)
        lines += ["", "backend %s" % backend_name(PUPPET_CA_PORT),
                  "    server %s %s:%d %s" % (self.puppet_ca_server,
                                              self.addresses[self.puppet_ca_server],
                                              PUPPET_PORT, CHECK)]
        return "\n".join(lines) + "\n"

    @staticmethod
    def _frontend(port):
        return ["", "frontend fe_%d" % port, "    bind %s:%d" % (BALANCER_ADDRESS, port),
                "    default_backend %s" % backend_name(port)]

    def _write_config(self):
        os.makedirs(self.directory, exist_ok=True)
        tmp = self.config_path + ".new"
        with open(tmp, "w") as f:
            f.write(self.render())
        os.replace(tmp, self.config_path)

    # -- process --------------------------------------------------------------------------------

    def _spawn(self, extra=()):
        argv = ["haproxy", "-f", self.config_path, "-db"] + list(extra)
        return Daemon("haproxy", argv, self.log_path).start()

    def start(self, timeout=15.0):
        self._write_config()
        self.daemon = self._spawn()
        # All listeners are bound before HAProxy accepts on any of them.
        self.daemon.wait_port(BALANCER_ADDRESS, PUPPET_CA_PORT, timeout)
        wait_until(lambda: self._answering_pid() == self.daemon.pid, timeout,
                   "the HAProxy admin socket")

    def stop(self):
        if self.daemon:
            self.daemon.stop()

    def reload(self, timeout=15.0):
        """Hot reload (-sf): returns once the new process answers and the old one has exited."""
        self._write_config()
        old = self.daemon
        self.daemon = self._spawn(["-sf", str(old.pid)])
        try:
            wait_until(lambda: self._answering_pid() == self.daemon.pid, timeout,
                       "the reloaded HAProxy (pid %s) on the admin socket" % self.daemon.pid)
            old.proc.wait(timeout)
            self.daemon.wait_port(BALANCER_ADDRESS, PUPPET_CA_PORT, timeout)
        except Exception:
            old.stop()
            raise

    def _answering_pid(self):
        self._check_running()
        try:
            info = self.command("show info")
        except OSError:
            return None
        for line in info.splitlines():
            if line.startswith("Pid:"):
                return int(line.split(":", 1)[1])
        return None

    def _check_running(self):
        if not self.daemon.running():
            raise LabError("haproxy exited (%s); log %s:\n%s" % (
                self.daemon.proc.returncode, self.log_path, self.daemon.log_text()[-3000:]))

    # -- admin socket ---------------------------------------------------------------------------

    def command(self, line):
        """One admin-socket command per connection; HAProxy closes it after answering."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(self.socket_path)
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                chunks.append(data)
        return b"".join(chunks).decode()

    def _admin(self, verb, port, name):
        answer = self.command("%s server %s/%s" % (verb, backend_name(port), name)).strip()
        if answer:
            raise LabError("haproxy: %s server %s/%s: %s" % (
                verb, backend_name(port), name, answer))

    def disable_server(self, name, ports=BALANCED_PORTS):
        """Put a proxy in maintenance in the given backends (all balanced ports by default)."""
        for port in _ports(ports):
            self._admin("disable", port, name)
            self.maintenance.add((port, name))

    def enable_server(self, name, ports=BALANCED_PORTS):
        for port in _ports(ports):
            self._admin("enable", port, name)
            self.maintenance.discard((port, name))

    def route_only(self, port_group, name, timeout=10.0):
        """Send port_group (a port or list of ports) to one proxy only; waits until it is UP."""
        ports = _ports(port_group)
        for port in ports:
            self.enable_server(name, [port])
            for other, _ in self.servers:
                if other != name:
                    self.disable_server(other, [port])
        for port in ports:
            self.wait_server(port, name, up=True, timeout=timeout)

    def reset_routes(self):
        """Back to the configured maintenance set (every proxy but proxy09 in service)."""
        for port in BALANCED_PORTS:
            for name, _ in self.servers:
                if (port, name) in self.default_maintenance:
                    self.disable_server(name, [port])
                else:
                    self.enable_server(name, [port])

    def set_balance(self, port, mode):
        """Switch a balanced port between roundrobin and source (hash-type consistent)."""
        if mode not in BALANCE_MODES or port not in BALANCED_PORTS:
            raise LabError("set_balance(%r, %r): port must be one of %s, mode one of %s" % (
                port, mode, BALANCED_PORTS, BALANCE_MODES))
        if self.balance[port] != mode:
            self.balance[port] = mode
            self.reload()

    def reset_balance(self):
        if self.balance != DEFAULT_BALANCE:
            self.balance = dict(DEFAULT_BALANCE)
            self.reload()

    def set_puppet_ca_server(self, name, timeout=10.0):
        """Send 8141 to another proxy's 8140 (hot reload); waits until that server is UP."""
        if name not in self.addresses:
            raise LabError("set_puppet_ca_server(%r): not one of %s" % (
                name, ", ".join(self.addresses)))
        if self.puppet_ca_server != name:
            self.puppet_ca_server = name
            self.reload()
        self.wait_server(PUPPET_CA_PORT, name, up=True, timeout=timeout)

    def reset_puppet_ca_server(self):
        """8141 back to the Puppet CA proxy. Does not wait for its health checks: its
        puppetserver may still be starting (see Lab.wait_puppetserver)."""
        if self.puppet_ca_server != self.default_puppet_ca_server:
            self.puppet_ca_server = self.default_puppet_ca_server
            self.reload()

    def server_states(self):
        """Rows of `show servers state`: backend, server, address, port, up, maintenance."""
        lines = self.command("show servers state").splitlines()
        header = next(line for line in lines if line.startswith("# be_id"))
        columns = header[2:].split()
        rows = []
        for line in lines:
            fields = line.split()
            if len(fields) < len(columns) or line.startswith("#"):
                continue
            row = dict(zip(columns, fields))
            rows.append({
                "backend": row["be_name"], "server": row["srv_name"],
                "address": row["srv_addr"], "port": int(row["srv_port"]),
                "up": int(row["srv_op_state"]) == OP_STATE_RUNNING,
                "maintenance": bool(int(row["srv_admin_state"]) & ADMIN_MAINT_MASK),
            })
        return rows

    def server_state(self, port, name):
        for row in self.server_states():
            if row["backend"] == backend_name(port) and row["server"] == name:
                return row
        raise LabError("haproxy has no server %s/%s" % (backend_name(port), name))

    def wait_all_up(self, ports, names, timeout=10.0):
        """Wait until every named server is UP and in service in the backends of ports."""
        wanted = {(backend_name(port), name) for port in ports for name in names}

        def reached():
            ready = {(row["backend"], row["server"]) for row in self.server_states()
                     if row["up"] and not row["maintenance"]}
            return wanted <= ready
        wait_until(reached, timeout, "servers %s UP on ports %s" % (", ".join(names), ports))

    def wait_server(self, port, name, up, timeout=10.0):
        """Wait until the health checks report the server up (and in service) or down."""
        def reached():
            row = self.server_state(port, name)
            return (row["up"] and not row["maintenance"]) if up else not row["up"]
        wait_until(reached, timeout, "%s/%s %s" % (backend_name(port), name,
                                                    "UP" if up else "DOWN"))


def _ports(port_group):
    if isinstance(port_group, int):
        return [port_group]
    return list(port_group)
