"""The lab: a load-balanced Smart Proxy world on loopback, started and stopped as one unit."""
import argparse
import collections
import concurrent.futures
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

from tests.lab import build, haproxy, pki
from tests.lab.daemon import Daemon, LabError
from tests.lab.foreman import Foreman
from tests.lab.haproxy import BALANCER_ADDRESS, HAProxy
from tests.lab.sandbox import Sandbox

LAB_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(LAB_DIR))
PROXY_SERVER = os.path.join(LAB_DIR, "proxy_server.py")
# Debian's interpreter: the lab programs must not depend on the test runner's Python.
SYSTEM_PYTHON = "/usr/bin/python3"

DOMAIN = "example.test"
BALANCER = "smartproxy." + DOMAIN
# A second name of the same HAProxy (it balances TCP, so any name reaches it), standing for
# another balancer: the one a host is moved to with --new-capsule.
SECOND_BALANCER = "lb2." + DOMAIN
# The balanced proxies' certificates cover it with a wildcard, as a site certificate would: a
# second plain name would be taken for a proxy's own name (diagnose finds the proxies behind a
# balancer by the names on their certificates, wildcards excepted).
SECOND_BALANCER_SAN = "*." + DOMAIN
REFUSED = ("refused." + DOMAIN, "127.0.1.11")
PROXIES = collections.OrderedDict([
    ("proxy01", "127.0.2.1"), ("proxy02", "127.0.2.2"), ("proxy03", "127.0.2.3"),
    ("proxy09", "127.0.2.9"),
])
BALANCED_PROXIES = ("proxy01", "proxy02", "proxy03")
# proxy09's certificate lacks the balancer name; HAProxy keeps it in maintenance by default.
VARIANT_PROXY = "proxy09"
# proxy01's :8140 is the real puppetserver, i.e. the Puppet CA behind the balancer's :8141.
PUPPET_CA_PROXY = "proxy01"
CLIENTS = collections.OrderedDict(
    ("client%02d" % n, "127.0.3.%d" % n) for n in range(1, 10))

HTTP_PORTS = [80, 8000]
HTTPS_PORTS = [443, 8443, 9090, 5000]
PUPPET_PORT = 8140
AMQP_PORT = 5647
MQTT_PORT = 1883
# Balancer ports whose backends are the proxy stand-ins themselves (not AMQP, MQTT or Puppet).
PROXY_SERVED_PORTS = HTTP_PORTS + HTTPS_PORTS
BASE_FEATURES = ["dynflow", "logs", "pulpcore", "puppet", "registration", "script", "templates",
                 "openscap"]

ORG = "ACME"
ACTIVATION_KEY = "ak-lab"
# A second key of the org, for enrollments with several keys (-a ak-lab,ak-lab-web).
SECOND_ACTIVATION_KEY = "ak-lab-web"
WORLD = {"orgs": {ORG: {
    "name": "ACME Corp",
    "activation_keys": [ACTIVATION_KEY, SECOND_ACTIVATION_KEY],
    "content": [{"label": "ACME_Lab_hello", "name": "hello",
                 "path": "/ACME/Library/custom/Lab/hello", "gpg_url": None, "enabled": True}],
}}}


def machine_lock_path():
    """One lab per network namespace: its addresses are fixed, but labs in different network
    namespaces (e.g. an unprivileged user's, see tests/lab/unprivileged) cannot collide."""
    return "/tmp/lbenroll-lab-net%d.lock" % os.stat("/proc/self/ns/net").st_ino


def _try_lock(f):
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


# The lock file is removed by the run that holds it, on stop: every unprivileged run has a new
# network namespace and so a new path, and those files would pile up in /tmp. Removing a flock'ed
# file is safe only because whoever gets the lock checks that the path still names the file it
# locked: a run that was waiting on the removed file then starts over on a new one, instead of
# holding a lock nobody else can see. (A lock in a directory cleaned at boot would still pile up
# between boots.) A killed run leaves its file behind, for the next run in that namespace to use.
def _lock_machine():
    """Open and flock the machine lock file, waiting for another lab run if need be."""
    path, said = machine_lock_path(), False
    while True:
        f = open(path, "a")
        if not _try_lock(f):
            if not said:
                print("lab: waiting for another lab run to finish (%s)" % path,
                      file=sys.stderr, flush=True)
                said = True
            fcntl.flock(f, fcntl.LOCK_EX)
        if _names_locked_file(path, f):
            return f
        f.close()  # the holder removed it while we waited: lock the path's new file


