"""The attacker of the lab: tampered katello-ca-consumer RPMs, built with the real rpmbuild from
the genuine script, and served by every proxy behind the balancer's ports 80 and 443, as a
compromised proxy or anyone answering as the balancer would.

serve(lab, path) points every proxy's katello-ca-consumer-latest.noarch.rpm at path; lab.reset()
(after every test) points it back at the genuine package.
"""
import os
import shutil

from tests.lab import build, pki

# A file the package would drop besides its script: a cron job that runs as root.
CRON_JOB = "/etc/cron.d/lbenroll-lab-attack"
BOMB_SIZE = 1100 * 1024 * 1024  # what the payload expands to: more than 1 GiB
# The package a tampered consumer RPM obsoletes (kind "obsoletes"): installed in the sandbox
# first (build_victim), as openssh-server or sudo is on a real host.
VICTIM = "lab-victim"

VICTIM_SPEC = """\
Name:           %s
Version:        1.0
Release:        1.lab
Summary:        A package of the host that a tampered consumer RPM names
License:        GPLv3
BuildArch:      noarch

%%description
lbenroll lab: stands in for openssh-server, audit or sudo.

%%install
mkdir -p %%{buildroot}/usr/share/lab-victim
echo installed > %%{buildroot}/usr/share/lab-victim/installed

%%files
/usr/share/lab-victim/installed
""" % VICTIM

SPEC = """\
Name:           %(name)s
Version:        1.0
Release:        %(release)s
Summary:        tampered consumer package (%(kind)s)
License:        GPLv3
BuildArch:      noarch
Source0:        katello-rhsm-consumer
%(tags)s
%(defines)s
%%description
lbenroll lab attacker: %(kind)s.

%%prep

%%build

%%install
install -D -m 0755 %%{SOURCE0} %%{buildroot}%%{_bindir}/katello-rhsm-consumer
%(install)s

%%post
%%{_bindir}/katello-rhsm-consumer

%%files
%%attr(0755,root,root) %%{_bindir}/katello-rhsm-consumer
%(files)s
"""


def build_tampered(lab, kind, name, release="1"):
    """The path of a tampered consumer RPM named name-1.0-release:

    extra_file   the genuine script, genuine CAs, plus CRON_JOB
    default_ca   the genuine server CA, and another CA (the lab's foreign one) as default CA
    bomb         only the script, padded with zeros so the payload expands past 1 GiB (the
                 download stays small: gzip level 1 packs zeros ~1000:1)
    truncated    the genuine package's main header with its data store cut to 64 bytes (its
                 length field saying so, the index still pointing past it), nothing after
    obsoletes    the genuine package with `Obsoletes: VICTIM` (rpm -U erases VICTIM with it)
    """
    lab_ca = pki.read_pem(lab.ca.cert)
    default_ca = lab_ca
    if kind == "default_ca":
        foreign, _ = pki.make_foreign_proxy_cert(lab.pki_dir, "attacker.example.test",
                                                 ["attacker.example.test"])
        default_ca = pki.read_pem(foreign.cert)
    script = build.consumer_script(name[len("katello-ca-consumer-"):], build.DEFAULT_LAYOUT,
                                   lab_ca, default_ca)
    values = {"name": name, "release": release, "kind": kind, "defines": "", "install": "",
              "files": "", "tags": ""}
    if kind == "extra_file":
        values["install"] = ("mkdir -p %%{buildroot}%s\necho '* * * * * root /bin/true' > "
                             "%%{buildroot}%s" % (os.path.dirname(CRON_JOB), CRON_JOB))
        values["files"] = "%%attr(0644,root,root) %s" % CRON_JOB
    elif kind == "obsoletes":
        values["tags"] = "Obsoletes:      %s" % VICTIM
    elif kind == "bomb":
        values["defines"] = "%define _binary_payload w1.gzdio\n"
        values["install"] = "truncate -s %d %%{buildroot}%%{_bindir}/katello-rhsm-consumer" % (
            BOMB_SIZE)
    topdir = os.path.join(lab.build_dir, "attacker", "%s-%s-%s" % (kind, name, release))
    path = build.rpmbuild(topdir, SPEC % values,
                          sources={"katello-rhsm-consumer": (script, 0o755)})
    if kind == "truncated":
        with open(path, "rb") as f:
            data = f.read()
        at = _main_header_offset(data)
        count = int.from_bytes(data[at + 8:at + 12], "big")
        store_at = at + 16 + 16 * count
        cut = os.path.join(topdir, "truncated.rpm")
        with open(cut, "wb") as f:
            f.write(data[:at + 12] + (64).to_bytes(4, "big") + data[at + 16:store_at + 64])
        return cut
    return path


def build_victim(lab):
    """The path of VICTIM-1.0-1.lab.noarch.rpm, one small file under /usr/share/lab-victim."""
    return build.rpmbuild(os.path.join(lab.build_dir, "attacker", "victim"), VICTIM_SPEC)


def _main_header_offset(data):
    count, size = int.from_bytes(data[104:108], "big"), int.from_bytes(data[108:112], "big")
    end = 96 + 16 + 16 * count + size
    return end + (-end % 8)


def serve(lab, path, only=None):
    """Every proxy (or the one named only, "proxy02": a compromised proxy) answers
    /pub/katello-ca-consumer-latest.noarch.rpm with path."""
    for name, proxy in lab.proxies.items():
        if only is not None and name != only:
            continue
        directory = os.path.join(proxy.pub_dir, "attacker")
        os.makedirs(directory, exist_ok=True)
        shutil.copyfile(path, os.path.join(directory, os.path.basename(path)))
        build._replace_symlink(os.path.join(proxy.pub_dir, build.LATEST_RPM),
                               os.path.join("attacker", os.path.basename(path)))
