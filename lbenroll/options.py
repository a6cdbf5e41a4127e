"""The command-line option table (bootstrap.py's options plus lbenroll's own) and its validation.

The table is the single source for the parser (cli.py), the man page, the shell completion and
the tests. `validate()` turns the values the user explicitly gave into an `Options` object or
raises `UsageError` (exit 2) naming the option and the fix.
"""
import os
import re
import shlex

from lbenroll import credentials, diskio, host
from lbenroll.credentials import PASSWORD_ENV, PASSWORD_FIX
from lbenroll.errors import LbenrollError, UsageError
from lbenroll.urls import host_of, userinfo_secrets

# What this version does with an option.
SUPPORTED = "supported"
RETIRED = "retired"  # RHN Classic / Satellite 5 migration: refused if given
DEPRECATED = "deprecated"  # accepted, mapped to its replacement, with a warning

# Whether the enrollment record keeps an option (OptionSpec.record).
GIVEN = "given"  # recorded when the command line gave it
ALWAYS = "always"  # recorded whether given or not: the balancer, and the steps skipped
PER_RUN = "per run"  # not a property of the host
REGISTRATION_ONLY = "registration only"  # repair never registers: a lost identity needs -a KEY
ONE_OFF = "one-off"  # an action of one enrollment, never to be repeated by the repair timer
FOLDED = "folded into --skip"  # validate() folds it into skip, which is recorded instead
NOT_RECORDED = (PER_RUN, REGISTRATION_ONLY, ONE_OFF, FOLDED)

# Value types. The parser sees integers, choices, flags and plain strings; the finer string
# types (url, path, ...) tell the man page and the shell completion what a value is.
STRING = "string"
INT = "int"
CHOICE = "choice"
FLAG = "flag"
HOSTNAME = "hostname"
URL = "url"
PATH = "path"
DIR = "dir"
COMMA_LIST = "comma-list"
PORT = "port"
FINGERPRINT = "fingerprint"
HELP = "help"  # -h/--help: prints the help and exits; no value, no dest
VERSION = "version"  # --version: prints "lbenroll <version>" and exits; no value, no dest

# (id, title) in help order: bootstrap.py's groups, then lbenroll's.
GROUPS = (
    ("identity", "Server, credentials, identity"),
    ("host-record", "Foreman host record"),
    ("registration", "Registration"),
    ("puppet", "Puppet"),
    ("rex", "Remote execution"),
    ("steps", "Packages, steps, modes"),
    ("lbenroll", "lbenroll options"),
)

# bootstrap.py's --skip values, in its order.
SKIP_CHOICES = ("foreman", "puppet", "migration", "prereq-update", "katello-agent",
                "remove-obsolete-packages", "puppet-enable", "katello-host-tools")

RETIRED_MESSAGE = "the RHN Classic migration path is retired and not supported"


# subscription-manager register options whose values are secrets, when passed through -S.
SMARGS_SECRET_OPTIONS = ("--password", "--activationkey", "--proxypassword")


class OptionSpec(object):
    """One command-line option: its names, value, documentation and status in this version."""

    __slots__ = ("longs", "short", "dest", "type", "default", "choices", "multiple", "metavar",
                 "help", "group", "status", "note", "negation", "secret", "default_text",
                 "record", "bootstrap_py")

    def __init__(self, longs, dest, group, help, short=None, type=STRING, default=None,
                 choices=None, multiple=False, metavar=None, status=SUPPORTED, note=None,
                 negation=None, secret=False, default_text=None, record=GIVEN,
                 bootstrap_py=True):
        self.longs = tuple(longs)
        self.short = short
        self.dest = dest  # bootstrap.py's dest name: the attribute on Options
        self.type = type
        # bootstrap.py's store_true options mostly default to None (optparse's "not given");
        # False is the same answer to every "if options.x" and reads clearer in --json.
        self.default = False if type == FLAG and default is None else default
        self.choices = tuple(choices) if choices else None
        self.multiple = multiple  # repeatable; the values are collected in a list
        self.metavar = metavar
        self.help = help
        self.group = group
        self.status = status
        self.note = note  # the replacement of a deprecated spelling
        self.negation = negation  # the "--no-..." spelling of a flag, storing False
        self.secret = secret  # the value is registered for redaction
        self.default_text = default_text  # how help shows a default computed at run time
        # Whether the enrollment record (/etc/lbenroll/lbenroll.conf) keeps it, for
        # `lbenroll repair` and later runs: GIVEN (when given), ALWAYS, or one of the reasons
        # not to (NOT_RECORDED). Secrets and retired or deprecated spellings never are.
        self.record = record
        # Whether bootstrap.py 1.7.9 (Katello/katello-client-bootstrap, its last release) has
        # the option: False for lbenroll's own; the man page's COMPATIBILITY names those.
        self.bootstrap_py = bootstrap_py

    @property
    def label(self):
        """The option as messages name it: "-s/--server" or "--fqdn"."""
        return "/".join(([self.short] if self.short else []) + list(self.longs))

    @property
    def names(self):
        """Every spelling the parser accepts."""
        return ([self.short] if self.short else []) + list(self.longs) + (
            [self.negation] if self.negation else [])

    @property
    def takes_value(self):
        return self.type not in (FLAG, HELP, VERSION)


def _spec(*args, **kwargs):
    return OptionSpec(*args, **kwargs)


