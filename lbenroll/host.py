"""The distro layer: every path and command on the managed host, re-rooted through --root."""
import os

RHSM_CONF = "/etc/rhsm/rhsm.conf"
RHSM_CA_DIR = "/etc/rhsm/ca"
KATELLO_SERVER_CA = RHSM_CA_DIR + "/katello-server-ca.pem"
KATELLO_DEFAULT_CA = RHSM_CA_DIR + "/katello-default-ca.pem"
KAT_BACKUP = "/etc/rhsm/rhsm.conf.kat-backup"
CA_TRUST_ANCHOR = "/etc/pki/ca-trust/source/anchors/katello-server-ca.pem"
CONSUMER_CERT = "/etc/pki/consumer/cert.pem"
CONSUMER_KEY = "/etc/pki/consumer/key.pem"
ENTITLEMENT_DIR = "/etc/pki/entitlement"
REDHAT_REPO = "/etc/yum.repos.d/redhat.repo"
# subscription-manager's custom facts: every *.facts file in the directory, a JSON object
# (candlepin/subscription-manager src/rhsmlib/facts/custom.py).
RHSM_FACTS_DIR = "/etc/rhsm/facts"
KATELLO_FACTS = RHSM_FACTS_DIR + "/katello.facts"
# The system CA bundle update-ca-trust extracts, and podman's per-registry certificates
# (containers-certs.d(5)).
SYSTEM_CA_BUNDLE = "/etc/pki/tls/certs/ca-bundle.crt"
CONTAINERS_CERTS_DIR = "/etc/containers/certs.d"
PUPPET_CONF = "/etc/puppetlabs/puppet/puppet.conf"
# The Puppet agent's packages: puppet-agent (Puppet 6, 7 and 8 "AIO") and OpenVox's
# openvox-agent, which Foreman supports since 3.16 (docs/katello-client-facts.md, "Parity with
# Global Registration"). Both lay the agent out alike: the paths, the `puppet` command and the
# `puppet` service below are the same for either; puppet-agent is bootstrap.py's, the default.
PUPPET_AGENT_PACKAGE = "puppet-agent"
OPENVOX_AGENT_PACKAGE = "openvox-agent"
PUPPET_AGENT_PACKAGES = (PUPPET_AGENT_PACKAGE, OPENVOX_AGENT_PACKAGE)
PUPPET_BIN = "/opt/puppetlabs/puppet/bin/puppet"
PUPPET_SSL_DIR = "/etc/puppetlabs/puppet/ssl"
PUPPET_CACHE_DIR = "/opt/puppetlabs/puppet/cache"  # the puppet-agent ("AIO") layout
PUPPET_SERVICE = "puppet"
YGGDRASIL_CONFIG = "/etc/yggdrasil/config.toml"
# Pull-mode remote execution (--rex-pull), as Global Registration's remote_execution_pull_setup
# installs it: the Foreman worker, which requires yggdrasil (docs/katello-client-facts.md,
# "Setting up pull-mode remote execution"). yggdrasil 0.2 (EL8) names its unit yggdrasild;
# 0.3 and later name it yggdrasil (alias yggd).
REX_PULL_PACKAGES = ("foreman_ygg_worker", "yggdrasil")
YGGDRASIL_UNITS = ("yggdrasild", "yggdrasil")
GOFER_KATELLO_CONF = "/etc/gofer/plugins/katello.conf"
# foreman_scap_client's configuration (lib/foreman_scap_client/base_client.rb, CONFIG_FILE).
OPENSCAP_CONFIG = "/etc/foreman_scap_client/config.yaml"
# insights-client (insights-core insights/client/constants.py): its configuration, the file whose
# presence is upstream's own "this host is registered" test, and the package that installs them.
INSIGHTS_CONF = "/etc/insights-client/insights-client.conf"
INSIGHTS_REGISTERED = "/etc/insights-client/.registered"
INSIGHTS_CLIENT_PACKAGE = "insights-client"
INSIGHTS_CLIENT = "insights-client"
OS_RELEASE = "/etc/os-release"
STATE_DIR = "/var/lib/lbenroll"
BACKUP_DIR = STATE_DIR + "/backup"
# The consumer packages INSTALL_CONSUMER_RPM installed, kept so that a rollback can reinstall
# one it replaced (rpm keeps no copy of what it erases); --remove's FORGET_BACKUPS empties it.
CONSUMER_RPM_COPIES = STATE_DIR + "/consumer-rpm"
LOCK_FILE = STATE_DIR + "/lock"
# What --rex-pull installed and enabled, so that --remove takes back only that.
REX_PULL_RECORD = STATE_DIR + "/rex-pull.json"
DEFAULT_LOG_FILE = "/var/log/lbenroll.log"
# The options of the last enrollment, re-applied by `lbenroll repair`.
LBENROLL_CONF = "/etc/lbenroll/lbenroll.conf"
# The timer that runs `lbenroll repair` (packaging/systemd), shipped disabled.
REPAIR_TIMER = "lbenroll-repair.timer"

