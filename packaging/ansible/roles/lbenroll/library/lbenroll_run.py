"""lbenroll_run, the lbenroll role's own module: builds lbenroll's command line for a role state,
runs it with --json, and reports lbenroll's own "changed". The Foreman API password reaches
lbenroll in its environment (LBENROLL_PASSWORD), never on a command line: Ansible's
`environment:` keyword would put it on the remote shell's command line, which -vvv prints."""
import json
import os

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: lbenroll_run
short_description: Run lbenroll for a role state and report what it changed
description:
  - Runs lbenroll with C(--json) to enroll (I(state=present)), unenroll (I(state=absent),
    C(--remove)) or move to another balancer (I(state=reconnect), C(--new-capsule)).
  - C(changed) is lbenroll's own report (a step changed something); a second run of the same
    state changes nothing and reports ok. In check mode lbenroll runs with C(--dry-run).
  - The API password is handed to lbenroll in its environment (C(LBENROLL_PASSWORD)), the
    activation key as C(--activationkey) to lbenroll itself; both are no_log parameters, so
    Ansible masks them in every result, and lbenroll masks them in its report and log.
  - Exit 3 (warnings) is success; each warning is shown as an Ansible warning.
options:
  executable:
    description: The lbenroll program.
    type: path
    default: /usr/bin/lbenroll
  state:
    description: present enrolls, absent runs C(--remove), reconnect runs C(--new-capsule).
    type: str
    choices: [present, absent, reconnect]
    default: present
  server:
    description: The load balancer (C(--server)); for reconnect the one to move to.
    type: str
  organization:
    description: Organization label (C(--organization)); present only.
    type: str
  activationkey:
    description: Activation key(s) (C(--activationkey)); present only.
    type: str
  fqdn:
    description: Name to enroll as (C(--fqdn)).
    type: str
  login:
    description: Foreman API login (C(--login)); lbenroll's default is admin.
    type: str
  password:
    description: Foreman API password, given to lbenroll as C(LBENROLL_PASSWORD).
    type: str
  hostgroup:
    description: Host group title (C(--hostgroup)); present and reconnect.
    type: str
  location:
    description: Location (C(--location)); present and reconnect.
    type: str
  skip:
    description: C(--skip) values.
    type: list
    elements: str
    default: []
  puppet_ca_port:
    description: The balancer's Puppet CA port (C(--puppet-ca-port)); present and reconnect.
    type: str
  ca_fingerprint:
    description: SHA-256 fingerprints of the Katello CAs (C(--ca-fingerprint)).
    type: list
    elements: str
    default: []
  options:
    description:
      - Further lbenroll options by long name, with or without the leading dashes. C(true)
        gives the bare flag, C(false) or null leaves it out, a list repeats the option, any
        other value is given as C(--name=value).
    type: dict
    default: {}
  extra_args:
    description: Further words for lbenroll's command line, given last, as they are.
    type: list
    elements: str
    default: []
author: lbenroll developers
"""

EXAMPLES = r"""
- name: Enroll through the balancer
  lbenroll_run:
    server: lb.example.com
    organization: ACME
    activationkey: "{{ vault_activation_key }}"
    skip: [foreman]
"""

RETURN = r"""
report:
  description: lbenroll's --json report (empty when lbenroll printed none, e.g. a usage error).
  returned: always
  type: dict
rc:
  description: lbenroll's exit code (0 done, 3 done with warnings).
  returned: always
  type: int
cmd:
  description: The command that ran (it never holds the password).
  returned: always
  type: list