OPTIONS = (
    # Server, credentials, identity (docs/katello-client-facts.md, "bootstrap.py options")
    _spec(["--server"], "balancer", "identity", short="-s", type=HOSTNAME, metavar="FQDN",
          help="Name of the load balancer (or Foreman server or Smart Proxy) to enroll with, "
               "without a scheme; also the default Puppet server and Puppet CA. Required.",
          record=ALWAYS),
    _spec(["--login"], "login", "identity", short="-l", default="admin", metavar="LOGIN",
          help="Foreman API user (HTTP Basic auth)."),
    _spec(["--password"], "password", "identity", short="-p", metavar="PASSWORD", secret=True,
          help="Foreman API password. Visible to other users in the process list: prefer "
               "--password-file, the LBENROLL_PASSWORD environment variable or the prompt "
               "(asked when none is given and stdin is a terminal). Never shown in output."),
    _spec(["--password-file"], "password_file", "identity", type=PATH, metavar="PATH",
          help="File whose first line is the Foreman API password.", bootstrap_py=False),
    _spec(["--fqdn"], "fqdn", "identity", type=HOSTNAME, metavar="FQDN",
          default_text="this host's FQDN (socket.getfqdn())",
          help="Name this host enrolls as. It needs a domain part unless --force or "
               "--skip puppet is given."),
    _spec(["--ip"], "ip", "identity", metavar="IP",
          default_text="the local address used to reach --server",
          help="IPv4 address reported to Foreman."),
    _spec(["--timeout"], "timeout", "identity", short="-t", type=INT, default=900,
          metavar="SECONDS", help="Timeout of each network request, in seconds."),
    _spec(["--verbose"], "verbose", "identity", short="-v", type=FLAG,
          help="Show each step's details; secrets stay masked.",
          record=PER_RUN),

    # Foreman host record (docs/katello-client-facts.md, "bootstrap.py options")
    _spec(["--organization"], "org", "host-record", short="-o", default="Default Organization",
          metavar="ORG",
          help="Organization to register into: its name, or with --skip foreman its label.",
          record=REGISTRATION_ONLY),
    _spec(["--location"], "location", "host-record", short="-L", metavar="LOCATION",
          help="Location title of the host record."),
    _spec(["--hostgroup"], "hostgroup", "host-record", short="-g", metavar="HOSTGROUP",
          help="Host group title of the host record. Required unless --skip foreman."),
    _spec(["--operatingsystem"], "operatingsystem", "host-record", short="-O", metavar="OS",
          help="Operating system title of the host record."),
    _spec(["--partitiontable"], "partitiontable", "host-record", metavar="PTABLE",
          help="Partition table name of the host record."),
    _spec(["--comment"], "comment", "host-record", short="-c", metavar="COMMENT",
          help="Comment on the host record."),
    _spec(["--add-domain"], "add_domain", "host-record", type=FLAG,
          help="Create the host's DNS domain in Foreman (in the organization and location) if "
               "it is missing."),
    _spec(["--unmanaged"], "unmanaged", "host-record", type=FLAG,
          help="Create the host record as unmanaged."),
    _spec(["--force-content-source"], "force_content_source", "host-record", type=FLAG,
          help="Set the host's content source to the Smart Proxy named like --server, else "
               "(behind a balancer the proxies keep their own names) to the lowest-id Smart "
               "Proxy whose URL, registration URL or template URL names --server; none found: "
               "a note, and the content source is left as it is."),
    _spec(["--skip-foreman"], "no_foreman", "host-record", type=FLAG, status=DEPRECATED,
          note="--skip foreman", help="Old spelling of --skip foreman."),
    _spec(["--content-only"], "content_only", "host-record", type=FLAG,
          help="Enroll for content only, without a Foreman host record: the same as "
               "--skip foreman.",
          record=FOLDED),

    # Registration (docs/katello-client-facts.md, "bootstrap.py options")
    _spec(["--activationkey"], "activationkey", "registration", short="-a", metavar="KEY",
          secret=True,
          help="Activation key (or comma-separated keys) for subscription-manager. Needed only "
               "when the host has to be registered."),
    _spec(["--release"], "release", "registration", short="-r", metavar="RELEASE",
          help="Release to lock the host to when registering.",
          record=REGISTRATION_ONLY),
    _spec(["--subscription-manager-args"], "smargs", "registration", short="-S", default="",
          metavar="ARGS",
          help="Extra arguments for 'subscription-manager register', split into words like a "
               "shell does.",
          record=REGISTRATION_ONLY),
    _spec(["--rhn-migrate-args"], "rhsmargs", "registration", default="", metavar="ARGS",
          status=RETIRED, help="Extra arguments for rhn-migrate-classic-to-rhsm."),
    _spec(["--force"], "force", "registration", short="-f", type=FLAG,
          help="Re-enroll a host that is registered elsewhere; also accepts an FQDN without a "
               "domain.",
          record=REGISTRATION_ONLY),
    _spec(["--ignore-registration-failures"], "ignore_registration_failures", "registration",
          type=FLAG, help="Report a failed registration as a warning instead of failing.",
          record=REGISTRATION_ONLY),
    _spec(["--preserve-rhsm-proxy"], "preserve_rhsm_proxy", "registration", type=FLAG,
          help="Keep the proxy settings of rhsm.conf's [server] section (bootstrap.py's "
               "protection against the consumer RPM's script). lbenroll keeps them whether or not "
               "it is given: the script never runs, and lbenroll changes no proxy_* key."),
    _spec(["--enablerepos"], "enablerepos", "registration", type=COMMA_LIST, metavar="REPOS",
          help="Comma-separated repository ids to enable after registering.",
          record=ONE_OFF),
    _spec(["--download-method"], "download_method", "registration", type=CHOICE,
          choices=("http", "https"), default="https", metavar="METHOD",
          help="Scheme used to download the consumer RPM from --server at first contact, "
               "unverified. Whenever a Katello CA is known (the host trusts one, --ca-file, or "
               "a pinned server CA) the download is HTTPS, verified against it."),
    _spec(["--legacy-login"], "legacy_login", "registration", default="admin", metavar="LOGIN",
          status=RETIRED, help="RHN Classic / Satellite 5 user."),
    _spec(["--legacy-password"], "legacy_password", "registration", metavar="PASSWORD",
          secret=True, status=RETIRED, help="RHN Classic / Satellite 5 password."),
    _spec(["--legacy-purge"], "legacy_purge", "registration", type=FLAG, status=RETIRED,
          help="Delete the RHN Classic / Satellite 5 profile while migrating."),

    # Puppet (docs/katello-client-facts.md, "bootstrap.py options")
    _spec(["--puppet-server"], "puppet_server", "puppet", type=HOSTNAME, metavar="FQDN",
          default_text="--server", help="'server' in puppet.conf."),
    _spec(["--puppet-ca-server"], "puppet_ca_server", "puppet", type=HOSTNAME, metavar="FQDN",
          default_text="--server", help="'ca_server' in puppet.conf."),
    _spec(["--puppet-ca-port"], "puppet_ca_port", "puppet", type=PORT, metavar="PORT",
          default_text="no ca_port line",
          help="'ca_port' in puppet.conf, for balancers that forward the Puppet CA on a port of "
               "its own (8141 in the usual layout)."),
    _spec(["--puppet-noop"], "puppet_noop", "puppet", type=FLAG,
          help="Set 'noop = true' in puppet.conf."),
    _spec(["--skip-puppet"], "no_puppet", "puppet", short="-P", type=FLAG, status=DEPRECATED,
          note="--skip puppet", help="Old spelling of --skip puppet."),

    # Remote execution (docs/katello-client-facts.md, "bootstrap.py options")
    _spec(["--rex"], "remote_exec", "rex", type=FLAG,
          help="Install the Smart Proxies' remote execution SSH public keys. Without "
               "--rex-proxies, --rex-urlkeyfile or --rex-apikeys they come from "
               "https://SERVER:9090/ssh/pubkey, "
               "fetched until more fetches bring no new key, so that the key of every proxy "
               "behind the balancer is installed. When the proxies publish an SSH CA "
               "(:9090/ssh/ca_pubkey), sshd is set to trust it instead (TrustedUserCAKeys), as "
               "Global Registration does."),
    _spec(["--rex-user"], "remote_exec_user", "rex", default="root", metavar="USER",
          help="User whose authorized_keys receives the keys. A symbolic link in that "
               "user's home (~/.ssh, authorized_keys) is never followed: the step fails "
               "(exit 73) and root's files stay untouched."),
    _spec(["--rex-proxies"], "remote_exec_proxies", "rex", type=COMMA_LIST, metavar="PROXIES",
          help="Comma-separated Smart Proxies to fetch keys from, each from "
               "https://PROXY:9090/ssh/pubkey."),
    _spec(["--rex-urlkeyfile"], "remote_exec_url", "rex", type=URL, metavar="URL",
          help="HTTPS URL of a file of public keys to install."),
    _spec(["--rex-apikeys"], "remote_exec_apikeys", "rex", type=FLAG,
          help="With --rex: install the remote execution key of every Smart Proxy that "
               "Foreman's API lists (all pages), asked through --server with -l/--login and "
               "the API password (needed even with --skip foreman). The proxies' SSH CAs come "
               "from the same listing (remote_execution_ca_pubkey), and the key of a proxy "
               "whose CA sshd trusts is left out, as Foreman does. --rex-proxies and "
               "--rex-urlkeyfile come first."),
    _spec(["--rex-authpath"], "remote_exec_authpath", "rex", type=PATH, metavar="PATH",
          default_text="~USER/.ssh/authorized_keys", help="File the keys are added to."),

    # Packages, steps, modes (docs/katello-client-facts.md, "bootstrap.py options")
    _spec(["--skip"], "skip", "steps", type=CHOICE, choices=SKIP_CHOICES, multiple=True,
          default=(), metavar="STEP",
          help="Skip a step; repeatable. 'foreman' also leaves out installing, signing and "
               "enabling the Puppet agent but, unlike bootstrap.py, not puppet.conf's balancer "
               "settings; 'katello-agent' is accepted with a warning and, except with --remove "
               "(keep katello-agent and gofer), does nothing; 'migration' is accepted and does "
               "nothing.",
          record=ALWAYS),
    _spec(["--update"], "update", "steps", short="-u", type=FLAG,
          help="Update all packages after registering.",
          record=ONE_OFF),
    _spec(["--install-packages"], "install_packages", "steps", type=COMMA_LIST,
          metavar="PACKAGES",
          help="Comma-separated packages to install at the end."),
    _spec(["--install-katello-agent"], "install_katello_agent", "steps", type=FLAG,
          help="Install katello-agent and start goferd."),
    _spec(["--remove-obsolete-packages"], "removepkgs", "steps", short="-R", type=FLAG,
          default=True, negation="--no-remove-obsolete-packages",
          help="Remove RHN Classic, RHUI and Spacewalk client packages (the default, so -R "
               "changes nothing). --no-remove-obsolete-packages is the same as "
               "--skip remove-obsolete-packages.",
          record=FOLDED),
    _spec(["--deps-repository-url"], "deps_repository_url", "steps", type=URL, metavar="URL",
          help="Repository to install subscription-manager from.",
          record=ONE_OFF),
    _spec(["--deps-repository-gpg-key"], "deps_repository_gpg_key", "steps", type=URL,
          default="file:///etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release", metavar="URL",
          help="GPG key of that repository.",
          record=ONE_OFF),
    _spec(["--remove"], "remove", "steps", type=FLAG,
          help="Unenroll: unregister, delete the Foreman host record through --server (not "
               "with --skip foreman, which makes --server optional), take back lbenroll's "
               "own edits of every file it changed and keep everyone else's (a file where "
               "that cannot be done safely is left alone with a note; exit 3), and remove "
               "the consumer RPM and, unless "
               "skipped, katello-agent, katello-host-tools and puppet-agent. Needs no "
               "activation key.",
          record=ONE_OFF),
    _spec(["--new-capsule"], "new_capsule", "steps", type=FLAG,
          help="Move a registered host to another balancer or Smart Proxy, named by --server: "
               "rhsm.conf, redhat.repo, puppet.conf (the old ca_port is removed unless "
               "--puppet-ca-port is given), gofer, yggdrasil and foreman_scap_client follow it, "
               "and the Foreman host record's content source, Puppet proxies and OpenSCAP proxy "
               "are set to its Smart Proxy. Never "
               "registers: the identity and the Puppet certificate are kept. -g and -L switch "
               "the host group and location when given.",
          record=ONE_OFF),

    # lbenroll's own
    _spec(["--dry-run"], "dry_run", "lbenroll", type=FLAG,
          help="Show every file change and command without changing anything.",
          record=PER_RUN, bootstrap_py=False),
    _spec(["--json"], "json", "lbenroll", type=FLAG, help="Print the report as JSON.",
          record=PER_RUN, bootstrap_py=False),
    _spec(["--root"], "root", "lbenroll", type=DIR, default="/", metavar="DIR",
          help="Manage the system installed under DIR (an existing directory only root can "
               "change), like rpm --root.",
          record=PER_RUN, bootstrap_py=False),
    _spec(["--ca-fingerprint"], "ca_fingerprint", "lbenroll", type=FINGERPRINT,
          metavar="SHA256", multiple=True, default=(),
          help="SHA-256 fingerprint of a Katello CA certificate: 64 hex digits, colons "
               "optional; repeat it for each CA (Katello with custom certificates has a server "
               "CA and a default CA). Every CA in the consumer RPM must be pinned, given with "
               "--ca-file, or already trusted by the host; else nothing changes. A pinned server "
               "CA is also what the consumer RPM's HTTPS download is verified against.",
          bootstrap_py=False),
    _spec(["--ca-file"], "ca_file", "lbenroll", type=PATH, metavar="PATH",
          help="PEM file with the Katello CA certificate(s), brought over a trusted channel (a "
               "kickstart, a configuration tool): the consumer RPM is then downloaded over "
               "HTTPS verified against it, and each of its CAs must be in the file, pinned, or "
               "already trusted. Read once; not recorded for repair.",
          record=ONE_OFF, bootstrap_py=False),
    _spec(["--rotate-ca"], "rotate_ca", "lbenroll", type=FLAG,
          help="Accept a Katello CA other than the one this host trusts (the Katello CA was "
               "replaced). Needs the new CAs pinned with --ca-fingerprint or given with "
               "--ca-file; --force never does this.",
          record=ONE_OFF, bootstrap_py=False),
    # Foreman's registration installs openvox-agent with the host parameter enable-openvox8 (or
    # enable-openvox7); docs/katello-client-facts.md, "Parity with Global Registration".
    _spec(["--puppet-package"], "puppet_package", "lbenroll", type=CHOICE,
          choices=host.PUPPET_AGENT_PACKAGES, metavar="PACKAGE",
          default_text="the one installed, else puppet-agent",
          help="The Puppet agent's package: puppet-agent, or OpenVox's openvox-agent (Foreman "
               "supports OpenVox since 3.16; its repository must be enabled, e.g. with "
               "--enablerepos). Without it a host that has openvox-agent keeps it and any other "
               "gets puppet-agent, as with bootstrap.py. Both use the same paths and the "
               "`puppet` service; --remove removes whichever is installed.",
          bootstrap_py=False),
    # Global Registration sets rhsm.manage_repos = 1 (docs/katello-client-facts.md, "Parity with
    # Global Registration"); an admin who turned it off on purpose keeps it off with this.
    _spec(["--preserve-manage-repos"], "preserve_manage_repos", "lbenroll", type=FLAG,
          help="Leave rhsm.conf's rhsm.manage_repos as it is. Without it lbenroll sets it to 1, "
               "as Global Registration does, so that subscription-manager writes redhat.repo "
               "(a cloud image registered to Red Hat has 0); the report says when it was 0. "
               "Kept at 0, the host gets no repository from the server: packages lbenroll "
               "installs (katello-host-tools, the Puppet agent) must come from its own.",
          bootstrap_py=False),
    # Global Registration's "Set up container registry certs" (docs/katello-client-facts.md,
    # "Container and Flatpak content").
    _spec(["--container-registry-certs"], "container_registry_certs", "lbenroll", type=FLAG,
          help="Let podman, and flatpak's OCI remotes, pull from the balancer's container "
               "registry with this host's certificate, as Global Registration's container "
               "registry setup does: /etc/containers/certs.d/NAME/ gets ca-bundle.crt, "
               "client.cert and client.key, links to the system CA bundle and to the host's "
               "newest entitlement certificate, for the balancer and each name in "
               "--container-registry-proxies. Kept right by every run and repair (an "
               "entitlement certificate renewed under a new name is linked again); undone by "
               "--remove.", bootstrap_py=False),
    _spec(["--container-registry-proxies"], "container_registry_proxies", "lbenroll",
          type=COMMA_LIST, metavar="PROXIES",
          help="Comma-separated names of the Smart Proxies behind the balancer, set up as well "
               "(pull commands in the Katello UI name a proxy); implies "
               "--container-registry-certs. `lbenroll diagnose` lists the proxies. Without it, "
               "an enrollment with the Foreman API (-g and the API password) sets up the content "
               "proxies whose registration URL names the balancer, Katello's load-balanced "
               "proxies; a content-only host needs this list.",
          bootstrap_py=False),
    # Global Registration's "Set up REX pull mode" (docs/katello-client-facts.md, "Setting up
    # pull-mode remote execution").
    _spec(["--rex-pull"], "remote_exec_pull", "lbenroll", type=FLAG,
          help="Set up remote execution in pull mode, as Global Registration's pull-mode setup "
               "does: install foreman_ygg_worker (and yggdrasil), point yggdrasil's "
               "/etc/yggdrasil/config.toml at the balancer's MQTT broker "
               "(mqtts://SERVER:1883) with this host's consumer certificate and key and "
               "rhsm.conf's repo_ca_cert, and enable its service (yggdrasild, or yggdrasil "
               "from yggdrasil 0.3 on), restarted only when the file changed. Needs the host "
               "registered to Katello (rhsm.conf prefix /rhsm). Kept right by every run and "
               "repair; --remove takes back the file's edits and the packages and service "
               "enablement lbenroll added.", bootstrap_py=False),
    # Global Registration's "Insights" (setup_insights; docs/katello-client-facts.md,
    # "OpenSCAP and Insights through the balancer").
    _spec(["--insights"], "insights", "lbenroll", type=FLAG,
          help="Install insights-client and register it (`insights-client --register`, only "
               "while /etc/insights-client/.registered is absent), as Global Registration's "
               "Insights setup does; Red Hat Enterprise Linux only. insights-client finds the "
               "balancer through rhsm.conf. Kept by repair; --remove leaves the package and "
               "its registration (run `insights-client --unregister` first to end it).",
          bootstrap_py=False),
    _spec(["--log-file"], "log_file", "lbenroll", type=PATH, default=host.DEFAULT_LOG_FILE,
          metavar="PATH", help="File the detailed log is appended to.",
          record=PER_RUN, bootstrap_py=False),
    _spec(["--version"], None, "lbenroll", type=VERSION, help="Print the version and exit."),
    _spec(["--help"], None, "lbenroll", short="-h", type=HELP,
          help="Show this help and exit."),
)

