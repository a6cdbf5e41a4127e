"""The man page and the bash completion, rendered from the code so that they cannot drift.

OPTIONS come from the option table, COMMANDS from cli.SUBCOMMANDS, FILES from the writers'
targets and the host layer, EXIT STATUS from EXIT_CODE_MEANINGS. `make docs` rewrites both files
and tests/docs fails on a stale copy. Only click 6.7's attributes are read, so every click
version renders the same text.
"""
import datetime
import importlib
import os
import pkgutil
import re
import shlex
import sys
import textwrap

import click

from lbenroll import __version__, cli, engine, host, options, writers
from lbenroll.errors import EXIT_CODE_MEANINGS, ExitCode
from lbenroll.writers.base import Writer

MAN_PAGE = os.path.join("man", "lbenroll.8")
BASH_COMPLETION = os.path.join("packaging", "completion", "lbenroll.bash")

NAME = "enroll RHEL-family hosts with Katello through load-balanced Smart Proxies"

DESCRIPTION = (
    "Katello Smart Proxies behind a TCP load balancer serve the same content under one name, "
    "but the pieces a host receives while it enrolls do not know that name. The "
    "katello-ca-consumer RPM fetched through the balancer names whichever proxy answered, so "
    "rhsm.conf, redhat.repo, puppet.conf and the messaging clients end up pointing at one "
    "backend, and the host loses content, subscriptions and Puppet when that proxy goes down.",
    "lbenroll enrolls the host through the balancer and makes every client setting name the "
    "balancer: it fetches the consumer RPM, checks that the balancer presents a certificate "
    "from the Katello CA carrying its name, installs the RPM, corrects rhsm.conf, registers "
    "with subscription-manager, and points redhat.repo, puppet.conf (with the port the balancer "
    "forwards to the Puppet CA) and the katello-agent and yggdrasil settings at the balancer. "
    "Each changed file is backed up once and replaced atomically; when a step fails, what the "
    "run changed is rolled back and the remaining steps are skipped. A second run on a "
    "correctly enrolled host changes nothing.",
    "It accepts bootstrap.py's command line (see COMPATIBILITY); the options that belong to "
    "features this version does not have are refused when given.",
)

# Paths the host layer names that no writer declares: what the consumer RPM installs, what
# subscription-manager leaves, and lbenroll's own state.
HOST_FILES = (
    (host.KATELLO_SERVER_CA, "The Katello server CA, installed by the consumer RPM. A run compares "
                             "it with the CA in the RPM the balancer serves."),
    (host.KATELLO_DEFAULT_CA, "Katello's default CA, installed by the consumer RPM."),
    (host.CA_TRUST_ANCHOR, "The server CA in the system trust store, installed by the consumer "
                           "RPM."),
    (host.KAT_BACKUP, "The consumer RPM's copy of rhsm.conf from before its first installation."),
    (host.CONSUMER_CERT, "subscription-manager's consumer certificate; present when the host is "
                         "registered."),
    (host.BACKUP_DIR, "Every file as it was before lbenroll, or a command it ran, first "
                      "changed it, with its mode and owner, under its own path (for example "
                      "backup/etc/rhsm/rhsm.conf), or a PATH.lbenroll-absent marker for a file or "
                      "directory that did not exist; written once, never overwritten, put back "
                      "and emptied by --remove. set-aside/ keeps Puppet directories moved away by "
                      "--force and --remove."),
    (host.LOCK_FILE, "Locked while a run changes the host, so that one run at a time manages a "
                     "root; a second run exits with status %d." % ExitCode.TEMPFAIL),
    (host.DEFAULT_LOG_FILE, "The detailed log of each run (the default --log-file), secrets "
                            "masked; not written with --dry-run."),
)

ENVIRONMENT = (
    "Enrollment reads no environment variables of its own. The consumer RPM is downloaded with "
    "python-requests, which honours http_proxy, https_proxy and no_proxy; the commands lbenroll "
    "runs (rpm, rpm2cpio, subscription-manager) inherit the environment and are found through "
    "PATH.",
)

