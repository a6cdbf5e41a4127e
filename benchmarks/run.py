"""The benchmark run: every figure of issue 7, measured several times, against its target."""
import collections
import compileall
import datetime
import json
import operator
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time

import lbenroll
from tests.lab.foreman import LOGIN as FOREMAN_LOGIN
from tests.lab.foreman import PASSWORD as FOREMAN_PASSWORD
from tests.lab.lab import ACTIVATION_KEY, BALANCER, LAB_DIR, ORG, Lab

# Run as root from the repository: `make bench` (or `python -m benchmarks.run`). Not a test: the
# figures depend on the machine, so they are printed against their targets, never asserted.

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FQDN = "client01.example.test"
# A fresh enrollment as in the demo, and what the repair timer runs on an enrolled host
# (packaging/systemd/lbenroll-repair.service): the options the enrollment recorded, re-applied.
ENROLL = ["--server", BALANCER, "--puppet-ca-port", "8141", "-o", ORG, "-a", ACTIVATION_KEY,
          "--skip", "foreman", "--fqdn", FQDN]
REPAIR = ["repair"]
# The documented command on an enrolled host: the record supplies the rest (README "Host states").
BARE = ["--server", BALANCER, "--puppet-ca-port", "8141"]

STARTUP_ROUNDS = 25
FILE_ROUNDS = 5
REPAIR_ROUNDS = 10
FRESH_ROUNDS = 5
DIAGNOSE_ROUNDS = 5
# The checks the diagnose figure must include (issue 13's, with the proxies' reachability).
DIAGNOSE_CHECKS = ("PROXY_REACHABLE", "PROXY_TLS", "PROXY_REGISTRATION", "PROXY_METADATA",
                   "BALANCER_MQTT")
AUDIT_HOSTS = 10
AUDIT_REPO_SECTIONS = 500
REPO_SECTIONS = (1000, 10000, 20000)
RHSM_COMMENT_BLOCK = 250  # comment lines before every key and section of the stock rhsm.conf
# The proxy that served the consumer RPM: every repository URL names it, so every section moves.
SERVING_PROXY = "proxy02.example.test"

Target = collections.namedtuple("Target", "statistic op limit")
OPS = {"<": operator.lt, "<=": operator.le, "=": operator.eq}
FORMATS = {"s": "%.3f s", "ms": "%.1f ms", "MiB": "%.1f MiB", "%": "%.1f %%", "x": "%.2fx",
           "": "%g"}


class Figure(object):
    """One measured figure: its samples and, unless it is only informative, its target."""

    def __init__(self, name, unit, samples, target=None):
        self.name = name
        self.unit = unit
        self.samples = list(samples)
        self.target = target

    def stat(self, statistic):
        return {"median": statistics.median, "min": min, "max": max}[statistic](self.samples)

    def show(self, value):
        return FORMATS[self.unit] % value

    @property
    def met(self):
        if self.target is None:
            return None
        statistic, op, limit = self.target
        return OPS[op](self.stat(statistic), limit)

    def target_text(self):
        if self.target is None:
            return "(no target)"
        statistic, op, limit = self.target
        unit = {"": "", "x": "x", "%": " %"}.get(self.unit, " " + self.unit)
        return "%s %s %g%s" % (statistic, op, limit, unit)

    def row(self):
        verdict = {None: "-", True: "met", False: "NOT MET"}[self.met]
        return [self.name] + [self.show(self.stat(s)) for s in ("median", "min", "max")] + [
            self.target_text(), verdict]


def progress(text):
    print(text, file=sys.stderr, flush=True)


def compile_bytecode():
    """Byte-compile lbenroll as an installed package is (RPM and pip compile at install time).

    Without it every sandboxed run would compile lbenroll from source: the sandboxes set
    PYTHONDONTWRITEBYTECODE.
    """
    for package in (os.path.dirname(lbenroll.__file__), os.path.join(REPO, "benchmarks")):
        if not compileall.compile_dir(package, quiet=1):
            raise SystemExit("could not byte-compile %s" % package)