BY_DEST = dict((spec.dest, spec) for spec in OPTIONS if spec.dest)


def status_text(spec):
    """How help and the man page mark an option that is not plainly supported, or None."""
    if spec.status == RETIRED:
        return "retired: RHN Classic migration"
    if spec.status == DEPRECATED:
        return "deprecated: use %s" % spec.note
    return None


def default_text(spec):
    """The default as help shows it, or None when there is nothing worth showing."""
    if spec.default_text:
        return spec.default_text
    if spec.type == FLAG or spec.default in (None, "", ()):
        return None
    return str(spec.default)


def help_text(spec):
    """The full help of one option: status, description, choices and default."""
    parts = []
    status = status_text(spec)
    if status:
        parts.append("[%s]" % status)
    parts.append(spec.help)
    if spec.choices:
        parts.append("One of: %s." % ", ".join(spec.choices))
    default = default_text(spec)
    if default:
        parts.append("[default: %s]" % default)
    return " ".join(parts)


class Options(object):
    """Validated options: one attribute per dest, the derived fields, warnings and secrets.

    Derived: `skip` (a set: the steps the user chose to skip, with the deprecated flags folded
    in), `foreman_skipped` (by --skip foreman, or `foreman_left_alone`: why lbenroll itself
    leaves the host record alone, a choice nobody typed and so never in `skip` nor recorded),
    `fqdn_hostname`/`fqdn_domain`, `smargs` (a list of words); `puppet_server` and
    `puppet_ca_server` default to `balancer` (--server). The flags that only add a --skip
    value (no_foreman, content_only, no_puppet, removepkgs) keep their parsed value; read `skip`.
    """

    # Every field is declared: one per option of the table, then the derived ones. A name
    # nobody declared (a typo, a field added from outside) is an AttributeError, not a new field.
    __slots__ = tuple(spec.dest for spec in OPTIONS if spec.dest) + (
        "warnings", "notes", "from_record", "secrets", "given", "recorded_in", "host_state",
        "foreman_skipped", "foreman_left_alone", "fqdn_hostname", "fqdn_domain", "ca_file_pems")

    def __init__(self, values):
        for dest, value in values.items():
            setattr(self, dest, value)
        self.ca_file_pems = []  # the certificates of --ca-file, read by validate()
        self.foreman_skipped = None  # set by validate() from skip
        self.foreman_left_alone = None  # why the host state leaves the host record alone
        self.fqdn_hostname = self.fqdn_domain = None  # set by check_fqdn()
        self.warnings = []  # printed to stderr by cli before anything runs
        self.notes = []  # likewise, as "note:": what the run takes from the host's state
        self.from_record = ()  # the dests whose values came from the enrollment record
        self.secrets = []  # values every message must redact
        self.given = frozenset()  # the dests given explicitly, as opposed to defaulted
        self.recorded_in = None  # `lbenroll repair`: the file these options were read from
        self.host_state = None  # hoststate.HostState the options were checked against