# Where the RPM installs the kickstart snippets of packaging/kickstart/.
KICKSTART_DIR = "/usr/share/lbenroll/kickstart"

# (subcommand the example needs or None, what it shows, the lines to type). The tests parse
# every lbenroll command line (joining "\\" continuations) with the real command, so an example
# cannot keep an option that is gone.
ENROLL = "lbenroll -s lb.example.com -o ACME -a rhel9-servers --skip foreman \\"
EXAMPLES = (
    (None, "Enroll through the balancer lb.example.com, whose port 8141 forwards to the Puppet "
           "CA, into the organization with the label ACME:",
     (ENROLL, "    --puppet-ca-port 8141")),
    (None, "Show every file change and command that run would make, without changing anything:",
     (ENROLL, "    --puppet-ca-port 8141 --dry-run")),
    (None, "Enroll from a kickstart, refusing a consumer RPM whose Katello CA does not have the "
           "expected SHA-256 fingerprint (openssl x509 -noout -fingerprint -sha256 prints it). "
           "The package ships complete %%post snippets in %s:" % KICKSTART_DIR,
     ("%packages", "lbenroll", "%end", "", "%post --log=/root/lbenroll-ks.log", ENROLL,
      "    --puppet-ca-port 8141 \\",
      "    --ca-fingerprint 5c1e0f4c8a6d2b9e7f3a1c0d4e8b6a2f9d7c5e3b1a0f8e6d4c2b0a9e7d5c3b1f",
      "%end")),
    ("repair", "Later, put back what drifted to a proxy's name since the last enrollment, "
               "showing the changes first:",
     ("lbenroll repair --dry-run", "lbenroll repair")),
)

# Behaviour that differs from bootstrap.py; the option lists that follow come from the table.
COMPATIBILITY = (
    "An existing Foreman host record with the same name is updated in place (only the fields "
    "that differ), a matching one is left alone, and --force never deletes it; every page of "
    "the API's answers is read. With --skip foreman or --content-only, -o is the "
    "organization's label.",
    "--rex through a balancer installs the key of every proxy behind it, not only the key of "
    "the proxy that answered; --rex-urlkeyfile must be https.",
    "--rex-apikeys reads every page of the API's Smart Proxy list (bootstrap.py: the first).",
    "--skip foreman still points puppet.conf at the balancer (those settings do not depend on "
    "a host record); as in bootstrap.py, puppet-agent is then not installed, signed or enabled.",
    "The Puppet certificate request waits at most --timeout seconds; not signed in time, "
    "refused or unreachable is a warning (exit status 3) naming the cause and the fix, not an "
    "endless wait. --skip puppet-enable is honoured. The host group's Puppet environment is not "
    "written to puppet.conf: Foreman's ENC supplies it.",
    "A second run on an enrolled host changes nothing and exits 0, where bootstrap.py exits 1 "
    "unless --force, which deletes and re-creates the registration, the Foreman host record "
    "and the Puppet certificate. lbenroll's --force re-registers, moves Puppet's SSL directory "
    "into the backup store and requests a new certificate, never deletes the host record, and "
    "accepts a host name without a domain.",
    "--remove stops when unregistering fails (the CA and rhsm.conf it needs are still there), "
    "and puts every file lbenroll or a command it ran changed back as it was.",
    "--new-capsule points rhsm.conf, redhat.repo and puppet.conf (with ca_port set or removed) "
    "at the new server, keeps the Puppet certificate, finds the Smart Proxies behind a balancer "
    "for the content source and the Puppet proxies, and refuses --force.",
    "Before installing the consumer RPM, lbenroll checks that the balancer presents a "
    "certificate from the RPM's Katello CA carrying the balancer's name; --ca-fingerprint pins "
    "that CA.",
    "Commands run from argument lists, never through a shell, so quotes in names and keys are "
    "safe; secrets are masked in every message, the log and --verbose output.",
    "The exit status says what kind of failure happened (EXIT STATUS) instead of passing on the "
    "status of the command that failed, and a failed run rolls back its changes.",
)