def _names_locked_file(path, f):
    try:
        locked, current = os.fstat(f.fileno()), os.stat(path)
    except FileNotFoundError:
        return False
    return (locked.st_dev, locked.st_ino) == (current.st_dev, current.st_ino)


def _unlock_machine(f):
    """Remove the lock file, then release the lock (in this order, see _lock_machine)."""
    try:
        # Unless something else removed it meanwhile (a /tmp cleaner): not another run's file.
        if _names_locked_file(f.name, f):
            os.unlink(f.name)
    finally:
        f.close()  # releases the flock


def fqdn(name):
    return "%s.%s" % (name, DOMAIN)


# A locale whose programs answer in another language: Debian's dnf ships its German catalogue,
# and bin/subscription-manager speaks German as the real one does (po/de.po). Sandboxes see the
# machine's /usr/lib/locale/locale-archive through their /usr overlay.
GERMAN_LOCALE = "de_DE.UTF-8"


def _normal_locale(name):
    language, _, codeset = name.partition(".")
    return language + "." + codeset.lower().replace("-", "") if codeset else language


def has_locale(name):
    listed = subprocess.run(["locale", "-a"], stdout=subprocess.PIPE, universal_newlines=True,
                            check=True).stdout.split()
    return _normal_locale(name) in {_normal_locale(entry) for entry in listed}


def ensure_locale(name=GERMAN_LOCALE):
    """Generate a glibc locale on this machine unless it has it (Debian's locales package:
    localedef adds it to the locale archive); idempotent. Needs root."""
    if has_locale(name):
        return name
    source, _, codeset = name.partition(".")
    proc = subprocess.run(["localedef", "-i", source, "-f", codeset or "UTF-8", name],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)
    if not has_locale(name):
        raise LabError("localedef could not make the %s locale (apt-get install locales): %s"
                       % (name, proc.stdout.strip()))
    return name


def hosts_text():
    """The lab's hosts file (nowhere.example.test is deliberately absent)."""
    rows = [("127.0.0.1", "localhost"), ("::1", "localhost ip6-localhost ip6-loopback"),
            (BALANCER_ADDRESS, BALANCER), (BALANCER_ADDRESS, SECOND_BALANCER),
            (REFUSED[1], REFUSED[0])]
    rows += [(address, "%s %s" % (fqdn(name), name)) for name, address in PROXIES.items()]
    rows += [(address, "%s %s" % (fqdn(name), name)) for name, address in CLIENTS.items()]
    return "".join("%s\t%s\n" % row for row in rows)


def _check_addresses_free():
    """Fail early if another lab (or anything else) answers on the lab's fixed addresses."""
    # HAProxy binds with SO_REUSEPORT: a second lab would silently share the balancer's ports.
    for address in [BALANCER_ADDRESS] + list(PROXIES.values()):
        try:
            socket.create_connection((address, 80), timeout=1).close()
        except OSError:
            continue
        raise LabError("%s:80 already answers: is another lab running?" % address)


def _write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


