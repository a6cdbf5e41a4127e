"""The one-command demo, on one host: the load-balancer problem, lbenroll's cure, a drift and its
repair, a diagnosis with a proxy down, and the removal. Every claim is checked against the host
and the proxies' request logs; the demo exits 1 if any check fails.

Run as root from the repository: `make demo` (or `python -m tests.lab.demo`).
"""
import configparser
import os
import re
import sys

from tests.lab.lab import ACTIVATION_KEY, BALANCED_PROXIES, BALANCER, ORG, Lab

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOST = "client01.example.test"
LBENROLL = [sys.executable, "-m", "lbenroll"]
# The documented command (README "Usage"): the same for the cure and for the repair.
COMMAND = ["--server", BALANCER, "--puppet-ca-port", "8141"]
RPM_URL = "http://%s/pub/katello-ca-consumer-latest.noarch.rpm" % BALANCER
RHSM_CONF = "/etc/rhsm/rhsm.conf"
REDHAT_REPO = "/etc/yum.repos.d/redhat.repo"
PUPPET_CONF = "/etc/puppetlabs/puppet/puppet.conf"
RECORD = "/etc/lbenroll/lbenroll.conf"
# dnf as on the host, with Debian's dnf standing in for RHEL's: its own cache root per run.
DNF = ["dnf", "--setopt=reposdir=/etc/yum.repos.d", "--releasever", "9"]
# Lines of `dnf repolist -v` that say which repository was read from where.
REPOLIST_KEYS = ("Repo-id", "Repo-baseurl")
# What the dry run shows of its diffs: the lines that move to the balancer.
MOVED = ("-hostname", "+hostname", "-baseurl", "+baseurl")


def would_change(line):
    """The lines of a dry run's report that say what would change and where to."""
    return (line.startswith(("lbenroll:", "result:", "  changed ")) or
            line.strip().startswith(MOVED))


def changed(line):
    """The lines of a report that say what changed."""
    return line.startswith(("lbenroll:", "result:", "  changed "))


class DiagnoseSummary(object):
    """Keeps the lines of diagnose's text report outside its per-check sections (whose
    failures its Problems section repeats with their fixes)."""

    DETAIL_SECTIONS = ("Through the balancer", "This host")

    def __init__(self):
        self.in_detail = False

    def __call__(self, line):
        if not line.startswith(" "):  # a section's title, or a line of the report's own
            self.in_detail = line.startswith(self.DETAIL_SECTIONS)
        return not self.in_detail


