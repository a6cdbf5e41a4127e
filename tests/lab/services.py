"""The lab's real service daemons: the AMQP 1.0 listener, mosquitto and puppetserver."""
import json
import os
import shutil
import socket
import ssl
import subprocess
import time

from tests.lab.daemon import Daemon, LabError

LAB_DIR = os.path.dirname(os.path.abspath(__file__))
# Debian's interpreter: the only one that can import proton (python3 on PATH is pyenv's).
SYSTEM_PYTHON = "/usr/bin/python3"

PUPPETSERVER_HOME = "/usr/share/puppetserver"
PACKAGED_PUPPETSERVER_CONF = "/etc/puppet/puppetserver"
# Packaged conf.d files used as they are; puppetserver.conf, webserver.conf and global.conf are
# written per lab because they hold paths and the bind address.
PACKAGED_CONF_FILES = ("auth.conf", "ca.conf", "metrics.conf", "web-routes.conf")
PUPPETSERVER_READY_POLL = 0.5  # each probe is a TLS handshake with a JVM that is busy starting
# puppetserver reads a non-executable autosign file on every CSR, so signing can be switched
# without a restart; "*" matches every certname.
AUTOSIGN_ALL = "*\n"
AUTOSIGN_NONE = "# autosign off (Lab.set_puppet_autosign)\n"
CA_API = "/puppet-ca/v1/certificate_status/"


def _service_dir(workdir, name):
    path = os.path.join(workdir, name)
    os.makedirs(path, exist_ok=True)
    return path


def _write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def _wait_ports(daemon, listeners):
    try:
        for address, port, _cert, _key in listeners:
            daemon.wait_port(address, port)
    except LabError:
        daemon.stop()
        raise


def start_amqp(workdir, listeners, ca, log_path):
    """Start tests/lab/amqp_listener.py on every (address, port, cert, key); returns it ready.

    Each listener presents its own certificate; client certificates are optional and verified
    against `ca`. Events (tls, open, message, closed, ...) are appended to `log_path` as JSON
    lines, see the listener's module docstring. The process's own output goes to
    <workdir>/amqp/amqp.out.
    """
    base = _service_dir(workdir, "amqp")
    config = {
        "listeners": [{"address": address, "port": port, "cert": cert, "key": key}
                      for address, port, cert, key in listeners],
        "ca": ca,
        "log": log_path,
    }
    config_path = _write(os.path.join(base, "config.json"), json.dumps(config, indent=2))
    argv = [SYSTEM_PYTHON, os.path.join(LAB_DIR, "amqp_listener.py"), config_path]
    daemon = Daemon("amqp", argv, os.path.join(base, "amqp.out")).start()
    _wait_ports(daemon, listeners)
    return daemon


# Foreman's installer sets up each Smart Proxy's mosquitto for pull-mode remote execution so
# (theforeman/puppet-foreman_proxy 03733d5: manifests/plugin/remote_execution/mosquitto.pp and
# templates/plugin/foreman.acl.epp at d7be285; docs/katello-client-facts.md, "The Smart Proxy's
# mosquitto"): a client must present a certificate from the CA of `cafile`, its subject CN is
# its user name, and the ACL lets a host read its own job topic and write its own control topic
# while the proxy (the user named by its FQDN) writes every host's job topic and reads every
# control topic.
MOSQUITTO_ACL = """\
pattern read yggdrasil/%u/data/in
pattern write yggdrasil/%u/control/out

user {user}
topic write yggdrasil/+/data/in
topic read yggdrasil/+/control/out
"""