SEE_ALSO = ("subscription-manager(8)", "rhsm.conf(5)", "rpm(8)", "haproxy(1)")

COMPLETION_HEADER = """\
# bash completion for lbenroll                                  -*- shell-script -*-
# Generated from lbenroll's option table by `make docs` (lbenroll/docs.py); do not edit.
# Offers the options this version supports; refused, retired and deprecated spellings are left
# out because completing them only leads to an error or a warning.
"""


# ---------------------------------------------------------------------------------------------
# What is documented


def subcommands():
    """[(name, click command)] of cli.SUBCOMMANDS, by name."""
    return [(name, cli.subcommand(name)) for name in sorted(cli.SUBCOMMANDS)]


def writer_targets():
    """Every Target declared by a Writer class in lbenroll/writers/, by path."""
    targets = set()
    for module_info in pkgutil.iter_modules(writers.__path__):
        module = importlib.import_module("%s.%s" % (writers.__name__, module_info[1]))
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Writer) and value.target:
                targets.add(value.target)
    return sorted(targets, key=lambda target: target.path)


def files():
    """[(path, description)] for the FILES section: managed files, then the host layer's."""
    return [(t.path, "%s." % t.description) for t in writer_targets()] + list(HOST_FILES)


def command_params(command, name):
    """The options click shows for a subcommand (its own plus --help), in declaration order."""
    ctx = click.Context(command, info_name="%s %s" % (cli.PROG, name),
                        **(command.context_settings or {}))
    return [p for p in command.get_params(ctx) if not getattr(p, "hidden", False)]


def option_names(param):
    """Every spelling of a click option, short ones first."""
    names = list(param.opts) + list(param.secondary_opts)
    return sorted(names, key=lambda n: not (len(n) == 2 and n[0] == "-" and n[1] != "-"))


def _metavar(param):
    if param.metavar:
        return param.metavar
    kind = param.type
    if isinstance(kind, click.Choice):
        return "CHOICE"
    if isinstance(kind, click.Path):
        return "PATH" if kind.file_okay else "DIR"
    if isinstance(kind, click.File):
        return "FILE"
    return kind.name.upper()


def _param_help(param):
    parts = [" ".join((param.help or "").split())]
    if isinstance(param.type, click.Choice):
        parts.append("One of: %s." % ", ".join(param.type.choices))
    if param.show_default and param.default not in (None, "", ()) and not param.is_flag:
        parts.append("[default: %s]" % (param.default,))
    return " ".join(part for part in parts if part)


def _command_help(command):
    # Click cuts help at \f; paragraphs are separated by blank lines.
    text = (command.help or command.short_help or "").split("\f")[0]
    return [" ".join(block.split()) for block in re.split(r"\n\s*\n", text) if block.strip()]


# ---------------------------------------------------------------------------------------------
# The man page (man(7) macros)


def roff(text):
    """Text escaped for roff: backslashes kept, hyphens as ASCII minus signs."""
    return text.replace("\\", "\\e").replace("-", "\\-")


def _wrap(markup):
    """Lines of at most 80 bytes (mandoc's style limit); none may start like a request."""
    lines = textwrap.wrap(markup, 80, break_long_words=False, break_on_hyphens=False)
    return ["\\&" + line if line[:1] in (".", "'") else line for line in lines]


def _text(text):
    return _wrap(roff(text))


def _bold(text):
    return "\\fB%s\\fR" % roff(text)


def _italic(text):
    return "\\fI%s\\fR" % roff(text)


def _item(tag, lines):
    return [".TP", tag] + lines


def _bullet(lines):
    return [".IP \\(bu 2"] + lines


def _paragraphs(texts):
    lines = []
    for text in texts:
        lines += ([".PP"] if lines else []) + _text(text)
    return lines


def _capitalized(text):
    return text[0].upper() + text[1:]