def validate(values, host_state=None, from_record=()):
    """Check the values the user gave (a dict dest -> value) and return an Options.

    Options not in `values` take their default, so an explicitly given option can be told from
    a default one (a not-yet option is refused only when given). host_state (hoststate.py) is
    what the host is: with it, what registering needs is checked against what the host already
    has; from_record names the values taken from the enrollment record. Raises UsageError.
    """
    unknown = sorted(set(values) - set(BY_DEST))
    if unknown:
        raise ValueError("not option dests: %s" % ", ".join(unknown))
    _refuse_unavailable(set(values))
    options = Options(_complete(values))
    options.given = frozenset(values)
    options.from_record = tuple(from_record)
    options.secrets = _secrets(options)
    _fold_skips(options)
    # In the order a person reads a command line (issue 19): first each value on its own (host
    # names, numbers, files), then how the options go together, then what the host's state
    # requires of them.
    _check_hostnames(options)
    _check_numbers(options)
    _check_activation_keys(options)
    options.root = checked_root(options.root)
    _normalise_fingerprint(options)
    _check_ca_file(options)
    _check_password_file(options)
    _split_smargs(options)
    _require_server(options)
    _check_new_capsule(options)
    if host_state is None:
        _require_hostgroup(options)
    else:
        _check_registration_needs(options, host_state)
    _check_rex_apikeys(options)
    options.host_state = host_state
    _default_puppet_servers(options)
    if options.fqdn is not None:
        check_fqdn(options)
    return options