class Demo(object):
    """The story's chapters on one sandboxed host, each ending in checks."""

    def __init__(self, lab):
        self.lab = lab
        self.box = lab.sandbox("demo", HOST)
        self.failed = []
        self.checks = 0
        self.dnf_runs = 0

    # -- saying and checking ------------------------------------------------------------------

    @staticmethod
    def say(text=""):
        print(text, flush=True)

    def chapter(self, text):
        self.say()
        self.say("== %s " % text + "=" * max(0, 74 - len(text)))

    def check(self, ok, claim, evidence=""):
        """One expected thing, with what shows it; a failed one makes the demo exit 1."""
        self.checks += 1
        self.say("   %s %s%s" % ("ok:" if ok else "FAILED:", claim,
                                 " (%s)" % evidence if evidence else ""))
        if not ok:
            self.failed.append(claim)
        return ok

    def run(self, argv, shown=None, keep=None, left_out=None):
        """Run argv on the host; print it and its output, the lines keep() accepts."""
        proc = self.box.run(argv, env={"PYTHONPATH": REPO}, timeout=300)
        is_lbenroll = argv[:3] == LBENROLL
        self.say("$ " + " ".join(shown or (["lbenroll"] + argv[3:] if is_lbenroll else argv)))
        if left_out:
            self.say("    (%s)" % left_out)
        # lbenroll's notes and warnings come before its report.
        output = proc.stderr + proc.stdout if is_lbenroll else proc.stdout + proc.stderr
        for line in output.splitlines():
            if line.strip() and (keep is None or keep(line)):
                self.say("    " + line)
        return proc

    def lbenroll(self, *args, **kwargs):
        return self.run(LBENROLL + list(args), **kwargs)

    # -- reading the host and the proxies -----------------------------------------------------

    def conf(self, path):
        parser = configparser.RawConfigParser()
        if self.box.exists(path):
            parser.read_string(self.box.read_text(path))
        return parser

    def hostname(self):
        conf = self.conf(RHSM_CONF)
        return conf.get("server", "hostname") if conf.has_option("server", "hostname") else None

    def baseurls(self):
        conf = self.conf(REDHAT_REPO)
        return {s: conf.get(s, "baseurl") for s in conf.sections() if conf.has_option(s, "baseurl")}

    def identity(self):
        proc = self.box.run(["subscription-manager", "identity"])
        lines = [line for line in proc.stdout.splitlines() if "system identity:" in line]
        return lines[0].split(":", 1)[1].strip() if proc.returncode == 0 and lines else None

    def consumer_packages(self):
        return self.box.run(["rpm", "-qa", "katello-ca-consumer-*"]).stdout.split()

    def dnf(self):
        """dnf makecache, then `dnf repolist -v` from that cache; the proxies' answers to it."""
        self.dnf_runs += 1
        root = "/var/tmp/dnf-%d" % self.dnf_runs
        since = len(self.lab.requests())
        cache = self.run(DNF + ["-y", "--installroot", root, "makecache"],
                         shown=["dnf", "makecache"])
        self.run(DNF + ["-C", "-v", "--installroot", root, "repolist"],
                 shown=["dnf", "-v", "repolist"], left_out="the lines naming the repositories",
                 keep=lambda line: line.startswith(REPOLIST_KEYS))
        served = [entry for entry in self.lab.requests()[since:]
                  if entry["path"].endswith("/repodata/repomd.xml")]
        for entry in served:
            self.say("    proxy log: %s answered GET %s (Host: %s, status %s)" % (
                entry["proxy"], entry["path"], entry["host"], entry["status"]))
        return cache, served

    # -- the story ----------------------------------------------------------------------------

    def problem(self):
        self.chapter("1. The problem: a host set up by hand through the balancer")
        self.say("Port 80 of %s is round-robin; the consumer RPM comes from whichever" % BALANCER)
        self.say("proxy answers, and its %post writes that proxy's name into rhsm.conf.")
        self.run(["curl", "-sSfo", "/var/tmp/consumer.rpm", RPM_URL])
        self.run(["rpm", "-Uvh", "/var/tmp/consumer.rpm"],
                 keep=lambda line: "use Alien" not in line and "know what you are" not in line)
        packages = self.consumer_packages()
        proxy = packages[0][len("katello-ca-consumer-"):].rsplit("-", 2)[0] if packages else ""
        self.check(proxy.split(".")[0] in BALANCED_PROXIES,
                   "the package is one proxy's", ", ".join(packages))
        self.check(self.hostname() == proxy, "rhsm.conf names that proxy, not the balancer",
                   "[server] hostname = %s" % self.hostname())
        register = self.run(["subscription-manager", "register", "--org", ORG,
                             "--activationkey", ACTIVATION_KEY])
        self.check(register.returncode == 0, "registered", "exit %d" % register.returncode)
        urls = self.baseurls()
        self.check(bool(urls) and all("//%s/" % proxy in url for url in urls.values()),
                   "redhat.repo names that proxy too", "; ".join(urls.values()))
        cache, served = self.dnf()
        self.check(cache.returncode == 0 and served and all(
            e["host"] == proxy for e in served),
            "dnf reads its repositories from %s directly, bypassing the balancer" % proxy)
        self.say("When %s is rebuilt or down, this host loses its content." % proxy)
        return proxy

    def cure(self, proxy):
        self.chapter("2. The cure: the documented command, on this same host")
        uuid = self.identity()
        dry = self.lbenroll(*COMMAND + ["--dry-run"], keep=would_change,
                            left_out="its report cut to the steps that would change and the "
                                     "diff lines that move to the balancer")
        self.check(dry.returncode == 0 and "-hostname = %s" % proxy in dry.stdout
                   and "+hostname = %s" % BALANCER in dry.stdout,
                   "--dry-run shows rhsm.conf moving from %s to the balancer" % proxy,
                   "exit %d" % dry.returncode)
        fixed = self.lbenroll(*COMMAND)
        self.check(fixed.returncode == 0, "enrolled", "exit %d" % fixed.returncode)
        self.check(self.hostname() == BALANCER, "rhsm.conf names the balancer",
                   "[server] hostname = %s" % self.hostname())
        urls = self.baseurls()
        self.check(bool(urls) and all(u.startswith("https://%s/" % BALANCER)
                                      for u in urls.values()),
                   "redhat.repo names the balancer", "; ".join(urls.values()))
        agent = self.conf(PUPPET_CONF)
        settings = {key: agent.get("agent", key) for key in ("server", "ca_server", "ca_port")
                    if agent.has_option("agent", key)}
        self.check(settings == {"server": BALANCER, "ca_server": BALANCER, "ca_port": "8141"},
                   "puppet.conf asks the balancer, and its port 8141 for the Puppet CA",
                   ", ".join("%s = %s" % item for item in sorted(settings.items())))
        self.check(uuid is not None and self.identity() == uuid,
                   "the host kept its identity: adopted, not registered again",
                   "consumer %s" % uuid)
        cache, served = self.dnf()
        self.check(cache.returncode == 0 and served and all(
            e["host"] == BALANCER for e in served),
            "dnf reads its repositories through the balancer")

    def drift(self, proxy):
        other = sorted(set("%s.example.test" % p for p in BALANCED_PROXIES) - {proxy})[0]
        self.chapter("3. A drift, and the same command repairing it")
        self.run(["subscription-manager", "config", "--server.hostname=%s" % other])
        self.check(self.hostname() == other, "rhsm.conf drifted to %s" % other)
        repaired = self.lbenroll(*COMMAND, keep=changed,
                                 left_out="its report cut to the steps that changed something")
        self.check(repaired.returncode == 0 and re.search(
            r"^  changed +RHSM_CONF ", repaired.stdout, re.M) is not None,
            "the same command repaired rhsm.conf", "exit %d" % repaired.returncode)
        self.check(self.hostname() == BALANCER, "rhsm.conf names the balancer again",
                   "[server] hostname = %s" % self.hostname())

    def diagnose(self):
        down = BALANCED_PROXIES[-1]
        self.chapter("4. Diagnose, with %s stopped" % down)
        self.lab.stop_proxy(down)
        try:
            names = ",".join("%s.example.test" % p for p in BALANCED_PROXIES)
            proc = self.lbenroll("diagnose", "--server", BALANCER, "--proxies", names,
                                 "--timeout", "2", keep=DiagnoseSummary(),
                                 left_out="its summary: the table of the proxies and the problems")
        finally:
            self.lab.start_proxy(down)
        self.say("This lab runs no Puppet CA (make demo leaves puppetserver out), so diagnose")
        self.say("also finds Puppet missing on proxy01:8140 and behind the balancer's 8141.")
        named = re.search(r"^ +FAIL +PROXY_REACHABLE +%s\.example\.test$" % down, proc.stdout,
                          re.M)
        self.check(proc.returncode == 1 and named is not None,
                   "diagnose fails and names %s as down" % down, "exit %d" % proc.returncode)

    def removal(self):
        self.chapter("5. --remove puts the host back")
        proc = self.lbenroll("--remove", "--skip", "foreman")
        self.check(proc.returncode == 0, "removed", "exit %d" % proc.returncode)
        self.check(self.identity() is None, "the host is no longer registered")
        self.check(self.consumer_packages() == [], "no consumer package is installed")
        self.check(not self.box.exists(RECORD), "lbenroll's record is gone", RECORD)
        self.check(BALANCER not in self.box.read_text(RHSM_CONF),
                   "rhsm.conf no longer names the balancer",
                   "[server] hostname = %s" % self.hostname())


def main():
    if os.geteuid() != 0:
        raise SystemExit("the demo needs root (mount namespaces, ports 80/443): run it as root, "
                         "or as a user through tests/lab/unprivileged")
    print("Starting the lab: real HAProxy as %s in front of %s (stand-ins with real" % (
        BALANCER, ", ".join(BALANCED_PROXIES)), flush=True)
    print("consumer RPMs, a Candlepin subset and yum repositories), all on 127.0.0.0/8 ...",
          flush=True)
    # Without puppetserver (and its JRE): the demo shows no Puppet CA signing.
    with Lab(puppetserver=False) as lab:
        demo = Demo(lab)
        try:
            proxy = demo.problem()
            demo.cure(proxy)
            demo.drift(proxy)
            demo.diagnose()
            demo.removal()
        finally:
            demo.box.remove()
    print()
    if demo.failed:
        print("Demo FAILED: %d of %d checks: %s" % (len(demo.failed), demo.checks,
                                                    "; ".join(demo.failed)))
        return 1
    print("Done: all %d checks passed; the lab is stopped and removed." % demo.checks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
