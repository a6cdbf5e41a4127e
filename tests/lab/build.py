"""RPMs and yum repositories of the lab: consumer RPMs, the stub rpmdb package, content repos."""
import gzip
import hashlib
import os
import re
import shutil
import subprocess

from tests.lab.daemon import LabError

FILES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "files")

# Port and content base URL that each era's consumer RPM writes into rhsm.conf
# (katello-client-facts.md §2.4).
LAYOUTS = {
    "current": (443, "https://{host}/pulp/content/"),
    "pulp2": (8443, "https://{host}/pulp/repos"),
}
DEFAULT_LAYOUT = "current"
LATEST_RPM = "katello-ca-consumer-latest.noarch.rpm"
# A proxy's first build; a rebuilt proxy publishes a higher release (Lab.rebuild_consumer_rpm).
FIRST_RELEASE = "1"
# repomd.xml's revision of the proxies' repositories. They are synchronized to the same content
# view version, but each proxy's Pulp publishes on its own: proxy NN's revision is
# CONTENT_REVISION + NN hours (content_revision), and its checksums differ too. A stale proxy
# (Lab.set_stale_repodata) republishes older packages later: LATER_REVISION, newer than all.
CONTENT_REVISION = 1767225600
LATER_REVISION = CONTENT_REVISION + 7 * 86400
# lab-hello's builds: every proxy serves both; a stale proxy lacks the newest.
HELLO_RELEASES = ("1", "2")
NEWEST_HELLO = "lab-hello-1.0-2.noarch"


def content_revision(proxy_name):
    """The revision of a proxy's publications: proxy02 publishes one hour after proxy01."""
    return CONTENT_REVISION + 3600 * int(re.sub(r"\D", "", proxy_name) or 0)


def _template(name, values):
    with open(os.path.join(FILES_DIR, name)) as f:
        text = f.read()
    for key, value in values.items():
        text = text.replace("@%s@" % key, value)
    leftover = re.search(r"@[A-Z_]+@", text)
    if leftover:
        raise LabError("template %s: no value for %s" % (name, leftover.group(0)))
    return text


def _run(argv, what):
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        raise LabError("%s failed (%s): %s\n%s" % (what, proc.returncode, proc.stdout, proc.stderr))
    return proc


