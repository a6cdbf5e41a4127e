import os
import socket

import pytest

from lbenroll import options as options_module, probe
from lbenroll.results import Result, Status
from lbenroll.steps.base import Run
from tests import fake_foreman
from tests.conftest import DATA, seed

CA = open(os.path.join(DATA, "pki", "ca.pem")).read()
OTHER_CA = open(os.path.join(DATA, "pki", "other-ca.pem")).read()
BALANCER = "smartproxy.example.test"
# The consumer RPM's script as the real one holds its CAs: two here-documents
# (puppet-foreman_proxy_content rhsm_reconfigure_script), the default CA first, then the server
# CA. Different certificates here, to tell them apart.
CA_SCRIPT = ("#!/bin/bash\n\nset -e\n\nKATELLO_SERVER=proxy02.example.test\nPORT=443\n\n"
             "PREFIX=/rhsm\n\n"
             "read -r -d '' KATELLO_DEFAULT_CA_DATA << EOM || true\n%s\n\nEOM\n\n"
             "read -r -d '' KATELLO_SERVER_CA_DATA << EOM || true\n%s\n\nEOM\n") % (
                 OTHER_CA.strip(), CA.strip())

RHSM_CONF = """\
# Server hostname:
[server]
hostname = proxy02.example.test
# prefix
prefix = /rhsm
port = %(port)s

[rhsm]
# Content base URL:
baseurl = https://proxy02.example.test%(path)s
ca_cert_dir = /etc/rhsm/ca/
repo_ca_cert = %%(ca_cert_dir)skatello-server-ca.pem
"""

REDHAT_REPO = """\
#
# Certificate-Based Repositories
# Managed by (rhsm) subscription-manager
#
[ACME_Lab_hello]
name = hello
baseurl = https://%(host)s/pulp/content/ACME/Library/custom/Lab/hello
enabled = 1
"""


def make_options(**given):
    values = {"balancer": BALANCER, "fqdn": "client01.example.test", "skip": ["foreman"],
              "org": "ACME", "activationkey": "ak-lab-secret", "puppet_ca_port": "8141"}
    values.update(given)
    for key in [k for k, v in values.items() if v is None]:
        del values[key]
    return options_module.validate(values)


@pytest.fixture
def session(monkeypatch, tmp_path):
    """A fake Foreman (the lab's stand-in without sockets); its calls are recorded."""
    state = tmp_path / "state"
    state.mkdir()
    return fake_foreman.install(monkeypatch, state)


@pytest.fixture
def make_run(ctx):
    def factory(**given):
        options = make_options(**given)
        for secret in options.secrets:
            ctx.redact.add(secret)
        run = Run(options, ctx)
        return run
    return factory


def served(run, tmp_path, script, release="1"):
    """run as FETCH_CONSUMER_RPM leaves it: proxy02's consumer package of that release, its
    katello-rhsm-consumer script given, parsed and kept in tmp_path."""
    from lbenroll import consumer
    from tests.rpmbytes import cpio, rpm
    payload = cpio({"./usr/bin/katello-rhsm-consumer": script.encode()})
    data = rpm("katello-ca-consumer-proxy02.example.test", release=release, payload=payload)
    run.consumer = consumer.parse("http://x/pub/c.rpm", data, lambda consume: consume(payload))
    run.consumer.path = str(tmp_path / "consumer.rpm")
    (tmp_path / "consumer.rpm").write_bytes(data)
    return run


@pytest.fixture
def resolvable(monkeypatch):
    """The balancer's name resolves (to a loopback address), without DNS."""
    monkeypatch.setattr(socket, "getaddrinfo",
                        lambda *a, **k: [(2, 1, 6, "", ("127.0.1.10", 0))])


def repair_run(make_run):
    """A run of `lbenroll repair`: its options read from the record, no activation key."""
    run = make_run(activationkey=None, org=None)
    run.options.recorded_in = "/etc/lbenroll/lbenroll.conf"
    return run


@pytest.fixture
def remove_run(make_run, tmp_path):
    """A --remove run (no activation key) with its temporary directory."""
    def factory(**given):
        values = {"remove": True, "activationkey": None}
        values.update(given)
        run = make_run(**values)
        run.tmpdir = str(tmp_path)
        return run
    return factory