class ProxyHost(object):
    """One Smart Proxy stand-in: its files, its configuration and its process."""

    def __init__(self, lab, name, address):
        self.name = name
        self.fqdn = fqdn(name)
        self.address = address
        self.directory = os.path.join(lab.workdir, "proxies", self.fqdn)
        self.pub_dir = os.path.join(self.directory, "pub")
        self.content_dir = os.path.join(self.directory, "content")
        self.log = os.path.join(self.directory, "requests.jsonl")
        self.control = os.path.join(self.directory, "control.json")
        self.config_path = os.path.join(self.directory, "config.json")
        # The lab CA signs every proxy cert; the balancer names are SANs on the balanced proxies
        # only (foreman-proxy-certs-generate --foreman-proxy-cname).
        self.dns_names = [self.fqdn] + ([] if name == VARIANT_PROXY
                                        else [BALANCER, SECOND_BALANCER_SAN])
        self.cert = None
        self.server_ca = None
        self.release = build.FIRST_RELEASE  # of its consumer RPM
        self.ssh_pubkey = None
        self.daemon = None

    def config(self, lab):
        https_ports = HTTPS_PORTS + ([] if self.name == PUPPET_CA_PROXY else [PUPPET_PORT])
        features = BASE_FEATURES + (["puppetca"] if self.name == PUPPET_CA_PROXY else [])
        return {
            "name": self.fqdn, "address": self.address, "http_ports": HTTP_PORTS,
            "https_ports": https_ports, "cert": self.cert.cert, "key": self.cert.key,
            "ca": lab.ca.cert, "ca_key": lab.ca.key, "pub_dir": self.pub_dir,
            "content_dir": self.content_dir, "state_dir": lab.state_dir, "log": self.log,
            "control": self.control, "ssh_pubkey": self.ssh_pubkey, "features": features,
        }

    def start(self, lab):
        _write_atomic(self.config_path, json.dumps(self.config(lab), indent=1, sort_keys=True))
        self.daemon = Daemon(self.fqdn, [SYSTEM_PYTHON, PROXY_SERVER, self.config_path],
                             os.path.join(self.directory, "server.log"), cwd=REPO_ROOT).start()
        return self.daemon

    def wait_ready(self):
        # The log survives restarts: only this process's own line counts.
        self.daemon.wait_log(r"^ready \S+ pid=%d " % self.daemon.pid)

    def stop(self):
        if self.daemon:
            self.daemon.stop()