def rpmbuild(topdir, spec_text, sources=None, defines=None):
    """Build one noarch binary RPM in its own topdir; returns the path of the RPM."""
    for sub in ("SPECS", "SOURCES"):
        os.makedirs(os.path.join(topdir, sub), exist_ok=True)
    for name, (text, mode) in (sources or {}).items():
        path = os.path.join(topdir, "SOURCES", name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
    spec = os.path.join(topdir, "SPECS", "package.spec")
    with open(spec, "w") as f:
        f.write(spec_text)
    argv = ["rpmbuild", "-bb", "--define", "_topdir " + topdir]
    for key, value in (defines or {}).items():
        argv += ["--define", "%s %s" % (key, value)]
    proc = _run(argv + [spec], "rpmbuild of %s" % topdir)
    written = re.findall(r"^Wrote: (\S+\.rpm)$", proc.stdout, re.M)
    if len(written) != 1:
        raise LabError("rpmbuild of %s wrote %r" % (topdir, written))
    return written[0]


def consumer_script(rhsm_hostname, layout, server_ca_pem, default_ca_pem):
    """Text of /usr/bin/katello-rhsm-consumer for one proxy and layout."""
    port, baseurl = LAYOUTS[layout]
    return _template("katello-rhsm-consumer.in", {
        "RHSM_HOSTNAME": rhsm_hostname,
        "RHSM_PORT": str(port),
        "BASEURL": baseurl.format(host=rhsm_hostname),
        "LAYOUT": layout,
        "DEFAULT_CA": default_ca_pem.strip(),
        "SERVER_CA": server_ca_pem.strip(),
    })


def build_consumer_rpm(build_dir, rhsm_hostname, layout, server_ca_pem, default_ca_pem,
                       release=FIRST_RELEASE):
    """katello-ca-consumer-<rhsm_hostname>-1.0-<release>.noarch.rpm for the given layout."""
    script = consumer_script(rhsm_hostname, layout, server_ca_pem, default_ca_pem)
    spec = _template("katello-ca-consumer.spec.in",
                     {"RHSM_HOSTNAME": rhsm_hostname, "LAYOUT": layout, "RELEASE": release})
    topdir = os.path.join(build_dir, "consumer-%s-%s" % (rhsm_hostname, layout))
    return rpmbuild(topdir, spec, sources={"katello-rhsm-consumer": (script, 0o755)})


def build_stub_rpm(build_dir):
    """The `subscription-manager` stub that sandboxes record in their rpm database."""
    with open(os.path.join(FILES_DIR, "subscription-manager-stub.spec")) as f:
        spec = f.read()
    return rpmbuild(os.path.join(build_dir, "subscription-manager-stub"), spec)


def build_hello_rpm(build_dir, proxy_fqdn, release=HELLO_RELEASES[0]):
    """lab-hello built "on" the proxy, so each proxy's package and metadata checksums differ."""
    with open(os.path.join(FILES_DIR, "lab-hello.spec")) as f:
        spec = f.read()
    return rpmbuild(os.path.join(build_dir, "lab-hello-%s-%s" % (release, proxy_fqdn)), spec,
                    defines={"_buildhost": proxy_fqdn, "lab_release": release})


def build_puppet_agent_rpm(build_dir):
    """The puppet-agent stand-in: the AIO paths, running the host's Debian puppet."""
    with open(os.path.join(FILES_DIR, "puppet-agent.spec")) as f:
        spec = f.read()
    return rpmbuild(os.path.join(build_dir, "puppet-agent"), spec)


def build_rex_pull_rpms(build_dir):
    """The pull-mode worker's stand-ins, foreman_ygg_worker and yggdrasil (files/*.spec): the
    paths lbenroll's --rex-pull manages, and the lab's stand-in worker as /usr/sbin/yggd."""
    with open(os.path.join(os.path.dirname(FILES_DIR), "ygg_worker.py")) as f:
        worker = f.read()
    built = []
    for name, sources in (("yggdrasil", {"lab-ygg-worker": (worker, 0o755)}),
                          ("foreman_ygg_worker", None)):
        with open(os.path.join(FILES_DIR, name + ".spec")) as f:
            spec = f.read()
        built.append(rpmbuild(os.path.join(build_dir, name), spec, sources=sources))
    return built


def build_openvox_agent_rpm(build_dir):
    """The openvox-agent stand-in: puppet-agent's under OpenVox's name. OpenVox keeps Puppet's
    paths, command and service (docs/katello-client-facts.md, "Parity with Global
    Registration") and cannot be installed beside puppet-agent: Conflicts says so. No Obsoletes
    here, unlike a real replacement: it shares the lab's repositories with puppet-agent, and
    `dnf update` there must not swap one for the other."""
    with open(os.path.join(FILES_DIR, "puppet-agent.spec")) as f:
        spec = f.read()
    spec = spec.replace("Name:           puppet-agent\nVersion:        7.23.0\n",
                        "Name:           openvox-agent\nVersion:        8.23.1\n"
                        "Conflicts:      puppet-agent\n", 1)
    spec = spec.replace("Lab stand-in for the Puppet agent", "Lab stand-in for the OpenVox agent")
    assert spec.startswith("Name:           openvox-agent\n")
    return rpmbuild(os.path.join(build_dir, "openvox-agent"), spec)


def build_insights_client_rpm(build_dir):
    """The insights-client stand-in: bin/insights-client as /usr/bin/insights-client."""
    with open(os.path.join(FILES_DIR, "insights-client.spec")) as f:
        spec = f.read()
    with open(os.path.join(os.path.dirname(FILES_DIR), "bin", "insights-client")) as f:
        script = f.read()
    return rpmbuild(os.path.join(build_dir, "insights-client"), spec,
                    sources={"insights-client": (script, 0o755)})


def make_rpmdb(root, rpm_paths):
    """Record packages (database only, no files) in <root>/var/lib/rpm; returns the sqlite path."""
    _run(["rpm", "--root", root, "--dbpath", "/var/lib/rpm", "-i", "--justdb", "--nodeps",
          "--noscripts"] + list(rpm_paths), "rpm --justdb into %s" % root)
    return os.path.join(root, "var", "lib", "rpm", "rpmdb.sqlite")


def publish_consumer_rpm(pub_dir, layout, rpm_path):
    """Place one layout's consumer RPM under <pub_dir>/<layout>/."""
    target_dir = os.path.join(pub_dir, layout)
    os.makedirs(target_dir, exist_ok=True)
    return shutil.copy2(rpm_path, target_dir)


def _replace_symlink(link, target):
    tmp = link + ".new"
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(target, tmp)
    os.replace(tmp, link)  # atomic: a concurrent download sees the old or the new RPM


def set_pub_layout(pub_dir, rhsm_hostname, layout, release=FIRST_RELEASE):
    """Point the versioned name and the -latest symlink in pub_dir at the layout's RPM of that
    release; the versioned names of other releases are removed, as a rebuilt proxy has one."""
    if layout not in LAYOUTS:
        raise LabError("unknown layout %r (known: %s)" % (layout, ", ".join(sorted(LAYOUTS))))
    prefix = "katello-ca-consumer-%s-1.0-" % rhsm_hostname
    name = "%s%s.noarch.rpm" % (prefix, release)
    if not os.path.exists(os.path.join(pub_dir, layout, name)):
        raise LabError("%s has no %s build of %s" % (pub_dir, layout, name))
    _replace_symlink(os.path.join(pub_dir, name), os.path.join(layout, name))
    _replace_symlink(os.path.join(pub_dir, LATEST_RPM), name)
    for entry in os.listdir(pub_dir):
        if entry.startswith(prefix) and entry != name:
            os.unlink(os.path.join(pub_dir, entry))


def make_content_repo(content_dir, content_path, *rpm_paths, revision=CONTENT_REVISION):
    """A yum repository at <content_dir>/<content_path> holding rpm_paths (createrepo_c),
    published with that revision (a proxy's own: content_revision())."""
    repo = os.path.join(content_dir, content_path.strip("/"))
    packages = os.path.join(repo, "Packages")
    os.makedirs(packages, exist_ok=True)
    for rpm_path in rpm_paths:
        shutil.copy2(rpm_path, packages)
    publish_repodata(repo, revision)
    return repo


def publish_repodata(repo, revision, excludes=()):
    """(Re)generate <repo>/repodata with that revision, leaving out packages matching excludes."""
    # Pulp 3 publishes no sqlite databases either.
    argv = ["createrepo_c", "--quiet", "--no-database", "--revision", str(revision)]
    for pattern in excludes:
        argv += ["--excludes", pattern]
    _run(argv + [repo], "createrepo_c %s" % repo)


def zstd_primary(repo):
    """Recompress <repo>'s primary file with zstd(1) and list it in repomd.xml instead, as a
    Pulp publication with compression_type "zstd" (or createrepo_c 1.0 and later by default;
    Debian's 0.17 cannot write zstd) publishes it; returns its new location."""
    directory = os.path.join(repo, "repodata")
    repomd_path = os.path.join(directory, "repomd.xml")
    with open(repomd_path) as f:
        repomd = f.read()
    block = re.search(r'<data type="primary">.*?</data>', repomd, re.S).group(0)
    old_sum = re.search(r"<checksum type=\"sha256\">(\w+)</checksum>", block).group(1)
    old_href = re.search(r'<location href="([^"]+)"', block).group(1)
    with open(os.path.join(repo, old_href), "rb") as f:
        xml = gzip.decompress(f.read())
    packed = subprocess.run(["zstd", "-q", "-c"], input=xml, stdout=subprocess.PIPE,
                            check=True).stdout
    new_sum = hashlib.sha256(packed).hexdigest()
    new_href = "repodata/%s-primary.xml.zst" % new_sum
    with open(os.path.join(repo, new_href), "wb") as f:
        f.write(packed)
    os.unlink(os.path.join(repo, old_href))
    new_block = block.replace(old_href, new_href).replace(old_sum, new_sum)
    new_block = re.sub(r"<size>\d+</size>", "<size>%d</size>" % len(packed), new_block)
    with open(repomd_path, "w") as f:
        f.write(repomd.replace(block, new_block))
    return new_href