def _refuse_unavailable(given):
    retired = [spec.label for spec in OPTIONS if spec.dest in given and spec.status == RETIRED]
    if retired:
        raise UsageError("%s: %s" % (", ".join(retired), RETIRED_MESSAGE),
                         fix="leave it out; lbenroll registers with subscription-manager only")


def _complete(values):
    """Every dest with the given value (type-checked) or the default."""
    complete = {}
    for dest, spec in BY_DEST.items():
        if dest in values:
            complete[dest] = _convert(spec, values[dest])
        elif spec.multiple:
            complete[dest] = list(spec.default)
        else:
            complete[dest] = spec.default
    return complete


def _convert(spec, value):
    # The parser already converted these; checking again keeps validate() usable on its own.
    shown = "the given value" if spec.secret else repr(value)
    if spec.type == INT:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise UsageError("%s: %s is not a whole number" % (spec.label, shown)) from None
    if spec.multiple:
        value = list(value)
    for item in (value if spec.multiple else [value]):
        if spec.choices and item not in spec.choices:
            raise UsageError("%s: %r is not a valid choice" % (spec.label, item),
                             fix="use one of: %s" % ", ".join(spec.choices))
    return value


def _secrets(options):
    secrets = []
    for spec in OPTIONS:
        value = getattr(options, spec.dest) if spec.secret else None
        if value:
            # subscription-manager takes comma-separated activation keys; mask each one too,
            # as register hands it over (stripped: "ak-one, ak-two" gives it "ak-two").
            secrets += [value] + [part for part in comma_list(value) if part != value]
    # The proxy settings lbenroll and its children use (http_proxy, https_proxy, as urllib
    # reads them): a password in one would otherwise show in a connection error's text.
    import urllib.request
    for url in list(urllib.request.getproxies().values()) + [
            getattr(options, "remote_exec_url", None)]:
        secrets += userinfo_secrets(url)
    return secrets