def installed_python(directory):
    """An interpreter that finds lbenroll and its libraries as on a host that installed them.

    The development venv has lbenroll as an editable install, whose .pth file imports an import
    hook (importlib.util, pathlib, ...) at every interpreter start: ~12 ms and ~1 MiB that no
    installed lbenroll pays. This venv has no packages and no .pth files of its own but one
    line naming the development venv's site-packages (a .pth line only adds a directory to
    sys.path; the .pth files in it do not run); PYTHONPATH (REPO) puts lbenroll first, as the
    RPM puts both in site-packages.
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", directory], check=True)
    python = os.path.join(directory, "bin", "python")
    site_packages = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout.strip()
    with open(os.path.join(site_packages, "lbenroll-bench.pth"), "w") as f:
        f.write(sysconfig.get_paths()["purelib"] + "\n")
    return python


# Set by main(): installed_python().
PYTHON = None


# -- start-up -------------------------------------------------------------------------------------

def lbenroll_command():
    return [PYTHON, "-m", "lbenroll"]


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv):
    """(wall seconds, CPU seconds) of one run of argv."""
    cpu, start = children_cpu(), time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start, children_cpu() - cpu


def startup_figures():
    commands = collections.OrderedDict([
        ("bare", [PYTHON, "-c", "pass"]),
        ("--help", lbenroll_command() + ["--help"]),
        ("--version", lbenroll_command() + ["--version"])])
    progress("start-up: %d rounds of %s" % (STARTUP_ROUNDS, ", ".join(
        " ".join(argv) for argv in commands.values())))
    wall, cpu = ({name: [] for name in commands} for _ in range(2))
    names = list(commands)
    for n in range(STARTUP_ROUNDS):
        # Alternate within each round, rotating who goes first, so load on this shared machine
        # hits all three alike.
        for name in names[n % 3:] + names[:n % 3]:
            seconds, cpu_seconds = timed(commands[name])
            wall[name].append(seconds)
            cpu[name].append(cpu_seconds)
    figures = [Figure("start-up: python -c pass (same interpreter)", "ms",
                      [1000 * t for t in wall["bare"]])]
    for option in ("--help", "--version"):
        figures += [
            Figure("start-up: lbenroll %s over python -c pass" % option, "ms",
                   [1000 * (t - b) for t, b in zip(wall[option], wall["bare"])],
                   Target("median", "<=", 80)),
            Figure("start-up: lbenroll %s / python -c pass" % option, "x",
                   [t / b for t, b in zip(wall[option], wall["bare"])]),
            # CPU time leaves out waiting for a CPU, the part of wall time that load adds most.
            Figure("start-up: lbenroll %s CPU over python -c pass" % option, "ms",
                   [1000 * (t - b) for t, b in zip(cpu[option], cpu["bare"])]),
        ]
    return figures


# -- large files ----------------------------------------------------------------------------------

def repo_text(sections):
    """redhat.repo as subscription-manager writes it for Katello, every URL on the serving proxy."""
    parts = ["#\n# Certificate-Based Repositories\n# Managed by (rhsm) subscription-manager\n#\n"]
    for n in range(sections):
        content = "https://%s/pulp/content/ACME/Library/custom/Product_%d/repo_%d" % (
            SERVING_PROXY, n // 10, n)
        # Custom products carry their GPG key on the proxy; Red Hat products a local file.
        gpgkey = ("https://%s/katello/api/v2/repositories/%d/gpg_key_content" % (SERVING_PROXY, n)
                  if n % 2 else "file:///etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release")
        parts.append(
            "\n[ACME_Product_%d_repo_%d]\nname = repo %d\nbaseurl = %s\nenabled = 1\n"
            "gpgcheck = 1\ngpgkey = %s\nsslverify = 1\n"
            "sslcacert = /etc/rhsm/ca/katello-server-ca.pem\n"
            "sslclientkey = /etc/pki/entitlement/4466809516451402470-key.pem\n"
            "sslclientcert = /etc/pki/entitlement/4466809516451402470.pem\n"
            "sslverifystatus = 1\nmetadata_expire = 1\nenabled_metadata = 1\n"
            % (n // 10, n, n, content, gpgkey))
    return "".join(parts)


def rhsm_conf_text():
    """The lab's stock rhsm.conf with a long comment block before every key and section."""
    with open(os.path.join(LAB_DIR, "files", "rhsm.conf")) as f:
        lines = f.read().splitlines(True)
    block = "".join("# %04d: an administrator's notes, kept verbatim by every edit of this file\n"
                    % n for n in range(RHSM_COMMENT_BLOCK))
    out = []
    for line in lines:
        if line.strip() and not line.lstrip().startswith("#"):
            out.append(block)
        out.append(line)
    return "".join(out)


