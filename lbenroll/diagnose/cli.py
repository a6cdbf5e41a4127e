"""`lbenroll diagnose`: its options, and the outcome mapped to an exit code."""

import click

from lbenroll import __version__, credentials, options
from lbenroll.credentials import PASSWORD_ENV
from lbenroll.errors import EXIT_CODE_MEANINGS, ExitCode, UsageError
from lbenroll.redact import Redactor
from lbenroll.voice import LbenrollCommand, WholeNumber, internal_error

HELP = ("Check the balancer and every Smart Proxy behind it from this host, read only: each "
        "balancer port, each proxy on its own address presenting the balancer name (the "
        "load-balancer guide's /etc/hosts trick), and this host's configuration, with the likely "
        "cause and the fix of each failure. For each proxy it names the root cause of hosts "
        "pinned to it: a consumer RPM built for the proxy's own name, or (with the Foreman API) "
        "a registration URL that is missing or names another host, with the installer options "
        "that fix it for every future host. Across the proxies it compares the packages each "
        "serves in every repository this host has enabled (the primary metadata's checksums, "
        "else the newest build of each package, whatever the revisions say) and names a proxy "
        "lacking a newer build that another serves, with the packages; where "
        "yggdrasil is set up, it connects to the balancer's MQTT port several times and to each "
        "proxy's broker directly, and warns when one client's connections reach several "
        "brokers (a pull-mode job is announced only on the broker of the proxy that runs it).")
# What diagnose's exit codes mean, in the ExitCode enum's order; the codes it shares with
# enrollment in enrollment's words.
_OWN_MEANINGS = {
    ExitCode.OK: "every check passed (or did not apply to this host)",
    ExitCode.FAILED: "at least one check failed",
    ExitCode.WARNINGS: "no check failed, but at least one warned",
    ExitCode.UNAVAILABLE: "the balancer name does not resolve, or no proxy behind it could be "
                          "found",
}
EXIT_MEANINGS = tuple((code, _OWN_MEANINGS.get(code, meaning))
                      for code, meaning in EXIT_CODE_MEANINGS
                      if code in _OWN_MEANINGS or code in (ExitCode.USAGE, ExitCode.SOFTWARE))


class DiagnoseCommand(LbenrollCommand):
    exit_meanings = EXIT_MEANINGS


def checked(server, timeout, root, ca_fingerprint, password_file=None):
    """The values diagnose shares with enrollment, checked by enrollment's own rules and refused
    in its words (options.validate): diagnose looks at the balancer a content-only enrollment
    would use. Returns the validated Options."""
    values = {"skip": ["foreman", "puppet"], "timeout": timeout, "root": root,
              # This host's name is no business of diagnose's; the balancer's passes the same
              # check and spares a name lookup (socket.getfqdn()).
              "fqdn": server}
    if server is not None:
        values["balancer"] = server
    if ca_fingerprint is not None:
        values["ca_fingerprint"] = [ca_fingerprint]
    if password_file is not None:  # refused in the enrollment's one message when unreadable
        values["password_file"] = password_file
    return options.validate(values)


def refuse_network_options(**given):
    """--host-only makes no connection: the options that only a connection uses are refused,
    named together, rather than ignored."""
    named = ["--" + name.replace("_", "-") for name, value in sorted(given.items()) if value]
    if named:
        raise UsageError("--host-only makes no connection: %s cannot be used with it"
                         % ", ".join(named),
                         fix="leave out %s, or --host-only" % ", ".join(named))


def host_check(valid, as_json):
    """diagnose --host-only: this host's files against the balancer. Returns the exit code."""
    from lbenroll.context import Context
    from lbenroll.diagnose import hostonly, report
    redact = Redactor([])
    try:
        found = hostonly.check_host_only(Context(root=valid.root), valid.balancer)
    except Exception:  # a bug
        return internal_error(redact)
    render = report.host_as_json if as_json else report.host_as_text
    click.echo(render(found, __version__))
    return found.exit_code


@click.command("diagnose", cls=DiagnoseCommand, help=HELP,
               context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--server", "-s", metavar="FQDN",
              help="The balancer's name, as clients use it (e.g. smartproxy.example.test). "
                   "Required.")