"""

PASSWORD_ENV = "LBENROLL_PASSWORD"  # lbenroll/credentials.py
# lbenroll's exit codes that mean "done": 0, and 3 for done with warnings (lbenroll/results.py).
DONE = (0, 3)
# Options per state: a removal never registers nor creates a host record; a move never
# registers (lbenroll's --new-capsule keeps the identity).
ENROLL_ONLY = ("organization", "activationkey")
REMOVE_LEAVES_OUT = ENROLL_ONLY + ("hostgroup", "location", "puppet_ca_port", "ca_fingerprint")


def option_words(options):
    """The words for a dict of long options, in its order: true a flag, false/None left out, a
    list repeated, anything else --name=value."""
    words = []
    for name, value in options.items():
        flag = "--" + name.lstrip("-")
        if value is None or value is False:
            continue
        if value is True:
            words.append(flag)
        elif isinstance(value, (list, tuple)):
            words += ["%s=%s" % (flag, item) for item in value]
        else:
            words.append("%s=%s" % (flag, value))
    return words


def build_argv(params, check_mode=False):
    """lbenroll's command line for the module's parameters, without the password."""
    state = params["state"]
    left_out = {"absent": REMOVE_LEAVES_OUT, "reconnect": ENROLL_ONLY}.get(state, ())

    def given(name):
        return params.get(name) if name not in left_out else None

    argv = [params["executable"], "--json"]
    argv += {"absent": ["--remove"], "reconnect": ["--new-capsule"]}.get(state, [])
    for name, option in (("server", "--server"), ("organization", "--organization"),
                         ("activationkey", "--activationkey"), ("fqdn", "--fqdn"),
                         ("login", "--login"), ("hostgroup", "--hostgroup"),
                         ("location", "--location"), ("puppet_ca_port", "--puppet-ca-port")):
        if given(name):
            argv += [option, str(given(name))]
    argv += ["--skip=%s" % value for value in params.get("skip") or ()]
    for fingerprint in given("ca_fingerprint") or ():
        argv += ["--ca-fingerprint", fingerprint]
    argv += option_words(params.get("options") or {})
    argv += list(params.get("extra_args") or ())
    if check_mode:
        argv.append("--dry-run")
    return argv


def parse_report(stdout):
    try:
        report = json.loads(stdout)
    except ValueError:
        return {}
    return report if isinstance(report, dict) else {}


def failure_message(rc, report, stderr):
    """What failed and its fix, from the report's failed steps, else lbenroll's stderr."""
    parts = []
    for result in report.get("results", ()):
        if result.get("status") == "failed":
            parts.append("%s: %s" % (result.get("id"), result.get("summary")))
            if result.get("remediation"):
                parts.append("fix: %s" % result["remediation"])
    if stderr.strip():
        parts.append(stderr.strip())
    return "lbenroll exited %s: %s" % (rc, "; ".join(parts) or "no report")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            executable=dict(type="path", default="/usr/bin/lbenroll"),
            state=dict(type="str", default="present", choices=["present", "absent", "reconnect"]),
            server=dict(type="str"),
            organization=dict(type="str"),
            activationkey=dict(type="str", no_log=True),
            fqdn=dict(type="str"),
            login=dict(type="str"),
            password=dict(type="str", no_log=True),
            hostgroup=dict(type="str"),
            location=dict(type="str"),
            skip=dict(type="list", elements="str", default=[]),
            puppet_ca_port=dict(type="str"),
            ca_fingerprint=dict(type="list", elements="str", default=[], no_log=False),
            options=dict(type="dict", default={}),
            extra_args=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    argv = build_argv(module.params, module.check_mode)
    if not os.path.exists(argv[0]):
        module.fail_json(msg="%s is not installed (lbenroll_install installs it)" % argv[0],
                         rc=None, report={}, cmd=argv)
    environment = {}
    if module.params["password"]:
        environment[PASSWORD_ENV] = module.params["password"]
    rc, stdout, stderr = module.run_command(argv, environ_update=environment)
    report = parse_report(stdout)
    if rc not in DONE:
        module.fail_json(msg=failure_message(rc, report, stderr), rc=rc, report=report,
                         stderr=stderr, cmd=argv)
    for result in report.get("results", ()):
        if result.get("status") == "warning":
            module.warn("lbenroll %s: %s%s" % (
                result.get("id"), result.get("summary"),
                "; fix: %s" % result["remediation"] if result.get("remediation") else ""))
    module.exit_json(changed=bool(report.get("changed")), rc=rc, report=report, cmd=argv)


if __name__ == "__main__":
    main()