def rewrite(kind, source, workdir):
    """Run benchmarks.rewrite once in a fresh process and root; its measurements."""
    root = tempfile.mkdtemp(prefix="root-", dir=workdir)
    out = os.path.join(workdir, "rewrite.json")
    try:
        subprocess.run([PYTHON, "-m", "benchmarks.rewrite", kind, source, root, out,
                        BALANCER], cwd=REPO, check=True)
        with open(out) as f:
            return json.load(f)
    finally:
        shutil.rmtree(root)


def file_figures(workdir):
    sources = {}
    for sections in REPO_SECTIONS:
        sources[sections] = os.path.join(workdir, "redhat-%d.repo" % sections)
        with open(sources[sections], "w") as f:
            f.write(repo_text(sections))
    rhsm_source = os.path.join(workdir, "rhsm.conf")
    rhsm = rhsm_conf_text()
    with open(rhsm_source, "w") as f:
        f.write(rhsm)
    comments = sum(1 for line in rhsm.splitlines() if line.startswith("#"))
    progress("large files: %d rounds of redhat.repo with %s sections and rhsm.conf with %d "
             "comment lines" % (FILE_ROUNDS, ", ".join(str(s) for s in REPO_SECTIONS), comments))
    runs = {key: [] for key in REPO_SECTIONS + ("rhsm",)}
    for _ in range(FILE_ROUNDS):
        # One of each size per round: the 20,000/10,000 ratio compares runs made side by side.
        for sections in REPO_SECTIONS:
            runs[sections].append(rewrite("redhat.repo", sources[sections], workdir))
        runs["rhsm"].append(rewrite("rhsm.conf", rhsm_source, workdir))

    def total(key):
        return [run["plan"] + run["apply"] for run in runs[key]]

    def mib(key, field):
        return [run[field] / 1024 for run in runs[key]]

    figures = []
    for sections in REPO_SECTIONS:
        target = Target("median", "<", 0.5) if sections == 10000 else None
        figures.append(Figure("redhat.repo, {:,} sections: plan + apply".format(sections), "s",
                              total(sections), target))
    figures.append(Figure("redhat.repo: 20,000 / 10,000 sections, same round", "x",
                          [a / b for a, b in zip(total(20000), total(10000))],
                          Target("median", "<=", 2.2)))
    for sections in (10000, 20000):
        figures.append(Figure("redhat.repo, {:,} sections: its diff (--json, -v, --dry-run)"
                              .format(sections), "s", [run["diff"] for run in runs[sections]]))
    figures += [
        Figure("rhsm.conf, {:,} comment lines: plan + apply".format(comments), "s",
               total("rhsm")),
        Figure("peak RSS: 20,000-section redhat.repo rewrite", "MiB",
               mib(20000, "applied_rss_kib"), Target("max", "<", 60)),
        # The diff is built in one pass over the changed lines into one buffer, never as two
        # full line lists (writers/base.py): the diff text is the only large new thing.
        Figure("peak RSS: the same with its diff (--json, -v, --dry-run)", "MiB",
               mib(20000, "diff_rss_kib"), Target("max", "<", 80)),
        Figure("peak RSS: the lbenroll process before the rewrite", "MiB",
               mib(20000, "loaded_rss_kib")),
    ]
    return figures