def _fold_skips(options):
    """Map the flags that mean a --skip value onto `skip`, warning about deprecated ones."""
    skip = set(options.skip)
    for spec, value in ((BY_DEST["no_foreman"], "foreman"), (BY_DEST["no_puppet"], "puppet")):
        if getattr(options, spec.dest):
            skip.add(value)
            options.warnings.append("%s is deprecated; use %s" % (spec.label, spec.note))
    if options.content_only:
        skip.add("foreman")
    if not options.removepkgs:
        skip.add("remove-obsolete-packages")
    if "katello-agent" in skip and not options.remove:  # --remove: keep katello-agent
        options.warnings.append("--skip katello-agent is deprecated and does nothing: "
                                "katello-agent is installed only with --install-katello-agent")
    options.skip = skip
    # Deliberately unlike bootstrap.py, a skipped Foreman does not skip puppet.conf: the
    # balancer settings there do not depend on a host record (the Puppet agent steps check
    # foreman_skipped themselves). Only --skip puppet skips them all.
    options.foreman_skipped = "foreman" in skip


def _require_server(options):
    # bootstrap.py's rule: a removal needs the server only to delete the Foreman host record.
    if options.remove and not options.balancer and not options.foreman_skipped:
        raise UsageError("--remove needs -s/--server to delete the Foreman host record",
                         fix="give the load balancer's name, or add --skip foreman to leave the "
                             "host record alone")
    if not options.balancer and not options.remove:
        raise UsageError("-s/--server is required",
                         fix="give the load balancer's name, e.g. -s lb.example.com")


def _check_new_capsule(options):
    # --new-capsule moves a host and keeps its identity; --force would register it again.
    if options.new_capsule and options.force:
        raise UsageError("--new-capsule keeps this host's registration and --force registers it "
                         "again: they cannot be combined",
                         fix="leave out --force to move the host, or --new-capsule to enroll it "
                             "again")
    # bootstrap.py silently lets --remove win; moving a host that is being removed means nothing.
    if options.new_capsule and options.remove:
        raise UsageError("--new-capsule moves this host and --remove unenrolls it: they cannot "
                         "be combined", fix="give one of them")


def _require_hostgroup(options):
    # bootstrap.py's rule: a host record needs a host group. Moving a host only switches it,
    # and only when -g is given.
    if not (options.foreman_skipped or options.hostgroup or options.new_capsule
            or options.remove):
        raise UsageError("-g/--hostgroup is required for the Foreman host record",
                         fix="give the host group title, e.g. -g lab/web, or add --skip foreman")


def _check_registration_needs(options, host_state):
    """Everything a run on this host needs and the command line lacks, in one usage error.

    A host that is enrolled or registered already needs no activation key; without -g it keeps
    its Foreman host record as it is (the run is content-only), so the command a user knows,
    `lbenroll --server BALANCER`, repairs it. A fresh host needs what registering takes.
    """
    if options.new_capsule and not (host_state.registered or host_state.enrolled):
        raise UsageError("--new-capsule moves an enrolled host, and this host was never "
                         "enrolled (no %s, no consumer certificate)" % host_state.record_path,
                         fix="enroll it instead: %s" % enroll_command(options))
    if options.remove or options.new_capsule:
        return
    registered = host_state.registered
    known = registered or host_state.enrolled
    missing = []
    if not (options.foreman_skipped or options.hostgroup):
        if known:
            leave_host_record_alone(options, "no -g")
            options.notes.append("no -g/--hostgroup: the Foreman host record is left as it is "
                                 "(give -g and the API password to create or update it)")
        else:
            missing.append("-g HOSTGROUP (or --skip foreman)")
    # --force on a registered host needs a key too, but not here: this error tells a
    # registered host it needs none of these, and PREFLIGHT's names --force as the reason.
    if not registered:
        if not options.activationkey:
            missing.append("-a KEY")
        if options.foreman_skipped and "org" not in options.given:
            missing.append("-o ORG_LABEL")
    if missing:
        raise UsageError("%s %s needed to register this host" % (
            " and ".join(missing), "is" if len(missing) == 1 else "are"),
            fix="add %s; a host that is registered already needs none of them" % (
                " ".join(missing)))


