"""Sandboxed client hosts: commands in a private mount namespace with overlays over the host."""
import functools
import hashlib
import json
import os
import shlex
import shutil
import signal
import stat
import subprocess
import tempfile
import time
import types

from tests.lab.daemon import LabError

LAB_DIR = os.path.dirname(os.path.abspath(__file__))
# /usr is overlaid as a whole (not only /usr/sbin): packages installed in a sandbox, such as the
# consumer RPM's /usr/bin/katello-rhsm-consumer, must not reach the host. /root keeps the tools'
# home-directory files private as well, and /opt the Puppet agent's (/opt/puppetlabs).
OVERLAID = ("/etc", "/var", "/usr", "/root", "/opt")
PRIVATE_TMPFS = "/run"
SANDBOX_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
RESOLV_CONF = "nameserver 127.0.1.53\noptions timeout:1 attempts:1\n"
OS_RELEASE = """\
NAME="Red Hat Enterprise Linux"
VERSION="9.4 (Plow)"
ID="rhel"
ID_LIKE="fedora"
VERSION_ID="9.4"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:redhat:enterprise_linux:9::baseos"
HOME_URL="https://www.redhat.com/"
"""
RPM_MACROS = "%_dbpath /var/lib/rpm\n"
# RHEL 9's dnf.conf: Debian's sets skip_if_unavailable=True, which turns a repository whose
# metadata cannot be fetched into a warning instead of an error.
DNF_CONF = """\
[main]
gpgcheck=1
installonly_limit=3
clean_requirements_on_remove=True
best=True
skip_if_unavailable=False
"""
# The system trust store as on RHEL 9 (ca-certificates): the sources update-ca-trust reads, the
# directories it writes into (it creates none), and the compatibility links into the extracted
# bundles, absolute as ca-certificates.spec makes them (`ln -s %{catrustdir}/extracted/...`).
# /etc/ssl/certs is left to Debian: the host's tools in the sandbox read their CAs there.
CA_TRUST_BASE_BUNDLE = "/usr/share/pki/ca-trust-source/ca-bundle.trust.p11-kit"
CA_TRUST_DIRS = ("/usr/share/pki/ca-trust-source/anchors",
                 "/usr/share/pki/ca-trust-source/blocklist",
                 "/etc/pki/ca-trust/source/anchors", "/etc/pki/ca-trust/source/blocklist",
                 "/etc/pki/ca-trust/extracted/pem", "/etc/pki/ca-trust/extracted/openssl",
                 "/etc/pki/ca-trust/extracted/java", "/etc/pki/ca-trust/extracted/edk2")
CA_TRUST_EXTRACTED = "/etc/pki/ca-trust/extracted"
CA_TRUST_LINKS = {
    "/etc/pki/tls/certs/ca-bundle.crt": "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/pki/tls/certs/ca-bundle.trust.crt":
        "/etc/pki/ca-trust/extracted/openssl/ca-bundle.trust.crt",
    "/etc/pki/tls/cert.pem": "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
}
# LAB_KILL_AT (bin/lab-kill-at): wrappers first in the sandbox's PATH for the host programs
# lbenroll runs (/usr/sbin/<name> in front of the real /usr/bin/<name>); the stand-ins
# (subscription-manager, systemctl, update-ca-trust) hook themselves. Without LAB_KILL_AT a
# wrapper is a plain exec.
KILL_AT_HELPER = "/usr/libexec/lab-kill-at"
KILL_AT_WRAPPED = ("rpm", "rpm2cpio", "dnf", "yum")
KILL_AT_SETTINGS = "/run/lab-kill-at.json"
# LAB_SUBMAN_COST: seconds each subscription-manager call costs (bin/subscription-manager,
# call_cost()); the real one takes 0.3-0.5 s. Unset or 0: free, so the suite stays fast (it
# makes about 615 calls: 3 more minutes at 0.3 s); the tests that measure the cost set it, and
# so does `make bench`.
SUBMAN_COST_FILE = "/run/lab-subman-cost"
KILL_AT_WRAPPER = """\
#!/bin/sh
# lbenroll lab: in front of %(real)s; inert unless LAB_KILL_AT is set or %(settings)s exists
# (tests/lab/bin/lab-kill-at).
[ -z "$LAB_KILL_AT" ] && [ ! -e %(settings)s ] && exec %(real)s "$@"
exec /usr/bin/python3 "${LAB_KILL_AT_HELPER:-%(helper)s}" %(name)s %(real)s "$@"
"""
OPAQUE_XATTRS = ("trusted.overlay.opaque", "user.overlay.opaque")
# Which host directories get writable upper copies when running unprivileged: all of /etc and
# /var (a few hundred), the first level of /usr and /root (package payloads, home files).
MIRRORED_DEPTH = {"/etc": None, "/var": None, "/usr": 1, "/root": 1, "/opt": 1}