# -- runs in the lab ------------------------------------------------------------------------------

def measured_run(lab, box, args, exit_codes=(0,), env=None):
    """lbenroll ARGS in the sandbox through benchmarks.selfusage: (wall seconds, its usage)."""
    out = os.path.join(lab.workdir, "selfusage.json")
    argv = [PYTHON, "-m", "benchmarks.selfusage", out] + list(args)
    start = time.perf_counter()
    proc = box.run(argv, env=dict(env or {}, PYTHONPATH=REPO), timeout=300)
    wall = time.perf_counter() - start
    if proc.returncode not in exit_codes:
        raise SystemExit("lbenroll %s failed (exit %d):\n%s%s" % (
            " ".join(args), proc.returncode, proc.stdout, proc.stderr))
    with open(out) as f:
        return wall, json.load(f)


def own_cpu(usage):
    return usage["user"] + usage["system"]


def registrations(entries):
    return [e for e in entries if e["method"] == "POST" and e["path"].startswith("/rhsm/consumers")]


def changed_paths(before, after):
    return [path for path in set(before) | set(after) if before.get(path) != after.get(path)]


def repair_figures(lab):
    progress("repair run: %d rounds on an enrolled lab host, each next to an empty sandbox run"
             % REPAIR_ROUNDS)
    box = lab.sandbox("bench-repair", FQDN)
    measured_run(lab, box, ENROLL)
    measured_run(lab, box, REPAIR)  # not counted: the first run after enrolling warms the caches
    samples = collections.defaultdict(list)
    for _ in range(REPAIR_ROUNDS):
        start = time.perf_counter()
        box.run(["true"])
        samples["sandbox"].append(time.perf_counter() - start)
        etc_before, log_before = box.snapshot(["/etc"]), lab.requests()
        wall, usage = measured_run(lab, box, REPAIR)
        new = lab.requests()[len(log_before):]
        samples["wall"].append(wall)
        samples["cpu"].append(own_cpu(usage))
        samples["requests"].append(len(new))
        samples["registrations"].append(len(registrations(new)))
        samples["written"].append(len(changed_paths(etc_before, box.snapshot(["/etc"]))))
        etc_before, log_before = box.snapshot(["/etc"]), lab.requests()
        wall, usage = measured_run(lab, box, BARE)
        samples["bare wall"].append(wall)
        samples["bare cpu"].append(own_cpu(usage))
        samples["bare requests"].append(len(lab.requests()[len(log_before):]))
        samples["bare written"].append(len(changed_paths(etc_before, box.snapshot(["/etc"]))))
        # The full command again (-a, no --force), as kickstart files and playbooks re-run it.
        etc_before, log_before = box.snapshot(["/etc"]), lab.requests()
        wall, usage = measured_run(lab, box, ENROLL)
        samples["full wall"].append(wall)
        samples["full cpu"].append(own_cpu(usage))
        samples["full requests"].append(len(lab.requests()[len(log_before):]))
        samples["full written"].append(len(changed_paths(etc_before, box.snapshot(["/etc"]))))
    box.remove()
    repair_median = statistics.median(samples["wall"])
    return [
        Figure("repair run: wall time (lab sandbox)", "s", samples["wall"],
               Target("median", "<=", 0.15)),
        Figure("repair run: lbenroll's own CPU (user+sys)", "s", samples["cpu"]),
        Figure("repair run: empty lab sandbox (`true`), alongside", "s", samples["sandbox"]),
        Figure("repair run: requests reaching the proxies", "", samples["requests"],
               Target("max", "<=", 2)),
        Figure("repair run: files written under /etc", "", samples["written"],
               Target("max", "=", 0)),
        Figure("repair run: registrations", "", samples["registrations"], Target("max", "=", 0)),
        Figure("bare `lbenroll --server` on the enrolled host: wall time", "s",
               samples["bare wall"], Target("median", "<=", repair_median * 1.1)),
        Figure("bare `lbenroll --server`: lbenroll's own CPU (user+sys)", "s",
               samples["bare cpu"]),
        Figure("bare `lbenroll --server`: requests reaching the proxies", "",
               samples["bare requests"], Target("max", "<=", 2)),
        Figure("bare `lbenroll --server`: files written under /etc", "",
               samples["bare written"], Target("max", "=", 0)),
        Figure("full command re-run (-o -a) on the enrolled host: wall time", "s",
               samples["full wall"], Target("median", "<=", repair_median * 1.2)),
        Figure("full command re-run: lbenroll's own CPU (user+sys)", "s", samples["full cpu"]),
        Figure("full command re-run: requests reaching the proxies", "",
               samples["full requests"], Target("max", "<=", 2)),
        Figure("full command re-run: files written under /etc", "",
               samples["full written"], Target("max", "=", 0)),
    ]


