"""The packages `make rpm` built and the repositories `make repo` made, read with the real rpm,
rpm2cpio and cpio and from createrepo_c's repodata, and installed (--assumeno) by the real dnf on
a root standing in for each EL: one package per EL, each for that EL's Python. `make test` builds
them first and sets LBENROLL_PACKAGES_BUILT (the build directory), so there a missing package
fails; elsewhere these tests are skipped until `make rpm repo` has run."""
import gzip
import hashlib
import lzma
import os
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

import lbenroll
from tests.docs.test_docs import REPO
from tests.packaging.test_spec import spec_tags

# Each EL's python3 (what it provides as python(abi)) and its bytecode's magic number
# (importlib.util.MAGIC_NUMBER of that Python).
ELS = {"el8": ("3.6", 3379), "el9": ("3.9", 3425), "el10": ("3.12", 3531)}
BUILD = os.environ.get("LBENROLL_PACKAGES_BUILT") or os.path.join(REPO, ".build")
REPO_NS = {"repo": "http://linux.duke.edu/metadata/repo"}
COMMON_NS = {"common": "http://linux.duke.edu/metadata/common",
             "rpm": "http://linux.duke.edu/metadata/rpm"}


def built(path, what):
    if not os.path.exists(path):
        message = "%s is missing (%s): make rpm repo builds it" % (path, what)
        if os.environ.get("LBENROLL_PACKAGES_BUILT"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


def release(el):
    [tag] = spec_tags("Release")
    return tag.replace("%{?dist}", "." + el)


def package(el):
    name = "lbenroll-%s-%s.noarch.rpm" % (lbenroll.__version__, release(el))
    return built(os.path.join(BUILD, "rpm", el, "RPMS", "noarch", name),
                 "make rpm's %s package" % el)


def rpm_query(path, *args):
    return subprocess.run(["rpm", "-qp"] + list(args) + [path], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, check=True).stdout


@pytest.mark.parametrize("el", sorted(ELS))
def test_each_el_has_its_package_with_the_dist_tag(el):
    path = package(el)
    assert rpm_query(path, "--qf", "%{NAME} %{VERSION} %{RELEASE} %{ARCH}") == \
        "lbenroll %s %s noarch" % (lbenroll.__version__, release(el))
    assert release(el).endswith("." + el)


@pytest.mark.parametrize("el", sorted(ELS))
def test_each_package_requires_its_els_python_abi(el):
    version = ELS[el][0]
    requires = rpm_query(package(el), "--requires").splitlines()
    assert [r for r in requires if r.startswith("python(abi)")] == ["python(abi) = %s" % version]
    # The generated python3.Xdist() requirements name the same Python.
    dists = {re.match(r"python(3\.\d+)dist\(", r).group(1) for r in requires
             if re.match(r"python3\.\d+dist\(", r)}
    assert dists == {version}


@pytest.mark.parametrize("el", sorted(ELS))
def test_each_package_installs_into_its_pythons_site_packages_byte_compiled(el):
    version = ELS[el][0]
    tag = "cpython-" + version.replace(".", "")
    files = set(rpm_query(package(el), "--list").splitlines())
    sitelib = "/usr/lib/python%s/site-packages/lbenroll/" % version
    # The Ansible role's own module ships as the role's source, beside the role, not as part
    # of the Python package.
    role_module = "/usr/share/lbenroll/ansible/roles/lbenroll/library/lbenroll_run.py"
    assert role_module in files
    modules = [f for f in files if f.endswith(".py") and "/lbenroll/" in f
               and not f.startswith("/usr/share/lbenroll/ansible/")]
    assert modules and all(f.startswith(sitelib) for f in modules), modules
    assert {f for f in files if re.match(r"/usr/lib(64)?/python", f)} == \
        {f for f in files if f.startswith("/usr/lib/python%s/" % version)}
    for module in modules:
        directory, name = os.path.split(module)
        for suffix in (".pyc", ".opt-1.pyc"):
            compiled = "%s/__pycache__/%s.%s%s" % (directory, name[:-3], tag, suffix)
            assert compiled in files, compiled


@pytest.mark.parametrize("el", sorted(ELS))
def test_each_packages_bytecode_is_its_pythons(el, tmp_path):
    version, magic = ELS[el]
    payload = subprocess.run(["rpm2cpio", package(el)], stdout=subprocess.PIPE, check=True).stdout
    member = "./usr/lib/python%s/site-packages/lbenroll/__pycache__/cli.cpython-%s.pyc" % (
        version, version.replace(".", ""))
    proc = subprocess.run(["cpio", "-i", "--quiet", "--to-stdout", member], input=payload,
                          stdout=subprocess.PIPE, check=True)
    assert proc.stdout[2:4] == b"\r\n"
    assert int.from_bytes(proc.stdout[:2], "little") == magic


@pytest.mark.parametrize("el", sorted(ELS))
def test_each_package_carries_the_license_text_as_license(el):
    lines = rpm_query(package(el), "--qf", "[%{FILEFLAGS:fflags} %{FILEDIGESTS} %{FILENAMES}\n]")
    licenses = [line.split() for line in lines.splitlines() if line.split()[0] == "l"]
    with open(os.path.join(REPO, "LICENSE"), "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    assert licenses == [["l", digest, "/usr/share/licenses/lbenroll/LICENSE"]]


def primary(el):
    """The package entries of make repo's repository for EL, from createrepo_c's repodata."""
    directory = os.path.join(BUILD, "repo", el)
    repomd = ET.parse(built(os.path.join(directory, "repodata", "repomd.xml"),
                            "make repo's %s repository" % el))
    [location] = [data.find("repo:location", REPO_NS).get("href")
                  for data in repomd.findall("repo:data", REPO_NS) if data.get("type") == "primary"]
    openers = {".gz": gzip.open, ".xz": lzma.open}
    with openers[os.path.splitext(location)[1]](os.path.join(directory, location)) as f:
        return ET.parse(f).getroot().findall("common:package", COMMON_NS)


@pytest.mark.parametrize("el", sorted(ELS))
def test_each_els_repository_lists_only_its_package(el):
    [entry] = primary(el)
    assert entry.find("common:name", COMMON_NS).text == "lbenroll"
    version = entry.find("common:version", COMMON_NS)
    assert (version.get("ver"), version.get("rel")) == (lbenroll.__version__, release(el))
    assert entry.find("common:location", COMMON_NS).get("href") == \
        "Packages/" + os.path.basename(package(el))
    requires = entry.findall("common:format/rpm:requires/rpm:entry", COMMON_NS)
    assert [(r.get("flags"), r.get("ver")) for r in requires if r.get("name") == "python(abi)"] \
        == [("EQ", ELS[el][0])]


# What each EL's own repositories provide that lbenroll needs, as a stand-in package: its
# python3 (python(abi), /usr/bin/python3), subscription-manager, and the libraries at the versions
# the Makefile's floor for that EL has (the versions that EL packages).
BASE_SPEC = """\
Name:           %(el)s-base
Version:        1
Release:        1
Summary:        Stand-in for what %(el)s provides
License:        MIT
BuildArch:      noarch
Provides:       python(abi) = %(python)s
Provides:       /usr/bin/python3
Provides:       /bin/sh
Provides:       subscription-manager
Provides:       python%(python)sdist(setuptools)
%(libraries)s
%%description
Stand-in for what %(el)s provides, built by lbenroll's packaging tests.
%%files
"""


def floor_libraries(el):
    """{name: version} of the libraries in the Makefile's floor for EL."""
    with open(os.path.join(REPO, "Makefile")) as f:
        makefile = f.read().replace("\\\n", " ")
    variable = "FLOOR_PACKAGES" if el == "el8" else "FLOOR_PACKAGES_" + el
    [line] = re.findall(r"^%s :?= (.*)$" % variable, makefile, re.M)
    pins = dict(re.findall(r"([\w-]+)==([\w.]+)", line))
    return {name: pins[name] for name in ("click", "requests", "configobj", "distro")}


def el_host(tmp_path, el):
    """dnf's argv for a root that has EL's stand-in base installed, answering --assumeno."""
    python = ELS[el][0]
    libraries = "".join("Provides:       python3-%s\nProvides:       python%sdist(%s) = %s\n"
                        % (name, python, name, version)
                        for name, version in sorted(floor_libraries(el).items()))
    top, root = tmp_path / "top", tmp_path / "root"
    (tmp_path / "base.spec").write_text(BASE_SPEC % {"el": el, "python": python,
                                                    "libraries": libraries})
    for argv in (["rpmbuild", "-bb", "--define", "_topdir %s" % top, str(tmp_path / "base.spec")],
                 ["createrepo_c", "--quiet", str(top / "RPMS" / "noarch")]):
        subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=True)
    root.mkdir()
    dnf = ["dnf", "--installroot", str(root), "--setopt=reposdir=/dev/null",
           "--setopt=cachedir=%s" % (tmp_path / "cache"), "--setopt=gpgcheck=0",
           "--setopt=best=True", "--releasever", el[2:],
           "--repofrompath=base,file://%s" % (top / "RPMS" / "noarch")]
    subprocess.run(dnf + ["-y", "install", "%s-base" % el], stdout=subprocess.PIPE,
                   stderr=subprocess.STDOUT, check=True)
    return dnf + ["--assumeno"]


@pytest.mark.parametrize("el", sorted(ELS))
def test_dnf_installs_each_els_package_from_its_repository_and_no_other(el, tmp_path):
    dnf = el_host(tmp_path, el)
    for other in sorted(ELS):
        primary(other)  # the repository is there
        answer = subprocess.run(
            dnf + ["--repofrompath=%s,file://%s" % (other, os.path.join(BUILD, "repo", other)),
                   "install", "lbenroll"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True).stdout
        resolved = re.search(r"^ lbenroll +noarch +(\S+) +%s " % other, answer, re.M)
        if other == el:
            wanted = "%s-%s" % (lbenroll.__version__, release(el))
            assert resolved and resolved.group(1) == wanted, answer
        else:
            assert not resolved and "python(abi) = %s" % ELS[other][0] in answer, answer
