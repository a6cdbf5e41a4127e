"""The RPM spec file agrees with the Python package it builds."""
import configparser
import os
import re

import lbenroll
from tests.docs.test_docs import REPO

SPEC = os.path.join(REPO, "packaging", "rpm", "lbenroll.spec")


def spec_tags(name):
    with open(SPEC) as f:
        return [m.group(1).strip() for m in re.finditer(r"^%s:\s*(.+)$" % name, f.read(), re.M)]


def test_the_spec_version_is_the_package_version():
    assert spec_tags("Version") == [lbenroll.__version__]


def test_every_install_requirement_is_a_runtime_requirement():
    setup = configparser.ConfigParser()
    setup.read(os.path.join(REPO, "setup.cfg"))
    requirements = [re.split(r"[<>=!~ ;]", line.strip())[0].lower()
                    for line in setup["options"]["install_requires"].splitlines() if line.strip()]
    assert requirements
    required = spec_tags("Requires")
    for name in requirements:
        assert "python3-%s" % name in required
    assert "subscription-manager" in required



def test_one_spec_for_every_el_carries_the_dist_tag_and_the_license():
    [release] = spec_tags("Release")
    assert release.endswith("%{?dist}")
    assert spec_tags("License") == ["GPL-2.0-or-later"]
    with open(SPEC) as f:
        assert re.search(r"^%license LICENSE$", f.read(), re.M)
    with open(os.path.join(REPO, "LICENSE")) as f:
        text = f.read()
    assert text.split()[:7] == ["GNU", "GENERAL", "PUBLIC", "LICENSE", "Version", "2,", "June"]
    with open(os.path.join(REPO, "MANIFEST.in")) as f:
        assert re.search(r"^include .*\bLICENSE\b", f.read(), re.M)