# Issue 21: a host set up with every Global Registration parity option. katello.facts and
# rhsm.manage_repos need no option; foreman_scap_client's config.yaml is seeded (its package
# writes it); the SSH CA comes with --rex (the lab's proxies publish one).
EVERY_OPTION = ENROLL + ["--rex", "--rex-pull", "--insights", "--container-registry-certs",
                         "--puppet-package", "openvox-agent"]
OPENSCAP_CONFIG = ("/etc/foreman_scap_client/config.yaml",
                   b"---\n:server: 'proxy02.example.test'\n:port: 8443\n"
                   b":ca_file: '/etc/rhsm/ca/katello-server-ca.pem'\n")
LBENROLL_LOG = "/var/log/lbenroll.log"
PACKAGE_COMMANDS = ("dnf ", "yum ", "rpm -U", "rpm -i", "rpm -e")


def commands_run(box, since):
    """The commands lbenroll ran (its log's "running:" lines) after line `since` of the log."""
    lines = box.read_text(LBENROLL_LOG).splitlines() if box.exists(LBENROLL_LOG) else []
    return len(lines), [line.split("running: ", 1)[1] for line in lines[since:]
                        if " INFO running: " in line]


def every_option_figures(lab):
    progress("repair of a host set up with every option of issue 21: %d rounds, each next to a "
             "plain repair" % REPAIR_ROUNDS)
    box = lab.sandbox("bench-every-option", FQDN)
    box.seed(OPENSCAP_CONFIG[0], OPENSCAP_CONFIG[1], 0o640)
    measured_run(lab, box, EVERY_OPTION)
    measured_run(lab, box, REPAIR)  # not counted: the first run after enrolling warms the caches
    # A plain enrolled host repaired in the same rounds: what the options add, whatever the
    # shared machine's speed at the time.
    plain = lab.sandbox("bench-every-option-plain", FQDN)
    measured_run(lab, plain, ENROLL)
    measured_run(lab, plain, REPAIR)
    samples = collections.defaultdict(list)
    for _ in range(REPAIR_ROUNDS):
        plain_wall, _ = measured_run(lab, plain, REPAIR)
        etc_before = box.snapshot(["/etc"])
        since, _ = commands_run(box, 0)
        wall, usage = measured_run(lab, box, REPAIR)
        _, commands = commands_run(box, since)
        samples["wall"].append(wall)
        samples["over plain"].append(wall - plain_wall)
        samples["cpu"].append(own_cpu(usage))
        samples["written"].append(len(changed_paths(etc_before, box.snapshot(["/etc"]))))
        samples["packages"].append(len([c for c in commands if c.startswith(PACKAGE_COMMANDS)]))
        samples["commands"].append(len(commands))
    box.remove()
    plain.remove()
    return [
        Figure("every-option repair: wall time (lab sandbox)", "s", samples["wall"],
               Target("median", "<=", 0.2)),
        Figure("every-option repair: wall time over a plain repair, same round", "s",
               samples["over plain"]),
        Figure("every-option repair: lbenroll's own CPU (user+sys)", "s", samples["cpu"]),
        Figure("every-option repair: files written under /etc", "", samples["written"],
               Target("max", "=", 0)),
        Figure("every-option repair: package transactions", "", samples["packages"],
               Target("max", "=", 0)),
        Figure("every-option repair: commands run", "", samples["commands"]),
    ]