def real(root, path):
    """Where a host path is in the temporary root."""
    return os.path.join(str(root), path.lstrip("/"))


def enrolled(ctx, root):
    """A host as an enrollment leaves it, for the --remove steps: rhsm.conf changed (its
    original backed up), new files, a new directory."""
    from lbenroll import backup, fileio
    from lbenroll.writers.base import Target
    cert, rhsm = "/etc/pki/consumer/cert.pem", "/etc/rhsm/rhsm.conf"
    seed(root, {rhsm: "original\n", "/etc/os-release": "ID=rhel\n"})
    backup.backup_before_command(ctx, [rhsm, cert], ["/etc/pki/entitlement"])
    seed(root, {cert: "cert"})  # subscription-manager's
    fileio.write_file(ctx, Target(rhsm, 0o644, "root", "root", ""), b"balancer\n", undo=False)
    os.makedirs(real(root, "/etc/pki/entitlement"))
    fileio.write_file(ctx, Target("/etc/lbenroll/lbenroll.conf", 0o644, "root", "root", ""),
                      b"server = lb\n", undo=False)


def sm(root, *args):
    """subscription-manager runs inside the managed root."""
    return ["chroot", str(root), "subscription-manager"] + list(args)


def rhsm_conf(layout="current"):
    port, path = ("443", "/pulp/content/") if layout == "current" else ("8443", "/pulp/repos")
    return RHSM_CONF % {"port": port, "path": path}


def seed_host(root, files):
    seed(root, files)


def writes_golden(step, run, ctx, root, path, kind, before, after):
    """A WriterStep's first run turns the golden file before into after (tests/data/<kind>/),
    its second changes nothing; returns the first run's result."""
    from lbenroll import fileio
    from lbenroll.results import Status
    from tests.writers.golden import data
    seed(root, {path: data(kind, before).encode()})
    result = step.run(run)
    assert (result.id, result.status) == (step.id, Status.CHANGED)
    assert fileio.read_bytes(ctx, path) == data(kind, after).encode()
    assert step.run(run).status == Status.UNCHANGED
    return result


def creates_then_keeps(step_class, run, root, path, wanted):
    """A WriterStep's first run creates path (0644) holding wanted, its second changes nothing;
    returns the first run's result."""
    from lbenroll import fileio
    from lbenroll.results import Status
    first = step_class().run(run)
    assert (first.id, first.status) == (step_class.id, Status.CHANGED)
    assert first.summary == "created %s" % path
    assert fileio.read_bytes(run.ctx, path) == wanted
    assert oct(os.stat(real(root, path)).st_mode & 0o777) == oct(0o644)
    again = step_class().run(run)
    assert (again.id, again.status) == (step_class.id, Status.UNCHANGED)
    return first


NO_MATCH = "No match for argument: %s\nError: Unable to find a match: %s\n"


def dnf(root, *args):
    return ["chroot", str(root), "dnf", "-y"] + list(args)


@pytest.fixture
def dnf_host(root):
    """A managed root with dnf, for the package steps."""
    seed(root, {"/usr/bin/dnf": ""})


def registered(run, status=Status.CHANGED):
    run.results["REGISTER"] = Result("REGISTER", status, "")
    return run


FOREMAN_MODE = dict(skip=[], hostgroup="lab/web", password="api-secret")


@pytest.fixture
def ca_answers(monkeypatch):
    """The Puppet CA probe: answers unless a test sets `error`; records where it looked."""
    seen = []

    def tls_probe(host, port, ca_pem, timeout=10.0):
        seen.append((host, port, ca_pem, timeout))
        result = probe.ProbeResult(host, port)
        result.error = tls_probe.error
        return result
    tls_probe.error = None
    tls_probe.seen = seen
    monkeypatch.setattr(probe, "tls_probe", tls_probe)
    return tls_probe


@pytest.fixture
def foreman_run(make_run):
    def factory(**given):
        values = dict(FOREMAN_MODE)
        values.update(given)
        return make_run(**values)
    return factory