def _sentence(text):
    return _capitalized(text) + ("" if text.endswith(".") else ".")


def _spec_tag(spec):
    tag = ", ".join(_bold(name) for name in spec.names)
    if spec.takes_value:
        tag += " " + _italic(spec.metavar)
    return tag


def _param_tag(param):
    tag = ", ".join(_bold(name) for name in option_names(param))
    if not param.is_flag and not param.count:
        tag += " " + _italic(_metavar(param))
    return tag


def _usage(name, command):
    words = [_bold("%s %s" % (cli.PROG, name)), "[%s]..." % _italic("OPTION")]
    for param in command.params:
        if isinstance(param, click.Argument):
            word = _italic(param.human_readable_name) + ("..." if param.nargs == -1 else "")
            words.append(word if param.required else "[%s]" % word)
    return _wrap(" ".join(words))


def _synopsis():
    lines = [".SH SYNOPSIS",
             "%s %s %s [%s]..." % (_bold(cli.PROG), _bold("-s"), _italic("FQDN"),
                                   _italic("OPTION"))]
    for name, command in subcommands():
        lines += [".br"] + _usage(name, command)
    return lines + [".br", "%s %s | %s" % (_bold(cli.PROG), _bold("--help"), _bold("--version"))]


def _description():
    lines = [".SH DESCRIPTION"] + _paragraphs(DESCRIPTION)
    lines += [".PP"] + _text("The steps of a run, in order, as the report names them:")
    for step in engine.STEPS:
        lines += _item(_bold(step.id), _text(step.title + "."))
    lines += [".PP"] + _text("With --remove, these steps run instead, in order:")
    for step in engine.REMOVE_STEPS:
        lines += _item(_bold(step.id), _text(step.title + "."))
    return lines


def _options():
    lines = [".SH OPTIONS"]
    for group, title in options.GROUPS:
        specs = [spec for spec in options.OPTIONS if spec.group == group]
        if specs:
            lines.append('.SS "%s"' % roff(title))
            for spec in specs:
                lines += _item(_spec_tag(spec), _text(options.help_text(spec)))
    return lines


def _commands():
    if not cli.SUBCOMMANDS:
        return []
    lines = [".SH COMMANDS"]
    for name, command in subcommands():
        lines += ['.SS "%s %s"' % (cli.PROG, name)] + _usage(name, command)
        for paragraph in _command_help(command):
            lines += [".PP"] + _text(paragraph)
        for param in command_params(command, name):
            if isinstance(param, click.Option):
                lines += _item(_param_tag(param), _text(_param_help(param)))
    return lines


def _files():
    lines = [".SH FILES"] + _wrap("With %s the paths are inside that directory." % (
        _bold("--root DIR")))
    for path, description in files():
        lines += _item(_italic(path), _text(description))
    return lines


def _exit_status():
    lines = [".SH EXIT STATUS"]
    for code, meaning in EXIT_CODE_MEANINGS:
        lines += _item(_bold(str(int(code))), _text(_sentence(meaning)))
    return lines


def environment_variables():
    """[(variable, subcommand, click option)] for the subcommand options read from the
    environment when not given."""
    found = []
    for name, command in subcommands():
        for param in command_params(command, name):
            envvar = getattr(param, "envvar", None)
            for variable in [envvar] if isinstance(envvar, str) else list(envvar or ()):
                found.append((variable, name, param))
    return found


def _environment():
    lines = [".SH ENVIRONMENT"] + _paragraphs(ENVIRONMENT)
    variables = environment_variables()
    if variables:
        lines += [".PP", "Subcommands read these when the option is not given:"]
    for variable, name, param in variables:
        lines += _item(_bold(variable), _wrap("The value of %s." % _bold(
            "%s %s %s" % (cli.PROG, name, max(param.opts, key=len)))))
    return lines


def examples():
    """The EXAMPLES entries that apply: those needing a subcommand appear once it exists."""
    return [(text, lines) for needs, text, lines in EXAMPLES
            if needs is None or needs in cli.SUBCOMMANDS]