def fresh_figures(lab):
    progress("fresh enrollment: %d rounds, each on a new lab host" % FRESH_ROUNDS)
    samples = collections.defaultdict(list)
    for n in range(FRESH_ROUNDS):
        box = lab.sandbox("bench-fresh-%d" % n, FQDN)
        registered = len(registrations(lab.requests()))
        wall, usage = measured_run(lab, box, ENROLL)
        if len(registrations(lab.requests())) != registered + 1:
            raise SystemExit("a fresh enrollment did not register exactly once")
        samples["wall"].append(wall)
        samples["cpu"].append(own_cpu(usage))
        samples["share"].append(100 * own_cpu(usage) / usage["wall"])
        samples["rss"].append(usage["peak_rss_kib"] / 1024)
        box.remove()
    return [
        Figure("fresh enrollment: wall time (lab sandbox)", "s", samples["wall"]),
        Figure("fresh enrollment: lbenroll's own CPU (user+sys)", "s", samples["cpu"]),
        Figure("fresh enrollment: own CPU / lbenroll's wall time", "%", samples["share"],
               Target("median", "<=", 10)),
        Figure("peak RSS: fresh enrollment", "MiB", samples["rss"], Target("max", "<", 60)),
    ]


def diagnose_figures(lab):
    """`lbenroll diagnose` with every check (the proxies from the Foreman API with their
    registration URLs, TLS, metadata of each enabled repository, the MQTT brokers of a host
    with yggdrasil) of the balancer's three proxies, one of them stopped."""
    progress("diagnose: %d rounds, three proxies behind the balancer, proxy02 stopped"
             % DIAGNOSE_ROUNDS)
    box = lab.sandbox("bench-diagnose", FQDN)
    box.seed("/etc/yggdrasil/config.toml", 'server = ["mqtts://%s:1883"]\n' % BALANCER)
    measured_run(lab, box, ENROLL)
    argv = ["diagnose", "--server", BALANCER, "--json", "--foreman", BALANCER, "--login",
            FOREMAN_LOGIN]
    env = {"LBENROLL_PASSWORD": FOREMAN_PASSWORD}
    samples = collections.defaultdict(list)
    lab.stop_proxy("proxy02")
    try:
        proc = box.run([PYTHON, "-m", "lbenroll"] + argv, env=dict(env, PYTHONPATH=REPO))
        ran = sorted({r["id"] for r in json.loads(proc.stdout)["results"]
                      if r["status"] != "skip"})
        progress("diagnose ran: %s" % ", ".join(ran))
        missing = [check for check in DIAGNOSE_CHECKS if check not in ran]
        if missing:
            raise SystemExit("diagnose did not run %s:\n%s" % (", ".join(missing), proc.stdout))
        for _ in range(DIAGNOSE_ROUNDS):
            wall, usage = measured_run(lab, box, argv, exit_codes=(1,), env=env)
            samples["wall"].append(wall)
            samples["cpu"].append(own_cpu(usage))
    finally:
        lab.start_proxy("proxy02")
    box.remove()
    return [
        Figure("diagnose, 3 proxies (1 stopped), every check: wall time", "s", samples["wall"],
               Target("median", "<=", 3.0)),
        Figure("diagnose, the same: lbenroll's own CPU (user+sys)", "s", samples["cpu"]),
    ]