def _sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@functools.lru_cache(maxsize=None)
def lab_script(name):
    """A program of bin/ (update-ca-trust, lab-kill-at) as a module, compiled by hand so no
    bytecode lands beside it."""
    path = os.path.join(LAB_DIR, "bin", name)
    module = types.ModuleType("lab_" + name.replace("-", "_"))
    module.__file__ = path
    with open(path) as f:
        exec(compile(f.read(), path, "exec"), module.__dict__)
    return module


def _session_members(sid):
    """Live processes (not zombies) of session sid."""
    members = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                fields = f.read().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] not in ("Z", "X"):
            members.append(int(name))
    return members


def _is_whiteout(path):
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


def _is_opaque(path):
    for name in OPAQUE_XATTRS:
        try:
            if os.getxattr(path, name, follow_symlinks=False) == b"y":
                return True
        except OSError:
            pass
    return False


def subscription_manager_cost():
    """The lab's $LAB_SUBMAN_COST as the text a sandbox's SUBMAN_COST_FILE holds, or None when
    it is unset or zero (subscription-manager calls are then free)."""
    text = os.environ.get("LAB_SUBMAN_COST", "").strip()
    try:
        return text if text and float(text) > 0 else None
    except ValueError:
        raise LabError("LAB_SUBMAN_COST must be a number of seconds, not %r" % text)