class Lab(object):
    """Everything under one throw-away workdir; start() either brings all of it up or nothing.

    services: also start the AMQP (5647) and MQTT (1883) listeners of tests/lab/services.py.
    puppetserver: also start the real puppetserver on proxy01:8140 (ready ~45 s later; see
    wait_puppetserver()).
    """

    def __init__(self, workdir=None, services=True, puppetserver=True):
        # A workdir the lab made itself is its own to delete on stop(); a given one is kept.
        self.owns_workdir = workdir is None
        self.workdir = os.path.abspath(workdir or tempfile.mkdtemp(prefix="lbenroll-lab-"))
        self.with_services = services
        self.with_puppetserver = puppetserver
        self.pki_dir = os.path.join(self.workdir, "pki")
        self.state_dir = os.path.join(self.workdir, "state")
        self.build_dir = os.path.join(self.workdir, "build")
        self.hosts_path = os.path.join(self.workdir, "hosts")
        self.amqp_log = os.path.join(self.workdir, "amqp", "events.jsonl")
        # rpm --root keeps its database under <root>/var/lib/rpm; sandboxes copy it from here.
        self.rpmdb_root = os.path.join(self.build_dir, "rpmdb-root")
        self.rpmdb_seed = os.path.join(self.rpmdb_root, "var", "lib", "rpm", "rpmdb.sqlite")
        self.ca = pki.CertPair(os.path.join(self.pki_dir, "ca.pem"),
                               os.path.join(self.pki_dir, "ca.key"))
        self.proxies = collections.OrderedDict(
            (name, ProxyHost(self, name, address)) for name, address in PROXIES.items())
        self.haproxy = HAProxy(os.path.join(self.workdir, "haproxy"), list(PROXIES.items()),
                               PUPPET_CA_PROXY, disabled=[VARIANT_PROXY])
        self.layout = build.DEFAULT_LAYOUT
        self._removed_content = []  # (repository directory, where remove_content put it)
        self._stale_repodata = []   # (repodata directory, where set_stale_repodata put it)
        self.amqp = None
        self.mosquitto = None
        self.puppetserver = None
        self._lab_certs = {}

    # -- start / stop ---------------------------------------------------------------------------

    def start(self):
        # The lab's addresses are fixed, so one lab runs at a time per machine; a second run
        # (another test session, the demo, a benchmark) waits here instead of failing.
        self._machine_lock = _lock_machine()
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self):
        _check_addresses_free()
        for directory in (self.state_dir, self.build_dir):
            os.makedirs(directory, exist_ok=True)
        _write_atomic(self.hosts_path, hosts_text())
        _write_atomic(os.path.join(self.state_dir, "world.json"), json.dumps(WORLD, indent=1))
        if self.with_puppetserver:
            self._start_puppetserver()
        self.ca, certs = pki.make_lab_pki(
            self.pki_dir, {p.fqdn: p.dns_names for p in self.proxies.values()})
        for proxy in self.proxies.values():
            proxy.cert = self._lab_certs[proxy.name] = certs[proxy.fqdn]
            proxy.server_ca = self.ca.cert
            # Remote execution's foreman-proxy key, published on :9090 /ssh/pubkey.
            proxy.ssh_pubkey = pki.make_ssh_key(os.path.join(proxy.directory, "ssh"),
                                                "id_foreman_proxy", "foreman-proxy@" + proxy.fqdn)
        self._build_all()
        for proxy in self.proxies.values():
            proxy.start(self)
        for proxy in self.proxies.values():
            proxy.wait_ready()
        if self.with_services:
            self._start_services()
        self.haproxy.start()

    def _start_puppetserver(self):
        from tests.lab import services  # another component; only the full lab needs it
        proxy = self.proxies[PUPPET_CA_PROXY]
        self.puppetserver = services.start_puppetserver(
            self.workdir, proxy.address, PUPPET_PORT, proxy.fqdn,
            [proxy.fqdn, BALANCER, SECOND_BALANCER])

    def _listeners(self, port):
        """(address, port, cert, key) on every balanced proxy, with that proxy's certificate."""
        return [(self.proxies[name].address, port, self.proxies[name].cert.cert,
                 self.proxies[name].cert.key) for name in BALANCED_PROXIES]

    def _start_services(self):
        from tests.lab import services
        # Each service keeps its files in <workdir>/<service>/.
        self.amqp = services.start_amqp(
            self.workdir, self._listeners(AMQP_PORT), self.ca.cert, self.amqp_log)
        self.mosquitto = services.start_mosquitto(
            self.workdir, self._listeners(MQTT_PORT), self.ca.cert)

    def wait_puppetserver(self, timeout=300.0):
        """Block until the puppetserver started by start() answers.

        It takes ~45 s on an idle 2-core host, and over two minutes while other JVMs start.
        """
        if self.puppetserver is None:
            raise LabError("this lab was started without puppetserver")
        self.puppetserver.wait_ready(timeout)
        # And until HAProxy's health checks have seen it: until then 8141 refuses clients.
        self.haproxy.wait_server(haproxy.PUPPET_CA_PORT, self.haproxy.puppet_ca_server, up=True,
                                 timeout=60.0)

    def stop(self):
        """Stop every process this lab started, in reverse order; raise if one could not be."""
        errors = []
        stoppers = [self.haproxy.stop]
        stoppers += [service.stop for service in (self.mosquitto, self.amqp) if service]
        stoppers += [proxy.stop for proxy in self.proxies.values()]
        stoppers += [self.puppetserver.stop] if self.puppetserver else []
        for stop in stoppers:
            try:
                stop()
            except Exception as error:  # keep stopping the rest
                errors.append(error)
        if self.owns_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        lock, self._machine_lock = getattr(self, "_machine_lock", None), None
        if lock is not None:
            _unlock_machine(lock)
        if errors:
            raise LabError("lab stop: %s" % "; ".join(str(e) for e in errors))

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- artefacts ------------------------------------------------------------------------------

    def _build_all(self):
        """rpmbuild and createrepo_c runs are independent; run them on every core."""
        ca_pem = pki.read_pem(self.ca.cert)
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            stub = pool.submit(build.build_stub_rpm, self.build_dir)
            puppet_agent = pool.submit(build.build_puppet_agent_rpm, self.build_dir)
            rex_pull = pool.submit(build.build_rex_pull_rpms, self.build_dir)
            openvox_agent = pool.submit(build.build_openvox_agent_rpm, self.build_dir)
            insights = pool.submit(build.build_insights_client_rpm, self.build_dir)
            hello = {p.name: [pool.submit(build.build_hello_rpm, self.build_dir, p.fqdn, release)
                              for release in build.HELLO_RELEASES]
                     for p in self.proxies.values()}
            consumer = self._submit_consumer_builds(pool, self.proxies.values(), ca_pem, "lab")
            build.make_rpmdb(self.rpmdb_root, [stub.result()])
            # puppet-agent (and OpenVox's), the pull-mode worker and insights-client too, as a
            # Satellite's client repository and RHEL's BaseOS provide them.
            repos = [pool.submit(build.make_content_repo, p.content_dir, item["path"],
                                 puppet_agent.result(), openvox_agent.result(), insights.result(),
                                 *[future.result() for future in hello[p.name]],
                                 *rex_pull.result(), revision=build.content_revision(p.name))
                     for p in self.proxies.values()
                     for org in WORLD["orgs"].values() for item in org["content"]]
            self._publish(consumer)
            for future in repos:
                future.result()

    def _submit_consumer_builds(self, pool, proxies, server_ca_pem, variant):
        """{(proxy name, layout): future of the consumer RPM path} for one CA variant."""
        ca_pem = pki.read_pem(self.ca.cert)
        return {(p.name, layout): pool.submit(
                    build.build_consumer_rpm, os.path.join(self.build_dir, variant), p.fqdn,
                    layout, server_ca_pem, ca_pem, p.release)
                for p in proxies for layout in build.LAYOUTS}

    def _publish(self, consumer_futures):
        proxies = set()
        for (name, layout), future in consumer_futures.items():
            build.publish_consumer_rpm(self.proxies[name].pub_dir, layout, future.result())
            proxies.add(name)
        for name in proxies:
            proxy = self.proxies[name]
            # Apache publishes the server CA next to the RPM (katello-client-facts.md §2.1).
            shutil.copyfile(proxy.server_ca, os.path.join(proxy.pub_dir, "katello-server-ca.crt"))
            build.set_pub_layout(proxy.pub_dir, proxy.fqdn, self.layout, proxy.release)

    # -- switches -------------------------------------------------------------------------------

    def set_layout(self, layout):
        """Point every proxy's katello-ca-consumer-latest.noarch.rpm at "current" or "pulp2"."""
        for proxy in self.proxies.values():
            build.set_pub_layout(proxy.pub_dir, proxy.fqdn, layout, proxy.release)
        self.layout = layout

    def set_balance(self, port, mode):
        """Switch a balancer port between "roundrobin" and "source" (hot reload)."""
        self.haproxy.set_balance(port, mode)

    def set_fault(self, name, **faults):
        """Faults of one proxy, e.g. set_fault("proxy02", pub="truncated", rhsm="error500").

        Replaces that proxy's previous faults; set_fault(name) clears them.
        """
        _write_atomic(self.proxies[name].control, json.dumps(faults))

    def set_ssh_ca(self, public_key, names=BALANCED_PROXIES):
        """Those proxies publish public_key (an SSH CA's public key line, or any text) at
        :9090/ssh/ca_pubkey, as with ssh_user_ca_public_key_file set; the others keep what they
        publish (by default nothing: an empty 200). Kept with the proxy's faults, so set_fault
        and reset() clear it."""
        for name in names:
            control = self.proxies[name].control
            try:
                with open(control) as f:
                    faults = json.load(f)
            except FileNotFoundError:
                faults = {}
            faults["ssh_ca"] = public_key
            _write_atomic(control, json.dumps(faults))

    def clear_faults(self):
        for proxy in self.proxies.values():
            if os.path.exists(proxy.control):
                os.unlink(proxy.control)

    def stop_proxy(self, name):
        self.proxies[name].stop()

    def start_proxy(self, name):
        self.proxies[name].start(self)
        self.proxies[name].wait_ready()

    def set_registration_url(self):
        """Every proxy serves a consumer RPM built for the balancer's name, as proxies installed
        with `--foreman-proxy-registration-url https://BALANCER:9090` build it (Katello 4.7 and
        later; docs/katello-client-facts.md, the consumer RPM): the set-up PROXY_REGISTRATION
        passes. Undone by reset()."""
        ca_pem = pki.read_pem(self.ca.cert)
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            built = {name: pool.submit(
                         build.build_consumer_rpm,
                         os.path.join(self.build_dir, "registration-url", name), BALANCER,
                         self.layout, pki.read_pem(proxy.server_ca), ca_pem, proxy.release)
                     for name, proxy in self.proxies.items()}
            for name, proxy in self.proxies.items():
                build.publish_consumer_rpm(proxy.pub_dir, self.layout, built[name].result())
                build.set_pub_layout(proxy.pub_dir, BALANCER, self.layout, proxy.release)

    def _unset_registration_url(self):
        """Take the balancer-named consumer RPMs of set_registration_url() away again."""
        prefix = "katello-ca-consumer-%s-" % BALANCER
        for proxy in self.proxies.values():
            for directory in [proxy.pub_dir] + [os.path.join(proxy.pub_dir, layout)
                                                for layout in build.LAYOUTS]:
                if os.path.isdir(directory):
                    for entry in os.listdir(directory):
                        if entry.startswith(prefix):
                            os.unlink(os.path.join(directory, entry))

    def set_proxy_ca(self, name, variant):
        """"foreign": the proxy serves a cert from an unrelated CA (and its consumer RPM carries
        that CA as katello-server-ca); "lab": back to the lab CA. Restarts the proxy.

        Returns the path of the CA certificate the proxy now chains to.
        """
        proxy = self.proxies[name]
        if variant == "foreign":
            foreign_ca, proxy.cert = pki.make_foreign_proxy_cert(
                self.pki_dir, proxy.fqdn, proxy.dns_names)
            proxy.server_ca = foreign_ca.cert
        elif variant == "lab":
            proxy.cert, proxy.server_ca = self._lab_certs[name], self.ca.cert
        else:
            raise LabError("set_proxy_ca(%r, %r): variant is 'foreign' or 'lab'" % (name, variant))
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            self._publish(self._submit_consumer_builds(
                pool, [proxy], pki.read_pem(proxy.server_ca), variant))
        self.stop_proxy(name)
        self.start_proxy(name)
        return proxy.server_ca

    def remove_content(self, name, path):
        """One proxy lacks a repository, as if it was never synchronized there: the directory
        of the content path (e.g. /ACME/Library/custom/Lab/hello) is moved aside until
        restore_content() or reset()."""
        proxy = self.proxies[name]
        directory = os.path.join(proxy.content_dir, path.strip("/"))
        aside = os.path.join(proxy.directory, "removed-content", path.strip("/"))
        os.makedirs(os.path.dirname(aside), exist_ok=True)
        os.rename(directory, aside)
        self._removed_content.append((directory, aside))

    def restore_content(self):
        while self._removed_content:
            directory, aside = self._removed_content.pop()
            os.rename(aside, directory)
        while self._stale_repodata:
            directory, aside = self._stale_repodata.pop()
            shutil.rmtree(directory)
            os.rename(aside, directory)

    def set_stale_repodata(self, name, path=None):
        """One proxy serves older packages in a repository (default: the lab's one), as a proxy
        not synchronized to the current content view version: a second createrepo_c
        publication without the newest build of lab-hello (build.NEWEST_HELLO), made later, so
        with the newest revision of all (build.LATER_REVISION): only its packages tell it is
        behind. Undone by restore_content() or reset()."""
        repo = self._repodata_aside(name, path, move=True)
        build.publish_repodata(repo, build.LATER_REVISION,
                               excludes=[build.NEWEST_HELLO.rsplit(".", 1)[0] + "*"])

    def set_zstd_primary(self, name, path=None):
        """One proxy's primary file of a repository (default: the lab's one) is zstd-compressed
        (build.zstd_primary), the rest of its repodata as it was. Undone by restore_content() or
        reset()."""
        return build.zstd_primary(self._repodata_aside(name, path, move=False))

    def _repodata_aside(self, name, path, move):
        """Keep a proxy's current repodata of a repository (default: the lab's one) aside for
        restore_content(), moved away or copied; returns the repository's directory."""
        proxy = self.proxies[name]
        path = path or WORLD["orgs"][ORG]["content"][0]["path"]
        repo = os.path.join(proxy.content_dir, path.strip("/"))
        directory = os.path.join(repo, "repodata")
        aside = os.path.join(proxy.directory, "current-repodata", path.strip("/"))
        os.makedirs(os.path.dirname(aside), exist_ok=True)
        (os.rename if move else shutil.copytree)(directory, aside)
        self._stale_repodata.append((directory, aside))
        return repo

    def rebuild_consumer_rpm(self, name, release=2):
        """The proxy publishes its consumer RPM rebuilt as a new release with its current CA,
        as a rebuilt Smart Proxy does; the proxy keeps running. reset() goes back to release 1."""
        proxy = self.proxies[name]
        proxy.release = str(release)
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            self._publish(self._submit_consumer_builds(
                pool, [proxy], pki.read_pem(proxy.server_ca), "release-%s" % proxy.release))

    def set_puppet_autosign(self, on):
        """The Puppet CA signs every request at once (the default) or leaves them pending."""
        if self.puppetserver is None:
            raise LabError("this lab was started without puppetserver")
        self.puppetserver.set_autosign(on)

    def reset(self):
        """Undo every switch: faults, layout, balance, routes, CA variants, stopped proxies,
        the balancer-named consumer RPMs, removed content, the Puppet CA route, autosign and
        the agent certificates it signed.

        Returns once HAProxy sees every balanced proxy in service again.
        """
        self.clear_faults()
        self.restore_content()
        for proxy in self.proxies.values():
            proxy.release = build.FIRST_RELEASE  # its first builds are still in pub/<layout>/
        self.set_layout(build.DEFAULT_LAYOUT)
        self._unset_registration_url()
        self.haproxy.reset_balance()
        self.haproxy.reset_puppet_ca_server()
        if self.puppetserver is not None:
            self.puppetserver.reset()
        for name, proxy in self.proxies.items():
            if proxy.cert != self._lab_certs[name]:
                self.set_proxy_ca(name, "lab")
            elif not proxy.daemon.running():
                self.start_proxy(name)
        self.haproxy.reset_routes()
        self.haproxy.wait_all_up(PROXY_SERVED_PORTS, BALANCED_PROXIES)
        self.foreman.reset()

    # -- observation ----------------------------------------------------------------------------

    @property
    def foreman(self):
        """The Foreman stand-in's state and request log (see foreman.py), shared by all proxies."""
        return Foreman(self.state_dir)

    def requests(self, name=None):
        """Request log entries (dicts, see proxy_server.py) of one or all proxies, oldest first."""
        entries = []
        for proxy in self.proxies.values():
            if name not in (None, proxy.name) or not os.path.exists(proxy.log):
                continue
            with open(proxy.log) as f:
                entries += [json.loads(line) for line in f if line.strip()]
        return sorted(entries, key=lambda entry: entry["ts"])

    def sandbox(self, name, fqdn=None):
        """A client host (see sandbox.py); the same name is the same host across calls."""
        return Sandbox(self, name, fqdn)