def audit_figures(lab):
    """The fleet audit's host check (packaging/ansible/audit.yml runs it on every host) on
    AUDIT_HOSTS lab hosts, half pinned to a proxy, half on the balancer, each with a redhat.repo
    of AUDIT_REPO_SECTIONS sections."""
    progress("fleet audit: `diagnose --host-only` on %d lab hosts" % AUDIT_HOSTS)
    samples = collections.defaultdict(list)
    for n in range(AUDIT_HOSTS):
        box = lab.sandbox("bench-audit-%d" % n, "client%02d.example.test" % (n + 1))
        name = SERVING_PROXY if n % 2 else BALANCER
        box.seed("/etc/rhsm/rhsm.conf", rhsm_conf_text().replace(
            "hostname = subscription.rhsm.redhat.com", "hostname = " + name).replace(
            "baseurl = https://cdn.redhat.com", "baseurl = https://%s/pulp/content/" % name))
        box.seed("/etc/yum.repos.d/redhat.repo",
                 repo_text(AUDIT_REPO_SECTIONS).replace(SERVING_PROXY, name))
        wall, usage = measured_run(lab, box, ["diagnose", "--host-only", "--json", "--server",
                                              BALANCER], exit_codes=(0, 1))
        samples["cpu"].append(own_cpu(usage))
        samples["written"].append(len(box.written_files()))
        box.remove()
    return [
        Figure("fleet audit, %d hosts: lbenroll's own CPU per host" % AUDIT_HOSTS, "s",
               samples["cpu"], Target("max", "<=", 2.0)),
        Figure("fleet audit: files written on the hosts", "", samples["written"],
               Target("max", "=", 0)),
    ]


# -- report ---------------------------------------------------------------------------------------

def machine(load_at_start):
    """Date and machine description, as the README quotes them with the figures."""
    with open("/proc/cpuinfo") as f:
        models = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
    with open("/proc/meminfo") as f:
        memory_kib = int(next(line.split()[1] for line in f if line.startswith("MemTotal:")))
    return [
        ("date", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
        ("machine", "nproc %d, %.1f GiB memory, %s" % (
            len(os.sched_getaffinity(0)), memory_kib / 1024.0 ** 2,
            models[0] if models else platform.machine())),
        ("software", "Linux %s, Python %s, lbenroll %s" % (
            platform.release(), platform.python_version(), lbenroll.__version__)),
        # Others' work on a shared machine slows every wall time; this says how busy it was.
        ("load", "1-minute load average %.2f at the start, %.2f at the end" % (
            load_at_start, os.getloadavg()[0])),
    ]


def table(figures):
    rows = [["figure", "median", "min", "max", "target", "met"]] + [f.row() for f in figures]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [row[i].rjust(widths[i]) for i in (1, 2, 3)]
        cells += [row[4].ljust(widths[4]), row[5]]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def main():
    if os.geteuid() != 0:
        raise SystemExit("the benchmarks need root (the lab: mount namespaces, ports 80 and "
                         "443); run: sudo make bench")
    load_at_start = os.getloadavg()[0]
    compile_bytecode()
    global PYTHON
    # `python -m benchmarks.run repair`: only the lab's repair figures (the repair, the bare and
    # the full command on an enrolled host), for a quick look at one change.
    only_repair = sys.argv[1:] == ["repair"]
    with tempfile.TemporaryDirectory(prefix="lbenroll-bench-") as workdir:
        PYTHON = installed_python(os.path.join(workdir, "python"))
        figures = [] if only_repair else startup_figures() + file_figures(workdir)
        progress("starting the lab (without puppetserver)")
        with Lab(os.path.join(workdir, "lab"), puppetserver=False) as lab:
            figures += repair_figures(lab)
            figures += every_option_figures(lab)
            if not only_repair:
                figures += fresh_figures(lab)
                figures += diagnose_figures(lab)
                figures += audit_figures(lab)
    for name, value in machine(load_at_start):
        print("%-9s %s" % (name + ":", value))
    print()
    print(table(figures))
    targeted = [f for f in figures if f.target is not None]
    missed = [f for f in targeted if not f.met]
    print()
    print("%d of %d targets met" % (len(targeted) - len(missed), len(targeted)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