def enroll_command(options):
    """The enrollment command for a fresh host through options' balancer, as a fix shows it:
    the options given that enrolling uses, placeholders for what registering still needs."""
    words = ["lbenroll", "--server", options.balancer or "BALANCER"]
    if options.foreman_skipped:
        words += ["-o", options.org if "org" in options.given else "ORG_LABEL",
                  "--skip", "foreman"]
    else:
        words += ["-o", options.org if "org" in options.given else "ORG",
                  "-g", options.hostgroup or "HOSTGROUP"]
    words += ["-a", "KEY"]
    return " ".join(shlex.quote(word) if word not in ("ORG", "ORG_LABEL", "HOSTGROUP", "KEY",
                                                      "BALANCER") else word for word in words)


def leave_host_record_alone(options, reason):
    """Content-only because of what the host is, not because the user said --skip foreman: the
    FOREMAN_HOST step reports the reason, and the record keeps --skip as the user gave it."""
    options.foreman_skipped = True
    options.foreman_left_alone = reason


def rex_keys_from_api(options):
    """Whether --rex takes its keys from Foreman's API: --rex-apikeys, and no source before it."""
    return bool(options.remote_exec and options.remote_exec_apikeys
                and not options.remote_exec_proxies and not options.remote_exec_url)


def _check_rex_apikeys(options):
    # bootstrap.py ignores an --rex-apikeys it does not use; say so instead.
    if not options.remote_exec_apikeys or rex_keys_from_api(options):
        return
    if not options.remote_exec:
        options.warnings.append("--rex-apikeys does nothing without --rex")
    else:
        options.warnings.append("--rex-apikeys is not used: %s comes first" % (
            "--rex-proxies" if options.remote_exec_proxies else "--rex-urlkeyfile"))


def needs_password(options):
    """Whether the run needs the Foreman API password: Foreman mode, and --rex-apikeys."""
    return not options.foreman_skipped or rex_keys_from_api(options)


def take_password(options, found):
    """The password credentials.password found (None: none) for options that need one; a
    Foreman-mode record without one goes on content-only, with a note. Raises UsageError."""
    if not needs_password(options):
        return
    options.password = found
    if (not found and "hostgroup" in options.from_record
            and not rex_keys_from_api(options)):
        # A bare re-run of a Foreman-mode enrollment, say from the timer's shell: the host
        # record was made when the host was enrolled; everything else can still be repaired.
        leave_host_record_alone(options, "no API password")
        options.notes.append("no Foreman API password: the Foreman host record is left as it "
                             "is (give --password-file or %s to check it too)" % PASSWORD_ENV)
        if options.host_state is not None:
            # Content-only now: registering needs the organization's label too.
            _check_registration_needs(options, options.host_state)
        return
    if not found:
        raise UsageError("the Foreman API password is missing" if not options.foreman_skipped
                         else "--rex-apikeys needs the Foreman API password (even with "
                              "--skip foreman)", fix=PASSWORD_FIX)
    if found not in options.secrets:
        options.secrets.append(found)


def _check_hostnames(options):
    for dest in ("balancer", "puppet_server", "puppet_ca_server", "fqdn"):
        name = getattr(options, dest)
        if name is not None and not is_hostname(name):
            raise UsageError("%s: %r is not a host name" % (BY_DEST[dest].label, name),
                             fix=_hostname_fix(BY_DEST[dest], name))
    # Each name becomes a directory under /etc/containers/certs.d.
    for name in container_registry_names(options)[1:]:
        if not is_hostname(name):
            raise UsageError("--container-registry-proxies: %r is not a host name" % name,
                             fix="give the proxies' names only, comma-separated")
    if options.container_registry_proxies:
        options.container_registry_certs = True


def _hostname_fix(spec, name):
    """How to give spec a host name instead of name: the name inside a URL or name:port, else
    the characters a host name has."""
    option = spec.short or spec.longs[0]
    inner = host_of(name if "://" in name else "name://" + name)
    if ("/" in name or ":" in name) and inner and is_hostname(inner):
        return "give the name only, without a scheme, port or path: %s %s" % (option, inner)
    return ("a host name has only letters, digits, '-', '_' and dots, e.g. %s lb.example.com"
            % option)