def _examples():
    lines = [".SH EXAMPLES"]
    for text, example in examples():
        lines += ([".PP"] if len(lines) > 1 else []) + _text(text)
        lines += [".PP", ".RS 4", ".nf"] + [roff(line) for line in example] + [".fi", ".RE"]
    return lines


def _names(specs):
    return ", ".join(_bold(spec.longs[0]) for spec in specs)


def _with_status(status):
    return [spec for spec in options.OPTIONS if spec.status == status]


def _compatibility():
    lines = [".SH COMPATIBILITY"] + _text(
        "lbenroll parses bootstrap.py 1.7.9's options with the same names, values and "
        "defaults, and differs from it as follows.")
    for difference in COMPATIBILITY:
        lines += _bullet(_text(difference))
    new = [spec for spec in options.OPTIONS
           if spec.group == "lbenroll" and spec.type not in (options.HELP, options.VERSION)]
    lines += _bullet(_wrap("Options bootstrap.py does not have: %s." % _names(new)))
    lines += [".PP"] + _wrap("The RHN Classic migration options are retired and refused with "
                             "exit status %d, changing nothing: %s." % (
                                 ExitCode.USAGE, _names(_with_status(options.RETIRED))))
    lines += [".PP"] + _wrap("Deprecated spellings are accepted with a warning: %s." % ", ".join(
        "%s (use %s)" % (_bold(spec.longs[0]), _bold(spec.note))
        for spec in _with_status(options.DEPRECATED)))
    return lines


def _see_also():
    references = []
    for reference in SEE_ALSO:
        name, section = reference[:-1].split("(")
        references.append("%s(%s)" % (_bold(name), section))
    return [".SH SEE ALSO"] + _wrap(", ".join(references))


def man_page(date):
    """The whole man page; `date` (YYYY-MM-DD) is the date of its last change."""
    lines = ['.TH LBENROLL 8 "%s" "lbenroll %s" "System Administration"' % (date, __version__),
             ".SH NAME"] + _wrap("lbenroll \\- %s" % roff(NAME))
    for section in (_synopsis, _description, _options, _commands, _files, _exit_status):
        lines += section()
    lines += _environment()
    for section in (_examples, _compatibility, _see_also):
        lines += section()
    return "\n".join(lines) + "\n"


def man_page_date(text):
    """The date in a rendered man page's .TH line, or None."""
    match = re.match(r'\.TH \S+ \S+ "([^"]*)"', text or "")
    return match.group(1) if match else None


# ---------------------------------------------------------------------------------------------
# Bash completion

# What the value of an option of the table is, for completing it.
SPEC_KINDS = {options.PATH: "file", options.DIR: "dir", options.HOSTNAME: "hostname"}
# What a subcommand's plain string option takes, told by its metavar.
METAVAR_KINDS = {"PATH": "file", "FILE": "file", "DIR": "dir", "FQDN": "hostname"}


def _words(words):
    return " ".join(shlex.quote(word) for word in words)


def _value_completion(kind, choices=()):
    """The bash statement completing an option's value, or None for a free-form value."""
    if choices:
        return 'COMPREPLY=($(compgen -W "%s" -- "$cur"))' % _words(choices)
    if kind == "dir":
        return 'compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur"))'
    if kind == "file":
        return 'compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur"))'
    if kind == "hostname":
        return 'COMPREPLY=($(compgen -A hostname -- "$cur"))'
    return None




def _param_kind(param):
    kind = param.type
    if isinstance(kind, click.Path):
        return "file" if kind.file_okay else "dir"
    if isinstance(kind, click.File):
        return "file"
    return METAVAR_KINDS.get(param.metavar)


