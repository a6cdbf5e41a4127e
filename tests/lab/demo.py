"""The one-command demo: the load-balancer problem, then the real lbenroll fixing it, verified.

Run as root from the repository: `make demo` (or `python -m tests.lab.demo`).
"""
import difflib
import os
import subprocess
import sys

from tests.lab.lab import ACTIVATION_KEY, BALANCER, ORG, Lab

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FILES = ("/etc/rhsm/rhsm.conf", "/etc/yum.repos.d/redhat.repo",
         "/etc/puppetlabs/puppet/puppet.conf")
LBENROLL = [sys.executable, "-m", "lbenroll"]
COMMAND = ["--server", BALANCER, "--puppet-ca-port", "8141", "-o", ORG, "-a", ACTIVATION_KEY,
           "--skip", "foreman", "--fqdn", "client02.example.test"]


def say(text=""):
    print(text, flush=True)


def banner(text):
    say()
    say("=" * 78)
    say(text)
    say("=" * 78)


def run(box, argv, show=True):
    proc = box.run(argv, env={"PYTHONPATH": REPO}, timeout=300)
    if show:
        shown = ["lbenroll"] + argv[3:] if argv[:3] == LBENROLL else argv
        say("$ " + " ".join(shown))
        for line in (proc.stdout + proc.stderr).splitlines():
            if "use Alien" not in line and "you know what you are doing" not in line:
                say("  " + line)
    return proc


def read(box, path):
    return box.read_text(path) if box.exists(path) else ""


def server_hostname(text):
    section = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped
        elif section == "[server]" and stripped.split("=")[0].strip() == "hostname":
            return stripped.split("=", 1)[1].strip()
    return None


def show_problem(lab):
    banner("1. The problem: the consumer RPM names whichever proxy answered")
    box = lab.sandbox("demo-plain", "client01.example.test")
    url = "http://%s/pub/katello-ca-consumer-latest.noarch.rpm" % BALANCER
    say("Three downloads of %s:" % url)
    for n in range(3):
        path = "/var/tmp/consumer-%d.rpm" % n
        run(box, ["curl", "-sfo", path, url], show=False)
        name = run(box, ["rpm", "-qp", "--qf", "%{NAME}", path], show=False).stdout.strip()
        say("  download %d: %s" % (n + 1, name))
    run(box, ["rpm", "-Uvh", "/var/tmp/consumer-0.rpm"])
    say("  -> rhsm.conf [server] hostname = %s" % server_hostname(
        read(box, "/etc/rhsm/rhsm.conf")))
    say("Port 80 is round-robin: each download may come from another proxy, and the package")
    say("points the host at that one proxy by name instead of at the balancer %s." % BALANCER)
    box.remove()


def show_fix(lab):
    banner("2. lbenroll on a fresh host: one command")
    box = lab.sandbox("demo-lbenroll", "client02.example.test")
    before = {path: read(box, path) for path in FILES}
    proc = run(box, LBENROLL + COMMAND)
    if proc.returncode != 0:
        raise SystemExit("lbenroll failed with exit %d" % proc.returncode)

    banner("3. What changed, file by file")
    for path in FILES:
        after = read(box, path)
        diff = list(difflib.unified_diff(before[path].splitlines(), after.splitlines(),
                                         "before" + path, "after" + path, lineterm="", n=1))
        say("%s: %s" % (path, "changed" if diff else "unchanged"))
        for line in diff:
            say("    " + line)

    banner("4. Verification with the real readers")
    run(box, ["subscription-manager", "identity"])
    run(box, ["dnf", "-y", "-q", "--setopt=reposdir=/etc/yum.repos.d", "--installroot",
              "/var/tmp/demo-root", "--releasever", "9", "makecache"])
    conf = box.host_path("/etc/puppetlabs/puppet/puppet.conf")
    say("$ puppet config print server ca_server ca_port --section agent")
    out = subprocess.run(["puppet", "config", "print", "server", "ca_server", "ca_port",
                          "--section", "agent", "--config", conf], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, universal_newlines=True)
    say("  " + out.stdout.strip().replace("\n", "\n  "))

    banner("5. Run it again: an enrolled host is a no-op")
    again = run(box, LBENROLL + COMMAND)
    banner("Done: exit %d on the first run, %d on the re-run" % (proc.returncode, again.returncode))
    box.remove()


def main():
    if os.geteuid() != 0:
        raise SystemExit("the demo needs root (mount namespaces, ports 80/443): run it as root, "
                         "or as a user through tests/lab/unprivileged")
    say("Starting the lab: real HAProxy on %s in front of proxy01..03" % BALANCER)
    say("(stand-ins with real consumer RPMs, a Candlepin subset and yum repositories),")
    say("all on 127.0.0.0/8 ...")
    with Lab(puppetserver=False) as lab:
        show_problem(lab)
        show_fix(lab)
    say("Lab stopped and removed.")


if __name__ == "__main__":
    main()
