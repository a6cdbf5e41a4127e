"""`lbenroll diagnose`: its options, and the outcome mapped to an exit code."""
import os
import re
import traceback

import click

from lbenroll import __version__
from lbenroll.errors import ExitCode
from lbenroll.redact import Redactor

PASSWORD_ENV = "LBENROLL_PASSWORD"
HELP = ("Check the balancer and every Smart Proxy behind it from this host, read only: each "
        "balancer port, each proxy on its own address presenting the balancer name (the "
        "load-balancer guide's /etc/hosts trick), and this host's configuration, with the likely "
        "cause and the fix of each failure.")
EPILOG = """\b
Exit status:
  0   every check passed (or did not apply to this host)
  1   at least one check failed
  2   invalid options
  3   no check failed, but at least one warned
  69  the balancer name does not resolve, or no proxy behind it could be found
  70  internal error (a bug in lbenroll); please report it
"""
ID_FIX = ("give 64 hex digits, with or without colons, e.g. the output of "
          "'openssl x509 -noout -fingerprint -sha256'")


def _fingerprint(ctx, param, value):
    # The same rule as enrollment's --ca-fingerprint (options.py).
    if value is None:
        return None
    plain = value.replace(":", "").lower()
    if not re.match(r"^[0-9a-f]{64}$", plain):
        raise click.BadParameter("%r is not a SHA-256 fingerprint; %s" % (value, ID_FIX))
    return plain


def _timeout(ctx, param, value):
    if not 0 < value <= 120:
        raise click.BadParameter("give seconds between 0 and 120, e.g. 5")
    return value


def _root(ctx, param, value):
    if not os.path.isdir(value):
        raise click.BadParameter("%s is not an existing directory" % value)
    return os.path.abspath(value)


def _password(password, password_file):
    if password_file is None:
        return password
    with open(password_file) as f:  # read only; the file is the admin's
        return f.readline().rstrip("\r\n")


@click.command("diagnose", help=HELP, epilog=EPILOG,
               context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--server", required=True, metavar="FQDN",
              help="The balancer's name, as clients use it (e.g. smartproxy.example.test).")
@click.option("--proxies", metavar="NAME,...",
              help="The proxies behind the balancer, by name, comma-separated. Without it they "
                   "come from the Foreman API (with --login) or are discovered through the "
                   "balancer, which cannot find a proxy that is down.")
@click.option("--foreman", metavar="FQDN|URL",
              help="Foreman server whose API lists the smart proxies (GET /api/v2/smart_proxies; "
                   "those with a registration or template URL on the balancer are used). Needs "
                   "--login.")
@click.option("--login", "-l", metavar="USER", help="Foreman API user (with --foreman).")
@click.option("--password", "-p", metavar="PASSWORD", envvar=PASSWORD_ENV,
              help="Foreman API password; prefer the %s environment variable or "
                   "--password-file, which keep it out of the process list. Never printed."
                   % PASSWORD_ENV)
@click.option("--password-file", metavar="PATH", type=click.Path(exists=True, dir_okay=False),
              help="Read the Foreman API password from the first line of PATH.")
@click.option("--root", default="/", metavar="DIR", callback=_root,
              help="Read the host configuration of the system installed under DIR (like rpm "
                   "--root). Default: /.")
@click.option("--timeout", default=5.0, type=float, metavar="SECONDS", callback=_timeout,
              help="Limit for each connection and answer, so a dead proxy costs seconds. The "
                   "checks run concurrently. Default: 5.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--ca-fingerprint", metavar="SHA256", callback=_fingerprint,
              help="Expected SHA-256 fingerprint of the Katello CA: 64 hex digits, colons "
                   "optional. Without it, the CA most proxies serve is taken.")
@click.pass_context
def command(ctx, server, proxies, foreman, login, password, password_file, root, timeout,
            as_json, ca_fingerprint):
    if login and not foreman:
        raise click.UsageError("--login needs --foreman (the Foreman server to ask)")
    if foreman and not login:
        raise click.UsageError("--foreman needs --login and a password")
    password = _password(password, password_file)
    if login and not password:
        raise click.UsageError("--login needs a password: %s, --password-file or --password"
                               % PASSWORD_ENV)
    redact = Redactor([password])
    # Imported here so that --help stays fast.
    from lbenroll.context import Context
    from lbenroll.diagnose import diagnosis, report
    settings = diagnosis.Settings(server, proxies=proxies, foreman=foreman, login=login,
                                  password=password, timeout=timeout,
                                  ca_fingerprint=ca_fingerprint)
    try:
        found = diagnosis.run(settings, Context(root=root, secrets=[password]))
    except Exception:
        click.echo(redact(traceback.format_exc()), err=True)
        click.echo("lbenroll diagnose: error: internal error; this is a bug in lbenroll, please "
                   "report it", err=True)
        ctx.exit(int(ExitCode.SOFTWARE))
    render = report.as_json if as_json else report.as_text
    click.echo(redact(render(found, __version__)))
    ctx.exit(int(found.exit_code))