def _completion_table():
    """[(command, option words, [(value option names, statement or None)], argument kind)];
    command "" is enrollment."""
    specs = [s for s in options.OPTIONS if s.status == options.SUPPORTED]
    table = [("", [n for s in specs for n in s.names],
              [(s.names, _value_completion(SPEC_KINDS.get(s.type), s.choices or ()))
               for s in specs if s.takes_value], None)]
    for name, command in subcommands():
        params = command_params(command, name)
        opts = [p for p in params if isinstance(p, click.Option)]
        values = [(option_names(p), _value_completion(
            _param_kind(p), p.type.choices if isinstance(p.type, click.Choice) else ()))
            for p in opts if not p.is_flag and not p.count]
        kinds = [_param_kind(p) for p in params if isinstance(p, click.Argument)]
        table.append((name, [n for p in opts for n in option_names(p)], values,
                      next((k for k in kinds if k), None)))
    return table


def bash_completion():
    """The bash completion script."""
    table = _completion_table()
    names = [name for name, _, _, _ in table if name]
    out = [COMPLETION_HEADER, "_lbenroll()", "{",
           "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} command=",
           '    # "=" breaks words, so "--skip=pu" arrives as "--skip" "=" "pu".',
           "    if [[ $cur == = ]]; then",
           "        cur=",
           "    elif [[ $prev == = && $COMP_CWORD -ge 2 ]]; then",
           "        prev=${COMP_WORDS[COMP_CWORD-2]}",
           "    fi"]
    if names:
        out += ["    if [[ $COMP_CWORD -gt 1 ]]; then",
                "        case ${COMP_WORDS[1]} in",
                "            %s) command=${COMP_WORDS[1]} ;;" % "|".join(names),
                "        esac",
                "    fi"]
    out += ["    # The value of an option: complete it, or offer nothing for free-form values.",
            '    case "$command $prev" in']
    for command, _, values, _ in table:
        for option_words, statement in values:
            pattern = "|".join('"%s %s"' % (command, word) for word in option_words)
            out.append("        %s) %sreturn ;;" % (pattern, statement + "; " if statement else ""))
    out += ["    esac", "    local opts"]
    out.append("    case $command in")
    for command, words, _, _ in table:
        out.append("        %s) opts=%s ;;" % (command or '""', shlex.quote(" ".join(words))))
    out.append("    esac")
    out.append("    if [[ $cur != -* ]]; then")
    if names:
        out += ["        if [[ -z $command && $COMP_CWORD -eq 1 ]]; then",
                '            COMPREPLY=($(compgen -W "%s" -- "$cur"))' % _words(names),
                "        fi"]
    for command, _, _, argument in table:
        if argument:
            out += ['        if [[ $command == %s ]]; then' % command,
                    "            %s" % _value_completion(argument),
                    "            return",
                    "        fi"]
    out += ["        [[ -n $cur ]] && return",
            "    fi",
            '    COMPREPLY+=($(compgen -W "$opts" -- "$cur"))',
            "} &&",
            "complete -F _lbenroll lbenroll"]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# Writing the files


def _read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        return None


def _man_page_for(current, today):
    # The date changes only with the content, so regenerating an unchanged page is a no-op.
    date = man_page_date(current)
    if date and man_page(date) == current:
        return current
    return man_page(today)


def update(directory, today=None):
    """Rewrite the man page and the completion under `directory`; return the paths changed."""
    today = today or datetime.date.today().isoformat()
    changed = []
    for relative, render in ((MAN_PAGE, lambda current: _man_page_for(current, today)),
                             (BASH_COMPLETION, lambda current: bash_completion())):
        path = os.path.join(directory, relative)
        current = _read(path)
        wanted = render(current)
        if wanted != current:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(wanted)
            changed.append(relative)
    return changed


def main(argv=None):
    """`python -m lbenroll.docs [DIR]`: regenerate the files under DIR (default: here)."""
    args = sys.argv[1:] if argv is None else argv
    changed = update(args[0] if args else os.curdir)
    for relative in changed:
        print("updated %s" % relative)
    if not changed:
        print("%s and %s are up to date" % (MAN_PAGE, BASH_COMPLETION))


if __name__ == "__main__":
    main()