@click.option("--host-only", is_flag=True,
              help="Check only this host's files (rhsm.conf, redhat.repo, puppet.conf, goferd, "
                   "yggdrasil) against --server, without any connection, and list each setting "
                   "that names another host: the fleet audit's check (packaging/ansible/"
                   "audit.yml). Exit 0 clean, 1 pinned or broken, 3 warnings only.")
@click.option("--proxies", metavar="NAME,...",
              help="The proxies behind the balancer, by name, comma-separated. Without it they "
                   "come from the Foreman API (with --login) or are discovered through the "
                   "balancer, which cannot find a proxy that is down.")
@click.option("--foreman", metavar="FQDN|URL",
              help="Foreman server whose API lists the smart proxies (GET /api/v2/smart_proxies; "
                   "those with a registration or template URL on the balancer are used unless "
                   "--proxies names them) and each proxy's registration URL. Needs --login. The "
                   "password goes only to a server verified against the Katello CA pinned with "
                   "--ca-fingerprint or, without a pin, installed on this host; with neither it "
                   "is not sent (FOREMAN_API says so).")
@click.option("--login", "-l", metavar="USER", help="Foreman API user (with --foreman).")
@click.option("--password", "-p", metavar="PASSWORD",
              help="Foreman API password; prefer the %s environment variable or "
                   "--password-file, which keep it out of the process list. Never printed."
                   % PASSWORD_ENV)
@click.option("--password-file", metavar="PATH",
              help="Read the Foreman API password from the first line of PATH.")
@click.option("--root", default="/", metavar="DIR",
              help="Read the host configuration of the system installed under DIR (like rpm "
                   "--root). Default: /.")
@click.option("--timeout", "-t", default=5, type=WholeNumber(), metavar="SECONDS",
              help="Limit for each connection and answer, in whole seconds, so a dead proxy "
                   "costs seconds. The checks run concurrently. Default: 5.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--ca-fingerprint", metavar="SHA256",
              help="Expected SHA-256 fingerprint of the Katello CA: 64 hex digits, colons "
                   "optional. Without it, the CA most proxies serve is taken to check their "
                   "certificates, but the --foreman password is sent only where this host has "
                   "the Katello CA installed.")
@click.pass_context
def command(ctx, server, host_only, proxies, foreman, login, password, password_file, root,
            timeout, as_json, ca_fingerprint):
    valid = checked(server, timeout, root, ca_fingerprint, password_file)
    if host_only:
        refuse_network_options(proxies=proxies, foreman=foreman, login=login, password=password,
                               password_file=password_file, ca_fingerprint=ca_fingerprint)
        ctx.exit(int(host_check(valid, as_json)))
    if login and not foreman:
        raise UsageError("--login needs --foreman (the Foreman server to ask)",
                         fix="add --foreman FQDN, or leave out --login")
    if foreman and not login:
        raise UsageError("--foreman needs --login and a password",
                         fix="add --login USER and set %s" % PASSWORD_ENV)
    # The enrollment's sources, in its order, but never a prompt: diagnose is also run from
    # scripts, and --login without a password is refused below instead.
    password = credentials.password(password, password_file, login, ask=False)
    if login and not password:
        raise UsageError("--login needs a password",
                         fix="set %s, or give --password-file PATH or --password" % PASSWORD_ENV)
    redact = Redactor([password])
    # Imported here so that --help stays fast.
    from lbenroll.context import Context
    from lbenroll.diagnose import diagnosis, report
    settings = diagnosis.Settings(valid.balancer, proxies=proxies, foreman=foreman,
                                  login=login, password=password, timeout=valid.timeout,
                                  ca_fingerprint=(valid.ca_fingerprint or [None])[0])
    try:
        found = diagnosis.run(settings, Context(root=valid.root, secrets=[password]))
    except Exception:  # a bug
        ctx.exit(int(internal_error(redact)))
    render = report.as_json if as_json else report.as_text
    click.echo(redact(render(found, __version__)))
    ctx.exit(int(found.exit_code))