def is_hostname(name):
    """Whether name is a host name as lbenroll takes one: no scheme, port, path or space."""
    return bool(re.match(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*$", name)) and ".." not in name


def comma_list(text, empties=False):
    """The items of a comma-separated value (a COMMA_LIST option, a multiple option's record
    line, the activation keys), stripped, in the order given; None is no item. Empty items are
    dropped unless empties: subscription-manager is handed each activation key as given.
    diagnose --proxies has a splitter of its own (sources.from_option): spaces separate there."""
    items = [item.strip() for item in (text or "").split(",")]
    return items if empties else [item for item in items if item]


def container_registry_names(options):
    """The balancer, then each name of --container-registry-proxies not already listed."""
    names = [options.balancer] if options.balancer else []
    for name in comma_list(options.container_registry_proxies):
        if name.lower() not in (seen.lower() for seen in names):
            names.append(name)
    return names


def _default_puppet_servers(options):
    options.puppet_server = options.puppet_server or options.balancer
    options.puppet_ca_server = options.puppet_ca_server or options.balancer


def _check_numbers(options):
    if options.timeout <= 0:
        raise UsageError("-t/--timeout: %d is not a positive number of seconds" % options.timeout)
    port = options.puppet_ca_port
    if port is not None:
        # Kept a string like bootstrap.py's, but it must be a port puppet can use.
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            raise UsageError("--puppet-ca-port: %r is not a port number" % port,
                             fix="give a number from 1 to 65535, e.g. --puppet-ca-port 8141")
        options.puppet_ca_port = str(int(port))


def _check_activation_keys(options):
    """-a with an empty item ("ak,", "ak,,ak2"): subscription-manager would be handed an empty
    key. The keys are secrets: the message counts them, never shows them."""
    if options.activationkey is None:
        return
    keys = comma_list(options.activationkey, empties=True)
    empty = [str(number) for number, key in enumerate(keys, 1) if not key]
    fix = "give the keys separated by single commas, e.g. -a ak-base,ak-web"
    if empty == ["1"] and len(keys) == 1:
        raise UsageError("-a/--activationkey is empty", fix=fix)
    if empty:
        raise UsageError("-a/--activationkey: %s %s of the %d comma-separated keys %s empty" % (
            "item" if len(empty) == 1 else "items", " and ".join(empty), len(keys),
            "is" if len(empty) == 1 else "are"), fix=fix)


def checked_root(root):
    """--root made absolute, or UsageError: the one rule of the enrollment, repair and diagnose."""
    if not os.path.isdir(root):
        raise UsageError("--root: %s is not an existing directory" % root,
                         fix="give the directory the host's system is mounted on, e.g. --root "
                             "/mnt/sysimage, or leave --root out for this host")
    root = os.path.abspath(root)
    if root == "/":
        # The host itself (the default): nothing to hold it to (in a user namespace, / shows
        # as the overflow user's).
        return root
    # lbenroll acts below DIR as root, and keeps its lock, log and backup store there: a DIR a
    # user can change (theirs, or writable by others) could hold links that user made.
    try:
        # The walk to a name inside DIR ends in DIR itself: trusted by diskio's rule (owned by
        # root, or whoever runs lbenroll, and so is every directory on the way), and not
        # writable by others even with the sticky bit: a user could make DIR/var, where
        # lbenroll keeps its state.
        parent, _name = diskio.walk_to(os.path.join(root, "lbenroll-root-check"))
        with parent:
            trusted = parent.trusted and not os.fstat(parent.fd).st_mode & 0o022
    except LbenrollError:
        trusted = False
    if not trusted:
        raise UsageError("--root: %s, or a directory on the way to it, can be changed by a user "
                         "other than root (its owner, or others may write to it)" % root,
                         fix="give a directory only root can change (chown root:root, chmod "
                             "go-w), such as the mount point of the installed system")
    return root


def _normalise_fingerprint(options):
    given = options.ca_fingerprint
    if isinstance(given, str):  # one value, as an older record or a caller gives it
        given = [given]
    pins = []
    for fingerprint in given or ():
        plain = fingerprint.replace(":", "").lower()
        if not re.match(r"^[0-9a-f]{64}$", plain):
            raise UsageError("--ca-fingerprint: %r is not a SHA-256 fingerprint" % fingerprint,
                             fix="give 64 hex digits, with or without colons, e.g. the output "
                                 "of 'openssl x509 -noout -fingerprint -sha256'")
        if plain not in pins:
            pins.append(plain)
    options.ca_fingerprint = pins


def _check_password_file(options):
    # Read here too, with the message diagnose and repair give, so that a file that cannot be
    # read is refused with the other values, before what the host's state requires.
    if options.password_file is not None:
        credentials.first_line(options.password_file)


MAX_CA_FILE = 1 << 20  # a bundle of a few CAs is a few kB


def _check_ca_file(options):
    """--ca-file holds PEM certificates only, each one OpenSSL parses: read once, here, so that a
    bad file changes nothing. Their PEMs go to options.ca_file_pems."""
    options.ca_file_pems = []
    if options.rotate_ca and not (options.ca_fingerprint or options.ca_file):
        raise UsageError("--rotate-ca needs the new Katello CA pinned or given",
                         fix="add --ca-fingerprint SHA256 (one per CA) or --ca-file PATH")
    path = options.ca_file
    if path is None:
        return
    import ssl
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_CA_FILE + 1)
    except OSError as exc:
        raise UsageError("--ca-file: cannot read %s: %s" % (path, exc.strerror or exc)) from None
    text = data.decode("ascii", "replace")
    pems = re.findall(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", text, re.S)
    rest = re.sub(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", "", text,
                  flags=re.S)
    if len(data) > MAX_CA_FILE or not pems or rest.strip():
        raise UsageError("--ca-file: %s is not a file of PEM certificates" % path,
                         fix="give the Katello CA certificate(s) in PEM form, e.g. the "
                             "server's /etc/pki/katello/certs/katello-server-ca.crt")
    for pem in pems:
        try:
            ssl.create_default_context(cadata=pem)
        except (ssl.SSLError, ValueError):
            raise UsageError("--ca-file: %s holds a certificate that does not parse" % path,
                             fix="give the Katello CA certificate(s) in PEM form") from None
        options.ca_file_pems.append(pem + "\n")


def check_fqdn(options):
    """Split --fqdn (given, or found by credentials.host_fqdn) and apply bootstrap.py's rule."""
    hostname, _, domain = options.fqdn.partition(".")
    options.fqdn_hostname = hostname
    options.fqdn_domain = domain or None
    # bootstrap.py's rule: Puppet certificates and Foreman need a domain. A removal creates
    # neither; the name only finds the host record.
    if options.fqdn_domain is None and not (options.force or options.remove
                                            or "puppet" in options.skip):
        raise UsageError("the host name %r has no domain part" % options.fqdn,
                         fix="give the fully qualified name with --fqdn, or add --force or "
                             "--skip puppet")


def _split_smargs(options):
    try:
        words = shlex.split(options.smargs)
    except ValueError:
        # No value in the message: it may hold a password.
        raise UsageError("-S/--subscription-manager-args cannot be split into words",
                         fix="check its quotes") from None
    for index, word in enumerate(words):
        option, equals, value = word.partition("=")
        if option not in SMARGS_SECRET_OPTIONS:
            continue
        if not equals and index + 1 < len(words):
            value = words[index + 1]
        if value:
            options.secrets.append(value)
    options.smargs = words
