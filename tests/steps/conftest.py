import os

import pytest

from lbenroll import options as options_module, probe
from lbenroll.results import Result, Status
from lbenroll.steps.base import Run
from tests import fake_foreman
from tests.conftest import DATA, seed

CA = open(os.path.join(DATA, "pki", "ca.pem")).read()
OTHER_CA = open(os.path.join(DATA, "pki", "other-ca.pem")).read()
BALANCER = "smartproxy.example.test"

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