def mosquitto_conf(listeners, ca, acl_files):
    """mosquitto.conf: one listener per (address, port, cert, key), each with its ACL file (the
    same index in acl_files) and the settings of Foreman's installer."""
    lines = [
        "# mosquitto for the lbenroll lab (tests/lab/services.py)",
        # Started as root, mosquitto switches to user mosquitto before reading the keys, which
        # are readable by root only.
        "user root",
        # One process stands for every proxy's broker: each listener has its own settings, its
        # ACL naming its own proxy, as each proxy's mosquitto names its own FQDN.
        "per_listener_settings true",
        "persistence false",
        "log_dest stdout",
    ]
    for (address, port, cert, key), acl_file in zip(listeners, acl_files):
        lines += [
            "",
            "listener %d %s" % (port, address),
            "acl_file %s" % acl_file,
            "cafile %s" % ca,
            "certfile %s" % cert,
            "keyfile %s" % key,
            "require_certificate true",
            "use_identity_as_username true",
        ]
    return "\n".join(lines) + "\n"


def subject_cn(cert):
    """The subject CN of a PEM certificate file (openssl CLI)."""
    proc = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-subject", "-nameopt",
                           "RFC2253"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise LabError("openssl x509 %s failed: %s" % (cert, proc.stderr))
    for part in proc.stdout.strip().split("=", 1)[1].split(","):
        key, _, value = part.partition("=")
        if key.strip() == "CN":
            return value.strip()
    raise LabError("%s has no subject CN" % cert)


def start_mosquitto(workdir, listeners, ca):
    """Start mosquitto with one MQTT-over-TLS listener per (address, port, cert, key), set up as
    Foreman's installer sets up a proxy's: client certificates from ca required, the ACL's proxy
    user the subject CN of the listener's own certificate (the proxy's FQDN); ready."""
    base = _service_dir(workdir, "mosquitto")
    acl_files = [_write(os.path.join(base, "foreman-%s-%d.acl" % (address, port)),
                        MOSQUITTO_ACL.format(user=subject_cn(cert)))
                 for address, port, cert, _key in listeners]
    conf = _write(os.path.join(base, "mosquitto.conf"),
                  mosquitto_conf(listeners, ca, acl_files))
    daemon = Daemon("mosquitto", ["mosquitto", "-c", conf], os.path.join(base, "mosquitto.log"))
    daemon.start()
    _wait_ports(daemon, listeners)
    return daemon


