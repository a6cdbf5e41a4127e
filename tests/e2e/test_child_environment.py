"""What the commands lbenroll runs are given of its environment (issue 18 section 4): no secret,
a fixed PATH, the C locale; so a German host enrolls as an English one does."""
import ast
import json
import os
import re
import sys
import uuid

import pytest

from tests.e2e.test_enroll import ENROLL, REPO
from tests.e2e.test_foreman import FOREMAN
from tests.lab.foreman import PASSWORD
from tests.lab.lab import ensure_locale

GERMAN = {"LANG": "de_DE.UTF-8", "LANGUAGE": "de"}
# Anything else secret a root shell may carry when it starts lbenroll.
OTHER_SECRET = ("FOREMAN_API_TOKEN", "tok-" + uuid.uuid4().hex)
# Root's PATH on EL8-10 (/etc/profile, sudo's secure_path): /usr/local comes first.
ROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PLANTED = ("rpm", "rpm2cpio", "dnf", "subscription-manager", "systemctl", "update-ca-trust",
           "chroot")
TRACE_DIR = "/var/tmp/execve"
# What a command may be given (lbenroll/runner.py), stated here on its own.
CHILD_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
ALLOWED = {"PATH", "HOME", "LC_ALL", "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY",
           "HTTPS_PROXY", "NO_PROXY"}


def lbenroll(box, args, env, prefix=()):
    argv = list(prefix) + [sys.executable, "-m", "lbenroll"] + list(args)
    return box.run(argv, env=dict(env, PYTHONPATH=REPO), timeout=600)


# -- a German host ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def german_locale():
    ensure_locale(GERMAN["LANG"])


def outcome(proc, box):
    """(exit code, [(step id, status, summary)]) with what differs between two hosts of the same
    enrollment (the consumer's UUID, the proxy that answered) put in words."""
    assert "Traceback" not in proc.stderr, proc.stderr
    report = json.loads(proc.stdout)
    results = []
    for result in report["results"]:
        summary = re.sub(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", "<uuid>",
                         result["summary"])
        summary = re.sub(r"proxy0\d\.example\.test", "<proxy>", summary)
        results.append((result["id"], result["status"], summary))
    return proc.returncode, results


def test_a_german_host_enrolls_and_re_runs_as_an_english_one(lab, sandbox, german_locale):
    english, german = sandbox(), sandbox()
    # The stand-in answers as the real subscription-manager does under that locale.
    probe = german.run(["subscription-manager", "identity"], env=GERMAN)
    assert "Dieses System ist noch nicht registriert" in probe.stderr, probe.stderr
    args = ENROLL + ["--json"]
    first = [outcome(lbenroll(box, args, env), box) for box, env in ((english, {}),
                                                                     (german, GERMAN))]
    again = [outcome(lbenroll(box, args, env), box) for box, env in ((english, {}),
                                                                     (german, GERMAN))]
    assert first[0][0] == 0, first[0]
    assert first[1] == first[0]
    # The re-run finds the registration standing from the consumer certificate (no identity
    # round trip on a registered host: issue 19 point 5), in German as in English.
    assert again[0][0] == 0 and (
        "REGISTER", "unchanged", "registered (/etc/pki/consumer/cert.pem present)") in \
        again[0][1], again[0]
    assert again[1] == again[0]


# -- no secret, no PATH of the caller's --------------------------------------------------------

def traced_processes(box):
    """{pid: {"argv", "env", "path", "children"}} from strace's per-process files: every program
    a process exec'd (execve with its argv and environment as the kernel got them, which is what
    /proc/PID/environ shows), and the processes it started."""
    processes = {}
    for name in box.listdir(TRACE_DIR):
        pid = int(name.rsplit(".", 1)[1])
        entry = processes.setdefault(pid, {"execs": [], "children": []})
        for line in box.read_text(os.path.join(TRACE_DIR, name)).splitlines():
            # strace pads short calls: "vfork()      = 1234".
            execve = re.match(r"execve\((.*)\)\s+= 0$", line)
            started = re.match(r"(clone3?|v?fork)\(.*\)\s+= (\d+)$", line)
            if execve:
                path, argv, env = ast.literal_eval("(%s)" % execve.group(1))
                entry["execs"].append({"path": path, "argv": argv, "env": env})
            elif started:
                entry["children"].append(int(started.group(2)))
    return processes


def test_no_command_gets_a_secret_or_the_caller_s_path(lab, sandbox):
    lab.wait_puppetserver()  # a Foreman-mode enrollment also requests the Puppet certificate
    box = sandbox()
    box.seed_dir(TRACE_DIR)
    # Programs a local user could have planted where root's PATH looks first.
    for name in PLANTED:
        real = next(p for p in ("/usr/sbin/" + name, "/usr/bin/" + name) if box.exists(p))
        box.seed("/usr/local/sbin/" + name, "#!/bin/sh\nexec %s \"$@\"\n" % real, 0o755)
    env = {"LBENROLL_PASSWORD": PASSWORD, OTHER_SECRET[0]: OTHER_SECRET[1], "PATH": ROOT_PATH,
           "HOME": "/home/alice", "LD_LIBRARY_PATH": "/home/alice/lib"}
    strace = ["strace", "-ff", "--seccomp-bpf", "-qq", "-v", "-s", "1000000",
              "-e", "trace=execve,clone,clone3,fork,vfork", "-o", TRACE_DIR + "/exec"]
    proc = lbenroll(box, FOREMAN, env, prefix=strace)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    processes = traced_processes(box)
    [own] = [pid for pid, p in processes.items()
             if any(e["argv"][1:3] == ["-m", "lbenroll"] for e in p["execs"])]
    children = processes[own]["children"]
    # A child's first exec is what lbenroll started, with the environment lbenroll gave it (the
    # lab's sh wrappers then exec the real program with their own additions, such as PWD).
    started = [processes[pid]["execs"][0] for pid in children
               if processes.get(pid, {}).get("execs")]
    programs = {os.path.basename(e["argv"][0]) for e in started}
    # The enrollment's commands, each seen as it started.
    expected = {"rpm", "dnf", "subscription-manager", "update-ca-trust", "systemctl", "puppet"}
    assert expected <= programs, programs
    others = [(pid, e) for pid, p in processes.items() if pid != own for e in p["execs"]]
    assert len(others) >= len(started)
    for pid, program in others:
        # Every process below lbenroll, rpm's scriptlets and Puppet's Ruby included.
        text = "\0".join(program["argv"] + program["env"])
        assert PASSWORD not in text and OTHER_SECRET[1] not in text, (pid, program["argv"])
        assert not any(v.startswith(("LBENROLL_", "LD_LIBRARY_PATH=")) for v in program["env"])
        assert not program["path"].startswith("/usr/local/"), (pid, program["argv"])
    for program in started:
        env = dict(v.split("=", 1) for v in program["env"])
        assert env["PATH"] == CHILD_PATH, program
        assert env["LC_ALL"] in ("C.UTF-8", "C") and "LANG" not in env, program
        assert env["HOME"] == "/root", program
        assert set(env) <= ALLOWED, program