class Sandbox(object):
    """One client host. Its upper dirs persist under <workdir>/sandboxes/<name> across runs.

    fqdn: hostname set in the sandbox's own UTS namespace (and /etc/hostname), if given.
    """

    def __init__(self, lab, name, fqdn=None):
        self.lab = lab
        self.name = name
        self.fqdn = fqdn
        self.root = os.path.join(lab.workdir, "sandboxes", name)
        self._seeds_file = os.path.join(self.root, "seeds.json")
        if "," in self.root or ":" in self.root:
            raise LabError("overlay options cannot carry ',' or ':' (%s)" % self.root)
        if not os.path.isdir(self.root):
            self._create()

    # -- layout ---------------------------------------------------------------------------------

    def _layer_dir(self, mount, kind):
        return os.path.join(self.root, mount.strip("/"), kind)

    def _create(self):
        for mount in OVERLAID:
            os.makedirs(self._layer_dir(mount, "upper"))
            os.makedirs(self._layer_dir(mount, "work"))
        self._save_seeds({})
        with open(self.lab.hosts_path, "rb") as f:
            self.seed("/etc/hosts", f.read())
        self.seed("/etc/resolv.conf", RESOLV_CONF)
        self.seed("/etc/os-release", OS_RELEASE)
        self.seed("/etc/rpm/macros", RPM_MACROS)
        self.seed("/etc/dnf/dnf.conf", DNF_CONF)
        if self.fqdn:
            self.seed("/etc/hostname", self.fqdn + "\n")
        self._seed_copy("/etc/rhsm/rhsm.conf", os.path.join(LAB_DIR, "files", "rhsm.conf"), 0o644)
        stand_ins = {"subscription-manager": ["/usr/sbin/subscription-manager"],
                     # Also over /usr/bin: RHEL's systemctl lives there, and callers may use
                     # the absolute path.
                     "systemctl": ["/usr/sbin/systemctl", "/usr/bin/systemctl"],
                     "update-ca-trust": ["/usr/bin/update-ca-trust"],
                     "lab-kill-at": [KILL_AT_HELPER]}
        for program, targets in stand_ins.items():
            for target in targets:
                self._seed_copy(target, os.path.join(LAB_DIR, "bin", program), 0o755)
        for name in KILL_AT_WRAPPED:
            real = "/usr/bin/" + name
            if os.path.isfile(real):
                self.seed("/usr/sbin/" + name, KILL_AT_WRAPPER % {
                    "real": real, "name": name, "helper": KILL_AT_HELPER,
                    "settings": KILL_AT_SETTINGS}, 0o755)
        self._seed_copy("/var/lib/rpm/rpmdb.sqlite", self.lab.rpmdb_seed, 0o644)
        self._seed_ca_trust()
        if os.stat("/etc").st_uid != os.geteuid():
            self._mirror_directories()

    def _seed_ca_trust(self):
        """The trust store of a fresh EL9 host: the base bundle, empty anchors, and the
        extracted bundles exactly as bin/update-ca-trust writes them from those sources."""
        for directory in CA_TRUST_DIRS:
            self.seed_dir(directory)
        with open(os.path.join(LAB_DIR, "files", "ca-bundle.trust.p11-kit"), "rb") as f:
            base = f.read()
        self.seed(CA_TRUST_BASE_BUNDLE, base, 0o644)
        extracted = lab_script("update-ca-trust").bundles({CA_TRUST_BASE_BUNDLE: base})
        for relative, data in sorted(extracted.items()):
            self.seed(os.path.join(CA_TRUST_EXTRACTED, relative), data,
                      lab_script("update-ca-trust").MODE)
        for link, target in sorted(CA_TRUST_LINKS.items()):
            self.seed_symlink(link, target)

    def _mirror_directories(self):
        """In a user namespace (tests/lab/unprivileged) the host's directories belong to an
        unmapped user, so a client could not create files in, say, /var/log. An overlay directory
        takes its owner from the upper layer, so creating the upper copies (owned by the mapped
        user, with the host's modes) makes them writable in the sandbox. Not listed by
        written_files(), which reports files only."""
        for mount, depth in MIRRORED_DEPTH.items():
            for directory, dirnames, _files in os.walk(mount):
                level = 0 if directory == mount else directory[len(mount):].count("/")
                if depth is not None and level >= depth:
                    dirnames[:] = []
                for name in dirnames:
                    if not os.path.islink(os.path.join(directory, name)):
                        self._make_upper_dirs(mount, os.path.join(directory, name))

    def _seed_copy(self, path, source, mode):
        if not os.path.isfile(source):
            raise LabError("sandbox seed %s is missing (needed for %s)" % (source, path))
        with open(source, "rb") as f:
            self.seed(path, f.read(), mode)

    def _mount_of(self, path):
        for mount in OVERLAID:
            if path == mount or path.startswith(mount + "/"):
                return mount
        return None

    def _layers(self, path):
        """(upper host path, lower host path or None if the upper layer hides it)."""
        mount = self._mount_of(path)
        rel = os.path.relpath(path, mount)
        upper = self._layer_dir(mount, "upper")
        lower_visible = True
        current = upper
        for part in ([] if rel == "." else rel.split("/")):
            current = os.path.join(current, part)
            if _is_whiteout(current):
                return current, None
            if os.path.lexists(current) and (not os.path.isdir(current)
                                             or os.path.islink(current) or _is_opaque(current)):
                lower_visible = False
        lower = path if lower_visible else None
        return (upper if rel == "." else os.path.join(upper, rel)), lower

    def _backing(self, path):
        """Host path that holds what the sandbox sees at `path` (no symlink following)."""
        if path == PRIVATE_TMPFS or path.startswith(PRIVATE_TMPFS + "/"):
            raise LabError("%s is a per-run tmpfs in the sandbox" % path)
        if self._mount_of(path) is None:
            return path if os.path.lexists(path) else None
        upper, lower = self._layers(path)
        if _is_whiteout(upper):
            return None
        if os.path.lexists(upper):
            return upper
        if lower is not None and os.path.lexists(lower):
            return lower
        return None

    def host_path(self, path, follow_symlinks=True):
        """Host path backing the sandbox's `path`, resolving symlinks in the sandbox's view."""
        parts = [p for p in path.split("/") if p not in ("", ".")]
        resolved = "/"
        hops = 0
        while parts:
            part = parts.pop(0)
            if part == "..":
                resolved = os.path.dirname(resolved)
                continue
            candidate = os.path.join(resolved, part)
            backing = self._backing(candidate)
            if backing is None:
                raise FileNotFoundError("%s (sandbox %s)" % (path, self.name))
            if os.path.islink(backing) and (parts or follow_symlinks):
                hops += 1
                if hops > 40:
                    raise LabError("too many symlinks resolving %s" % path)
                target = os.readlink(backing)
                base = target if target.startswith("/") else os.path.join(resolved, target)
                parts = [p for p in base.split("/") if p not in ("", ".")] + parts
                resolved = "/"
                continue
            resolved = candidate
        backing = self._backing(resolved)
        if backing is None:
            raise FileNotFoundError("%s (sandbox %s)" % (path, self.name))
        return backing

    # -- reading --------------------------------------------------------------------------------

    def exists(self, path):
        try:
            self.host_path(path)
            return True
        except FileNotFoundError:
            return False

    def read(self, path):
        """Bytes of a file as the sandbox sees it (upper dir first, then the host)."""
        with open(self.host_path(path), "rb") as f:
            return f.read()

    def read_text(self, path):
        return self.read(path).decode("utf-8")

    def listdir(self, path):
        """Merged directory listing: the upper dir's entries over the host's, minus whiteouts."""
        path = os.path.normpath(path)
        backing = self.host_path(path)  # raises FileNotFoundError for a deleted directory
        if self._mount_of(path) is None:
            return sorted(os.listdir(backing))
        upper, lower = self._layers(path)
        names = set()
        if lower is not None and os.path.isdir(lower) and not os.path.islink(lower):
            names.update(os.listdir(lower))
        if os.path.isdir(upper):
            for name in os.listdir(upper):
                if _is_whiteout(os.path.join(upper, name)):
                    names.discard(name)
                else:
                    names.add(name)
        return sorted(names)

    def snapshot(self, paths):
        """{sandbox path: (sha256, mtime_ns)} for files, recursing into directories.

        Symlinks are recorded by target ("link:<target>") and not followed; other special files
        as "special". Compare two snapshots to assert a tree is byte-identical.
        """
        result = {}
        for path in ([paths] if isinstance(paths, str) else paths):
            self._snapshot_into(os.path.normpath(path), result)
        return result

    def _snapshot_into(self, path, result):
        backing = self.host_path(path, follow_symlinks=False)
        st = os.lstat(backing)
        if stat.S_ISLNK(st.st_mode):
            result[path] = ("link:" + os.readlink(backing), st.st_mtime_ns)
        elif stat.S_ISDIR(st.st_mode):
            for name in self.listdir(path):
                self._snapshot_into(os.path.join(path, name), result)
        elif stat.S_ISREG(st.st_mode):
            result[path] = (_sha256_file(backing), st.st_mtime_ns)
        else:
            result[path] = ("special", st.st_mtime_ns)

    # -- writing and the record of seeds --------------------------------------------------------

    def _load_seeds(self):
        with open(self._seeds_file) as f:
            return json.load(f)

    def _save_seeds(self, seeds):
        with open(self._seeds_file, "w") as f:
            json.dump(seeds, f, indent=1, sort_keys=True)

    def seed(self, path, data, mode=0o644):
        """Pre-create a file in the sandbox (call between runs, not while one is running)."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        _, target = self._seed_path(path)
        with open(target, "wb") as f:
            f.write(data)
        os.chmod(target, mode)
        seeds = self._load_seeds()
        seeds[path] = hashlib.sha256(data).hexdigest()
        self._save_seeds(seeds)

    def _seed_path(self, path):
        """(mount, upper host path) for seeding `path`, its parents made in the upper dir."""
        mount = self._mount_of(path)
        if mount is None or path == mount:
            raise LabError("can only seed files under %s, not %s" % (", ".join(OVERLAID), path))
        upper, _ = self._layers(os.path.dirname(path))
        self._make_upper_dirs(mount, os.path.dirname(path))
        target = os.path.join(upper, os.path.basename(path))
        if os.path.lexists(target) and not stat.S_ISDIR(os.lstat(target).st_mode):
            os.unlink(target)  # also drops a whiteout left by an earlier deletion
        return mount, target

    def seed_symlink(self, path, target):
        """Pre-create a symlink in the sandbox (not listed by written_files() while unchanged)."""
        _, host = self._seed_path(path)
        os.symlink(target, host)
        seeds = self._load_seeds()
        seeds[path] = "link:" + target
        self._save_seeds(seeds)

    def seed_dir(self, path, mode=0o755):
        """Pre-create a directory (and its parents) in the sandbox."""
        mount, _ = self._seed_path(path)
        self._make_upper_dirs(mount, path)
        upper, _ = self._layers(path)
        os.chmod(upper, mode)

    def _make_upper_dirs(self, mount, directory):
        """Create parents in the upper dir with the host directory's mode, as copy-up does."""
        rel = os.path.relpath(directory, mount)
        current_upper = self._layer_dir(mount, "upper")
        current_lower = mount
        for part in ([] if rel == "." else rel.split("/")):
            current_upper = os.path.join(current_upper, part)
            current_lower = os.path.join(current_lower, part)
            if _is_whiteout(current_upper):
                os.unlink(current_upper)
            if not os.path.isdir(current_upper):
                os.mkdir(current_upper)
                if os.path.isdir(current_lower):
                    os.chmod(current_upper, stat.S_IMODE(os.stat(current_lower).st_mode))

    def written_files(self):
        """{sandbox path: "written" | "deleted"} for what the runs changed beyond the seeds.

        "written": a file or symlink in an upper dir that is not an unchanged seed (new, modified
        or copied up). "deleted": a whiteout. Directories themselves are not listed.
        """
        seeds = self._load_seeds()
        changes = {}
        for mount in OVERLAID:
            upper = self._layer_dir(mount, "upper")
            for directory, dirnames, filenames in os.walk(upper):
                for name in filenames + [d for d in dirnames
                                         if os.path.islink(os.path.join(directory, d))]:
                    host = os.path.join(directory, name)
                    path = os.path.join(mount, os.path.relpath(host, upper))
                    mode = os.lstat(host).st_mode
                    if _is_whiteout(host):
                        changes[path] = "deleted"
                    elif stat.S_ISLNK(mode):
                        if seeds.get(path) != "link:" + os.readlink(host):
                            changes[path] = "written"
                    elif not stat.S_ISREG(mode) or seeds.get(path) != _sha256_file(host):
                        changes[path] = "written"
        return dict(sorted(changes.items()))

    def remove(self):
        """Delete the sandbox's directories (overlay work dirs hold mode-000 entries)."""
        def make_writable(function, path, _exc):
            os.chmod(os.path.dirname(path), 0o700)
            os.chmod(path, 0o700)
            function(path)
        if os.path.isdir(self.root):
            shutil.rmtree(self.root, onerror=make_writable)

    # -- running --------------------------------------------------------------------------------

    def _unshare_argv(self):
        argv = ["unshare", "--mount", "--uts", "--propagation", "private"]
        if os.geteuid() != 0:
            # Overlayfs and tmpfs mounts are allowed inside a user namespace (Linux >= 5.11).
            argv[1:1] = ["--user", "--map-root-user"]
        return argv

    def _mounts(self):
        """The sandbox's mounts as an fstab of its own: one `mount -a` makes them all, where a
        mount process for each would slow every sandboxed command."""
        path = os.path.join(self.root, "mounts.fstab")
        if not os.path.exists(path):
            lines = ["lab-sandbox %s overlay lowerdir=%s,upperdir=%s,workdir=%s 0 0" % (
                mount, mount, self._layer_dir(mount, "upper"), self._layer_dir(mount, "work"))
                for mount in OVERLAID]
            lines.append("lab-sandbox %s tmpfs mode=755 0 0" % PRIVATE_TMPFS)
            if any(char.isspace() for char in self.root):  # fstab fields are space-separated
                raise LabError("a sandbox path cannot hold white space (%s)" % self.root)
            with open(path + ".tmp", "w") as f:
                f.write("\n".join(lines) + "\n")
            os.rename(path + ".tmp", path)
        return path

    def _setup_script(self, run_files=None):
        # /run/sshd: Debian's sshd (and `sshd -t`) wants its privilege separation directory,
        # which systemd-tmpfiles makes on a real host (EL's is /usr/share/empty.sshd).
        lines = ["set -e", "mount -a -T %s" % shlex.quote(self._mounts()), "mkdir /run/sshd"]
        if self.fqdn:
            lines.append("hostname %s" % shlex.quote(self.fqdn))
        for path, text in sorted((run_files or {}).items()):
            lines.append("printf %%s %s > %s" % (shlex.quote(text), shlex.quote(path)))
        lines.append('exec "$@"')
        return "\n".join(lines)

    def command(self, argv, run_files=None):
        """The host argv that runs argv inside this sandbox. run_files: {path under /run: text}
        written into the run's own /run before argv starts."""
        for path in run_files or {}:
            if not path.startswith(PRIVATE_TMPFS + "/"):
                raise LabError("run_files go under %s, not %s" % (PRIVATE_TMPFS, path))
        return (self._unshare_argv() + ["/bin/sh", "-c", self._setup_script(run_files),
                                        "sandbox"] + list(argv))

    def environment(self, env=None):
        # A clean environment: nothing from the test runner (pyenv, virtualenvs) leaks in.
        result = {"PATH": SANDBOX_PATH, "HOME": "/root", "USER": "root", "LOGNAME": "root",
                  "SHELL": "/bin/bash", "LANG": "C.UTF-8", "TERM": os.environ.get("TERM", "dumb"),
                  "PYTHONDONTWRITEBYTECODE": "1"}
        result.update(env or {})
        return result

    def run(self, argv, env=None, input=None, timeout=120, cwd="/", text=True, kill_at=None,
            kill_target=None):
        """Run argv inside the sandbox; returns a CompletedProcess (stdout/stderr captured).

        On timeout the whole process group is killed and subprocess.TimeoutExpired is raised.

        kill_at: SIGKILL lbenroll inside one of the commands it runs (bin/lab-kill-at), e.g.
        "subscription-manager register:before", "rpm -U:after", "update-ca-trust:after#2":
        program, words its arguments must contain, ":before" (the command does not run) or
        ":after" (it has finished), "#N" for the N-th matching run. The victim is the nearest
        ancestor running lbenroll (`-m lbenroll`, or a program named lbenroll); kill_target
        "parent" (the command's parent) or a pid chooses another. Processes between lbenroll
        and the command go on; with kill_at, run returns once every process of the run's
        session has exited. The result's `.kill` is what happened ({"spec", "when",
        "occurrence", "program", "args", "pid", "cmdline"}), or None when nothing matched; when
        lbenroll is argv itself, returncode is -9. A bad spec, or no process to kill, raises
        LabError. Without kill_at, `.kill` is None and nothing changes.
        """
        env = dict(env or {})
        state = None
        run_files = {}
        cost = subscription_manager_cost()
        if cost:
            run_files[SUBMAN_COST_FILE] = cost
        if kill_at is not None:
            try:
                lab_script("lab-kill-at").parse(kill_at)
            except lab_script("lab-kill-at").SpecError as error:
                raise LabError(str(error))
            state = tempfile.mkdtemp(prefix="lab-kill-at-", dir="/tmp")  # /tmp is shared
            # A file in the run's /run, not the environment: lbenroll passes none of its
            # environment on to the commands it runs (lbenroll/runner.py).
            settings = {"spec": kill_at, "dir": state}
            if kill_target is not None:
                settings["target"] = str(kill_target)
            run_files[KILL_AT_SETTINGS] = json.dumps(settings)
        try:
            result = self._run(argv, env, input, timeout, cwd, text,
                               wait_session=state is not None, run_files=run_files)
            result.kill = self._kill_record(state)
        finally:
            if state is not None:
                shutil.rmtree(state, ignore_errors=True)
        return result

    @staticmethod
    def _kill_record(state):
        if state is None:
            return None
        try:
            with open(os.path.join(state, "error.json")) as f:
                raise LabError("LAB_KILL_AT: %s" % json.load(f)["error"])
        except FileNotFoundError:
            pass
        try:
            with open(os.path.join(state, "fired.json")) as f:
                return json.load(f)
        except FileNotFoundError:
            return None

    def _run(self, argv, env, input, timeout, cwd, text, wait_session=False, run_files=None):
        """wait_session: also wait until no process of the run's session is left. After a
        LAB_KILL_AT kill the command lbenroll was running goes on (as on a real host, where
        nobody kills rpm when lbenroll dies) and may no longer hold the output pipes."""
        text = text and not isinstance(input, bytes)
        deadline = time.monotonic() + timeout
        proc = subprocess.Popen(
            self.command(argv, run_files), env=self.environment(env), cwd=cwd, text=text,
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            stdout, stderr = proc.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            stdout, stderr = proc.communicate()
            raise subprocess.TimeoutExpired(argv, timeout, stdout, stderr)
        while wait_session and _session_members(proc.pid):
            if time.monotonic() > deadline:
                for pid in _session_members(proc.pid):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                raise subprocess.TimeoutExpired(argv, timeout, stdout, stderr)
            time.sleep(0.01)
        return subprocess.CompletedProcess(list(argv), proc.returncode, stdout, stderr)

    def interactive(self, argv=("/bin/bash", "-l")):
        """Run argv attached to the caller's terminal (for `python3 -m tests.lab.lab shell`)."""
        return subprocess.call(self.command(argv), env=self.environment())