# -- command line ---------------------------------------------------------------------------------

def _print_summary(lab):
    print("lab is up in %s" % lab.workdir)
    for name in (BALANCER, SECOND_BALANCER):
        print("  %-26s %s" % (name, BALANCER_ADDRESS))
    for proxy in lab.proxies.values():
        print("  %-26s %s" % (proxy.fqdn, proxy.address))
    print("enter a client host:  python3 -m tests.lab.lab shell %s client01" % lab.workdir)
    print("HAProxy admin socket: %s" % lab.haproxy.socket_path)
    print("Ctrl-C stops the lab.", flush=True)


def _up(args):
    lab = Lab(args.workdir, services=not args.no_services,
              puppetserver=not args.no_puppetserver)
    lab.owns_workdir = False  # removed below unless --keep
    # Both end the lab like Ctrl-C, also when started from a script that ignores SIGINT.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        lab.start()
        _print_summary(lab)
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        lab.stop()
        if not args.keep:
            shutil.rmtree(lab.workdir, ignore_errors=True)
    return 0


def _shell(args):
    lab = Lab(args.workdir)
    return lab.sandbox(args.name, args.fqdn or fqdn(args.name)).interactive()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m tests.lab.lab", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start the lab and keep it running until Ctrl-C")
    up.add_argument("--workdir", help="state directory (default: a new temporary one)")
    up.add_argument("--keep", action="store_true", help="keep the workdir after stopping")
    up.add_argument("--no-services", action="store_true", help="no AMQP/MQTT listeners")
    up.add_argument("--no-puppetserver", action="store_true", help="no puppetserver")
    shell = commands.add_parser("shell", help="interactive shell in a sandbox of a running lab")
    shell.add_argument("workdir")
    shell.add_argument("name", nargs="?", default="client01")
    shell.add_argument("--fqdn", help="hostname inside the sandbox (default <name>.example.test)")
    args = parser.parse_args(argv)
    return _up(args) if args.command == "up" else _shell(args)


if __name__ == "__main__":
    sys.exit(main())