CONSUMER_RPM_PATH = "/pub/katello-ca-consumer-latest.noarch.rpm"
CONSUMER_PACKAGE_PREFIX = "katello-ca-consumer-"

# Packages whose presence means this is a Katello server or Smart Proxy (bootstrap.py's list).
SERVER_PACKAGES = ("katello", "foreman-proxy-content", "katello-capsule", "spacewalk-proxy-common",
                   "spacewalk-backend")
SUBSCRIPTION_MANAGER = "subscription-manager"
HOST_TOOLS_PACKAGE = "katello-host-tools"
# bootstrap.py's `yum update yum openssl python`, in the names EL8 and later use too.
PREREQ_UPDATE = (SUBSCRIPTION_MANAGER, "yum", "dnf", "openssl", "python", "python3")
# RHN Classic, RHUI and Spacewalk client packages bootstrap.py removes
# (docs/katello-client-facts.md, "bootstrap.py behaviour").
OBSOLETE_PACKAGES = ("rhn-setup", "rhn-client-tools", "yum-rhn-plugin", "rhnsd", "rhn-check",
                     "rhnlib", "spacewalk-abrt", "spacewalk-oscap", "osad", "rh-*-rhui-client",
                     "candlepin-cert-consumer-*")

# Where an installed system keeps its rpm database (EL8: /var/lib/rpm; EL9 and later:
# /usr/lib/sysimage/rpm, with /var/lib/rpm a link to it).
RPMDB_DIRS = ("/var/lib/rpm", "/usr/lib/sysimage/rpm")


def reroot(root, path):
    """Map an absolute host path into the tree mounted at root (like `rpm --root`)."""
    if not os.path.isabs(path):
        raise ValueError("host paths must be absolute: %r" % path)
    if root in ("", "/"):
        return path
    return os.path.join(root, path.lstrip("/"))


def rpm_argv(root, *args):
    """rpm operates on another root with its own option; its scriptlets then chroot there."""
    argv = ["rpm"]
    if root not in ("", "/"):
        argv += ["--root", root]
    return argv + list(args)


def in_root_argv(root, *argv):
    """A host command (subscription-manager, systemctl) run inside the managed root."""
    if root in ("", "/"):
        return list(argv)
    return ["chroot", root] + list(argv)


def puppet_cert_paths(certname):
    """The agent's own certificate and the CA certificate in Puppet's SSL directory."""
    certs = PUPPET_SSL_DIR + "/certs"
    return "%s/%s.pem" % (certs, certname), certs + "/ca.pem"

# sshd and the SSH CA Foreman signs the Smart Proxies' remote execution keys with: the file and
# drop-in names are Global Registration's (foreman's remote_execution_ssh_keys snippet,
# docs/katello-client-facts.md "SSH certificate authority for remote execution"), so a host
# set up either way has one copy of each.
SSHD_CONFIG = "/etc/ssh/sshd_config"
SSHD_CONFIG_DIR = "/etc/ssh/sshd_config.d"
REX_USER_CA = "/etc/ssh/foreman-user-ca.pub"
REX_USER_CA_DROPIN = SSHD_CONFIG_DIR + "/60-foreman-user-ca.conf"
SSHD_BIN = "/usr/sbin/sshd"
SSHD_SERVICE = "sshd"
# Present from before REX_CA writes sshd's files until sshd was told to read them: a run killed
# in between leaves it, and the next run reloads sshd although the files are right already.
SSHD_RELOAD_PENDING = STATE_DIR + "/sshd-reload-pending"

# The system trust store (ca-certificates, p11-kit): `update-ca-trust extract` regenerates the
# bundles under EXTRACTED_DIR from the anchors; /etc/pki/tls/certs/ca-bundle.crt links into it.
CA_TRUST_ANCHORS_DIR = "/etc/pki/ca-trust/source/anchors"
CA_TRUST_EXTRACTED_DIR = "/etc/pki/ca-trust/extracted"
TLS_CA_BUNDLE = "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"
UPDATE_CA_TRUST = "/usr/bin/update-ca-trust"

# What a failed run is checked against, and put back from, after its rollback: every path under
# these that lbenroll, the package scripts, update-ca-trust or subscription-manager may change.
# A snapshot of them is taken just before the run's first change (none on a run that changes
# nothing). /root/.ssh stands for every --rex-user's key directory; others are added per run.
ROLLBACK_WATCHED = ("/etc/rhsm", "/etc/pki/consumer", "/etc/pki/entitlement", "/etc/pki/product",
                    "/etc/pki/ca-trust", "/etc/pki/tls/certs", "/etc/yum.repos.d",
                    "/etc/puppetlabs", "/etc/yggdrasil", "/etc/gofer", "/etc/lbenroll",
                    "/etc/foreman_scap_client",
                    "/etc/yum/pluginconf.d", "/etc/dnf/plugins", CONTAINERS_CERTS_DIR,
                    "/root/.ssh", "/var/lib/rhsm")