class PuppetServer(object):
    """A real puppetserver JVM (the Puppet CA) with every path under <workdir>/puppetserver/."""

    def __init__(self, workdir, address, port, certname, dns_alt_names):
        self.address = address
        self.port = port
        self.certname = certname
        self.dns_alt_names = list(dns_alt_names)
        self.base = _service_dir(workdir, "puppetserver")
        self.confdir = os.path.join(self.base, "puppet")
        self.conf_d = os.path.join(self.base, "conf.d")
        self.services_d = os.path.join(self.base, "services.d")
        self.ssldir = os.path.join(self.base, "ssl")
        # Outside ssldir: a cadir inside it works but logs a deprecation warning.
        self.cadir = os.path.join(self.base, "ca")
        self.puppet_conf_path = os.path.join(self.confdir, "puppet.conf")
        self.log_path = os.path.join(self.base, "server.log")
        self.autosign_path = os.path.join(self.base, "autosign.conf")
        # Written by puppetserver itself when it creates its CA on the first start.
        self.ca_cert_path = os.path.join(self.ssldir, "certs", "ca.pem")
        self.daemon = None

    def _path(self, name):
        return os.path.join(self.base, name)

    def write_config(self):
        for directory in (self.confdir, self.conf_d, self.services_d, self._path("code")):
            os.makedirs(directory, exist_ok=True)
        for name in PACKAGED_CONF_FILES:
            shutil.copy(os.path.join(PACKAGED_PUPPETSERVER_CONF, "conf.d", name), self.conf_d)
        for name in os.listdir(os.path.join(PACKAGED_PUPPETSERVER_CONF, "services.d")):
            shutil.copy(os.path.join(PACKAGED_PUPPETSERVER_CONF, "services.d", name),
                        self.services_d)
        _write(os.path.join(self.conf_d, "puppetserver.conf"), self._puppetserver_conf())
        _write(os.path.join(self.conf_d, "webserver.conf"), self._webserver_conf())
        _write(os.path.join(self.conf_d, "global.conf"),
               'global: { logging-config: "%s" }\n' % self._path("logback.xml"))
        _write(self._path("logback.xml"), LOGBACK_STDOUT)
        _write(self._path("request-logging.xml"), ACCESS_LOG_STDOUT)
        _write(self.puppet_conf_path, self._puppet_conf())
        self.set_autosign(True)

    def set_autosign(self, on):
        """Sign every CSR at once (the lab's default) or none; takes effect on the next CSR."""
        tmp = self.autosign_path + ".new"
        _write(tmp, AUTOSIGN_ALL if on else AUTOSIGN_NONE)
        os.replace(tmp, self.autosign_path)

    def _puppetserver_conf(self):
        return PUPPETSERVER_CONF % {
            "confdir": self.confdir, "code": self._path("code"), "var": self._path("var"),
            "run": self._path("run"), "log": self._path("log"), "gems": self._path("gems")}

    def _webserver_conf(self):
        return WEBSERVER_CONF % {
            "access_log": self._path("request-logging.xml"), "address": self.address,
            "port": self.port}

    def _puppet_conf(self):
        return PUPPET_CONF % {
            "ssldir": self.ssldir, "var": self._path("var"), "log": self._path("log"),
            "run": self._path("run"), "code": self._path("code"), "certname": self.certname,
            "alt_names": ",".join([self.certname] + self.dns_alt_names), "cadir": self.cadir,
            "autosign": self.autosign_path}

    def argv(self):
        # The `puppetserver foreground` wrapper runuser's to `puppet` and hard-codes /etc paths.
        return [
            "/usr/bin/java", "-Xms512m", "-Xmx1g",
            "-Djruby.logger.class=com.puppetlabs.jruby_utils.jruby.Slf4jLogger",
            "-Djruby.lib=/usr/share/jruby/lib", "-XX:+CrashOnOutOfMemoryError",
            "-XX:ErrorFile=%s" % self._path("hs_err_pid%p.log"),
            "-jar", os.path.join(PUPPETSERVER_HOME, "puppetserver.jar"),
            "--config", self.conf_d, "--bootstrap-config", self.services_d,
        ]

    def start(self):
        self.write_config()
        self.daemon = Daemon("puppetserver", self.argv(), self.log_path, cwd=PUPPETSERVER_HOME)
        self.daemon.start()
        return self

    @property
    def url(self):
        return "https://%s:%s" % (self.address, self.port)

    def status(self):
        """GET /status/v1/simple over TLS verified against the Puppet CA and the certname.

        Returns the body, or None while the server is not answering yet.
        """
        if not os.path.exists(self.ca_cert_path):
            return None
        context = ssl.create_default_context(cafile=self.ca_cert_path)
        request = "GET /status/v1/simple HTTP/1.0\r\nHost: %s\r\n\r\n" % self.certname
        try:
            with socket.create_connection((self.address, self.port), timeout=10) as raw:
                with context.wrap_socket(raw, server_hostname=self.certname) as tls:
                    tls.sendall(request.encode("ascii"))
                    response = b"".join(iter(lambda: tls.recv(65536), b""))
        except ssl.SSLCertVerificationError as exc:
            raise LabError("puppetserver at %s presents a certificate that does not verify "
                           "against %s for %s: %s" % (self.url, self.ca_cert_path,
                                                      self.certname, exc))
        except (OSError, ssl.SSLError):
            return None
        head, _sep, body = response.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200") and not head.startswith(b"HTTP/1.0 200"):
            return None
        return body.decode("utf-8", "replace").strip()

    def _ca_request(self, method, certname, body=None):
        """One CA API request authenticated with the server's own certificate, which carries
        the pp_cli_auth extension auth.conf requires for certificate_status (as the CA CLI and
        a Smart Proxy's puppetca module use it). Returns (status, body)."""
        context = ssl.create_default_context(cafile=self.ca_cert_path)
        context.load_cert_chain(os.path.join(self.ssldir, "certs", self.certname + ".pem"),
                                os.path.join(self.ssldir, "private_keys", self.certname + ".pem"))
        data = (body or "").encode("utf-8")
        request = ("%s %s%s HTTP/1.0\r\nHost: %s\r\nContent-Type: application/json\r\n"
                   "Content-Length: %d\r\n\r\n" % (method, CA_API, certname, self.certname,
                                                     len(data))).encode("ascii") + data
        # By address, verified for the certname: the host running the lab cannot resolve it.
        with socket.create_connection((self.address, self.port), timeout=30) as raw:
            with context.wrap_socket(raw, server_hostname=self.certname) as tls:
                tls.sendall(request)
                response = b"".join(iter(lambda: tls.recv(65536), b""))
        head, _sep, answer = response.partition(b"\r\n\r\n")
        return int(head.split(b" ", 2)[1]), answer.decode("utf-8", "replace")

    def clean_certificate(self, certname):
        """What Foreman does through the Smart Proxy when a host is rebuilt or deleted, and
        `puppetserver ca clean`: revoke the host's signed certificate, then delete its
        certificate and any pending request. Returns True if the CA held either."""
        status, body = self._ca_request("PUT", certname, json.dumps({"desired_state": "revoked"}))
        if status not in (204, 404, 409):  # 404: unknown name; 409: not signed (a CSR only)
            raise LabError("revoking %s on the Puppet CA: %s %s" % (certname, status, body))
        status, body = self._ca_request("DELETE", certname)
        if status not in (200, 204, 404):
            raise LabError("deleting %s on the Puppet CA: %s %s" % (certname, status, body))
        return status != 404

    def sign_certificate(self, certname):
        """Sign a pending request, as `puppetserver ca sign --certname` does."""
        status, body = self._ca_request("PUT", certname, json.dumps({"desired_state": "signed"}))
        if status != 204:
            raise LabError("signing %s on the Puppet CA: %s %s" % (certname, status, body))

    def agent_certnames(self):
        """Names the CA holds a certificate or a pending request for, besides its own."""
        names = set()
        for sub in ("signed", "requests"):
            directory = os.path.join(self.cadir, sub)
            if os.path.isdir(directory):
                names.update(name[:-len(".pem")] for name in os.listdir(directory)
                             if name.endswith(".pem"))
        return sorted(names - {self.certname})

    def reset(self):
        """Autosign on and no agent certificates (Lab.reset): a test's host names are free for
        the next test's hosts, whose keys are new."""
        self.set_autosign(True)
        for certname in self.agent_certnames():
            self.clean_certificate(certname)

    def wait_ready(self, timeout=180):
        """Poll /status/v1/simple until it says `running`; fail early if the JVM exits."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.daemon.running():
                raise LabError("puppetserver exited with %s before it was ready; log %s:\n%s" % (
                    self.daemon.proc.returncode, self.log_path, self.daemon.log_text()[-3000:]))
            if self.status() == "running":
                return self
            if time.monotonic() > deadline:
                raise LabError("puppetserver at %s not running after %ss; log %s:\n%s" % (
                    self.url, timeout, self.log_path, self.daemon.log_text()[-3000:]))
            time.sleep(PUPPETSERVER_READY_POLL)

    def stop(self):
        if self.daemon is not None:
            # A clean JVM shutdown takes about 4 s.
            self.daemon.stop(timeout=30)


def start_puppetserver(workdir, address, port, certname, dns_alt_names):
    """Start the real puppetserver bound to address:port only (autosign on, see
    PuppetServer.set_autosign); returns at once.

    Startup takes about 45 s (the first start also creates the CA and the server certificate,
    whose SANs are certname + dns_alt_names); call .wait_ready() before using it.
    """
    return PuppetServer(workdir, address, port, certname, dns_alt_names).start()


def client_puppet_conf(client_dir, certname, server, ca_server=None, ca_port=8140):
    """Write <client_dir>/etc/puppet.conf for a throw-away Puppet client; returns its path.

    What a puppet.conf for puppet_ssl_bootstrap() must contain:
    - ssldir, vardir, rundir and logdir set explicitly: --confdir does not move them off the
      host's /var/lib/puppet.
    - http_keepalive_timeout = 0: otherwise Ruby's net/http reuses the connection after the CSR
      PUT and the certificate GET stalls for exactly 30 s against Jetty.
    - server / ca_server / ca_port naming a host in the puppetserver's dns_alt_names, resolvable
      where the command runs (the lab's hosts file).
    - no trailing comments: puppet reads `key = value  # note` as the value `value  # note`.
    """
    etc = os.path.join(client_dir, "etc")
    os.makedirs(etc, exist_ok=True)
    return _write(os.path.join(etc, "puppet.conf"), CLIENT_PUPPET_CONF % {
        "dir": client_dir, "server": server, "ca_server": ca_server or server,
        "ca_port": ca_port, "certname": certname})


def puppet_ssl_bootstrap(confdir, puppet_conf_path, run_in=None):
    """argv of a real certificate request as a client makes it (see client_puppet_conf()).

    run_in is an argv prefix that makes the lab names resolvable (e.g. a sandbox wrapper or
    `unshare ... sh -c '... exec "$@"' sh`). With autosign the command exits 0 with the signed
    certificate in <ssldir>/certs/<certname>.pem; without, it exits 1 (waitforcert 0).
    """
    return list(run_in or []) + [
        "puppet", "ssl", "bootstrap", "--confdir", confdir, "--config", puppet_conf_path,
        "--waitforcert", "0"]


PUPPETSERVER_CONF = """\
jruby-puppet: {
    ruby-load-path: [/usr/lib/puppetserver/ruby/vendor_ruby]
    gem-home: "%(gems)s"
    gem-path: [${jruby-puppet.gem-home}, "/usr/lib/puppetserver/vendored-jruby-gems"]
    server-conf-dir: "%(confdir)s"
    server-code-dir: "%(code)s"
    server-var-dir: "%(var)s"
    server-run-dir: "%(run)s"
    server-log-dir: "%(log)s"
}
http-client: {}
profiler: {}
# Debian already defaults this to false; spelled out because the lab never leaves loopback.
product: { check-for-updates: false }
"""

WEBSERVER_CONF = """\
webserver: {
    access-log-config: "%(access_log)s"
    client-auth: want
    ssl-host: "%(address)s"
    ssl-port: %(port)d
}
"""

PUPPET_CONF = """\
[main]
ssldir = %(ssldir)s
vardir = %(var)s
logdir = %(log)s
rundir = %(run)s
codedir = %(code)s

[server]
certname = %(certname)s
dns_alt_names = %(alt_names)s
cadir = %(cadir)s
autosign = %(autosign)s
"""

LOGBACK_STDOUT = """\
<configuration>
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%d %-5p [%c{2}] %m%n</pattern></encoder>
  </appender>
  <root level="info"><appender-ref ref="STDOUT"/></root>
</configuration>
"""

ACCESS_LOG_STDOUT = """\
<configuration>
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>access %h "%r" %s %b "%i{User-Agent}"</pattern></encoder>
  </appender>
  <appender-ref ref="STDOUT"/>
</configuration>
"""

CLIENT_PUPPET_CONF = """\
[main]
ssldir = %(dir)s/ssl
vardir = %(dir)s/var
rundir = %(dir)s/run
logdir = %(dir)s/log
http_keepalive_timeout = 0

[agent]
server = %(server)s
ca_server = %(ca_server)s
ca_port = %(ca_port)s
certname = %(certname)s
"""
