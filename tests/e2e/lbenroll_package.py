"""lbenroll as hosts get it, for the kickstart and Ansible tests: a yum repository with a stand-in
lbenroll RPM, and a wheel of this checkout. Built once per lab, under its build directory."""
import os
import shutil
import subprocess
import sys

import lbenroll
from tests.lab import build

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNITS = ("lbenroll-repair.service", "lbenroll-repair.timer")

# The real package installs lbenroll into the system Python; the stand-in's entry point runs this
# checkout with the test runner's Python instead, and ships the real systemd units.
SPEC = """\
Name:           lbenroll
Version:        %(version)s
Release:        0.lab
Summary:        Lab stand-in for lbenroll: runs the checkout under test
License:        GPL-2.0-or-later
BuildArch:      noarch
Source0:        lbenroll
Source1:        lbenroll-repair.service
Source2:        lbenroll-repair.timer

%%description
Runs the lbenroll checkout under test; built by the lbenroll end-to-end tests.

%%prep

%%build

%%install
install -D -m 0755 %%{SOURCE0} %%{buildroot}/usr/bin/lbenroll
install -D -m 0644 %%{SOURCE1} %%{buildroot}/usr/lib/systemd/system/lbenroll-repair.service
install -D -m 0644 %%{SOURCE2} %%{buildroot}/usr/lib/systemd/system/lbenroll-repair.timer

%%files
/usr/bin/lbenroll
/usr/lib/systemd/system/lbenroll-repair.service
/usr/lib/systemd/system/lbenroll-repair.timer
"""
ENTRY_POINT = """\
#!/bin/sh
PYTHONPATH=%(repo)s exec %(python)s -m lbenroll "$@"
"""

_built = {}


def entry_point_script():
    return ENTRY_POINT % {"repo": REPO, "python": sys.executable}


def _units():
    sources = {}
    for name in UNITS:
        with open(os.path.join(REPO, "packaging", "systemd", name)) as f:
            sources[name] = (f.read(), 0o644)
    return sources


def rpm_repository(lab):
    """file:// URL of a tree laid out as `make repo` makes it, one repository per EL below it:
    the stand-in lbenroll RPM is in el9/ only, the release of the lab's sandbox (os-release 9.4),
    so a snippet or role that picks another EL's repository finds no lbenroll."""
    key = ("rpm", lab.workdir)
    if key not in _built:
        sources = dict(_units(), lbenroll=(entry_point_script(), 0o755))
        rpm = build.rpmbuild(os.path.join(lab.build_dir, "lbenroll-standin"),
                             SPEC % {"version": lbenroll.__version__}, sources=sources)
        tree = os.path.join(lab.build_dir, "lbenroll-repo")
        shutil.rmtree(tree, ignore_errors=True)
        build.make_content_repo(tree, "el9", rpm)
        for el in ("el8", "el10"):
            build.make_content_repo(tree, el)
        _built[key] = "file://" + tree
    return _built[key]


def wheel(lab):
    """Path of a wheel of this checkout, built without network access from a copy of it."""
    key = ("wheel", lab.workdir)
    if key not in _built:
        source = os.path.join(lab.build_dir, "lbenroll-source")
        shutil.rmtree(source, ignore_errors=True)
        shutil.copytree(os.path.join(REPO, "lbenroll"), os.path.join(source, "lbenroll"),
                        ignore=shutil.ignore_patterns("__pycache__"))
        for name in ("setup.py", "setup.cfg", "pyproject.toml", "README.md"):
            shutil.copy2(os.path.join(REPO, name), source)
        wheels = os.path.join(lab.build_dir, "wheels")
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
             "--no-index", "--wheel-dir", wheels, source],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
        assert proc.returncode == 0, proc.stdout
        [name] = [n for n in os.listdir(wheels) if n.endswith(".whl")]
        _built[key] = os.path.join(wheels, name)
    return _built[key]
