"""/etc/lbenroll/lbenroll.conf: the options of the last enrollment (never secrets), for repair.

The file is ours, so it is rendered whole and read back with configobj (no interpolation, no
list parsing: a value is the text after `=`). Keys are the options' long names without dashes.
"""
from configobj import ConfigObj, ConfigObjError

from lbenroll import diskio, host
from lbenroll import options as option_table
from lbenroll.errors import ConfigError, DataError, UsageError
from lbenroll.writers.base import Target, Writer

HEADER = [
    "# Managed by lbenroll: the options this host was last enrolled with. Never secrets: the",
    "# activation key is not stored. `lbenroll repair` (run by lbenroll-repair.timer when that",
    "# is enabled) re-applies them, so rhsm.conf, redhat.repo and puppet.conf that drift back to",
    "# a proxy's name heal themselves. Keys are lbenroll's long option names; repair checks the",
    "# values like a command line. Enrolling again rewrites this file.",
]

# The record keeps two kinds of thing apart (issue 19): what the user chose, as key = value lines
# that repair and later runs read like a command line, and what lbenroll found on the host, as
# comment lines that nothing reads back, so a fact never becomes an option nobody gave.
CHOSEN = "# Chosen: the options given to lbenroll (on its command line, or kept from this file)."
FOUND = "# Found by lbenroll on this host, not chosen (informative; never read back):"


def found_facts(options):
    """What lbenroll decided from the host's state, for the record's comment lines."""
    facts = []
    if options.foreman_left_alone:
        facts.append("Foreman host record left alone (%s)" % options.foreman_left_alone)
    return facts


def _recordable(spec):
    # Which options the record keeps is declared on each one in the option table
    # (OptionSpec.record); secrets and retired or deprecated spellings never are.
    return (spec.dest is not None and spec.status == option_table.SUPPORTED and not spec.secret
            and spec.record not in option_table.NOT_RECORDED)


RECORDED = tuple(spec for spec in option_table.OPTIONS if _recordable(spec))


def key(spec):
    """The file's name for an option: its long name without the dashes."""
    return spec.longs[0][2:]


BY_KEY = dict((key(spec), spec) for spec in RECORDED)

# What a move (--new-capsule) takes from its own command line only, by option dest: the balancer
# and its Puppet settings (a ca_port it leaves out is removed). hoststate.with_record leaves them
# out of the record's defaults, RECORD_OPTIONS out of what it keeps of the earlier record.
MOVED = ("balancer", "puppet_server", "puppet_ca_server", "puppet_ca_port")


def recorded_values(options):
    """[(key, text)] of validated options to record, in the option table's order."""
    # An empty list (no --skip: Foreman mode) cannot be written as an empty value that reads
    # back unchanged; left out, it reads back as its default, which is empty too.
    return [(key(spec), _text(spec, getattr(options, spec.dest))) for spec in RECORDED
            if (spec.dest in options.given or spec.record == option_table.ALWAYS)
            and not (spec.multiple and not getattr(options, spec.dest))]


def _text(spec, value):
    if spec.type == option_table.FLAG:
        return "true" if value else "false"
    if spec.multiple:
        if spec.choices is None:  # --ca-fingerprint: each value, in the order given
            return ", ".join(value)
        return ", ".join(choice for choice in spec.choices if choice in value)
    return str(value)


def render(rows, found=()):
    """The whole file for [(key, text)] and the facts found (comment lines); raises DataError
    for a value it could not read back."""
    conf = ConfigObj(interpolation=False, list_values=False)
    facts = [FOUND] + ["#   %s" % " ".join(fact.split()) for fact in found] if found else []
    conf.initial_comment = list(HEADER) + facts + [CHOSEN]
    for name, text in rows:
        conf[name] = text
    rendered = "\n".join(conf.write()) + "\n"
    # Without list parsing nothing is quoted, so a '#' would start a comment on reading.
    try:
        read_back = parse(rendered)
    except ConfigError:  # a value holding a line break of its own (\x85, \u2028, ...)
        read_back = {}
    lost = sorted(name for name, text in rows if read_back.get(name) != text)
    if lost:
        raise DataError("cannot record %s in %s: the value would not read back unchanged" % (
            ", ".join(lost), host.LBENROLL_CONF), step=LbenrollConfWriter.id,
            fix="enroll with values without '#' or surrounding spaces")
    return rendered


def parse(text, source=host.LBENROLL_CONF):
    """{key: text} of a recorded file; raises ConfigError (exit 78, the host's configuration)
    when configobj cannot read it. Its values are then checked like a command line
    (option_values: UsageError)."""
    try:
        conf = ConfigObj(text.splitlines(), interpolation=False, list_values=False)
    except ConfigObjError as exc:
        raise ConfigError("%s cannot be read: %s" % (source, exc),
                          fix="correct it, or enroll again to rewrite it") from None
    if conf.sections:
        raise ConfigError("%s has sections (%s); it holds plain key = value lines" % (
            source, ", ".join("[%s]" % name for name in conf.sections)),
            fix="correct it, or enroll again to rewrite it")
    return dict(conf)


def read(real, shown=host.LBENROLL_CONF):
    """The record at real ({key: text}, as parse() gives it), or None when there is none; shown
    names it in messages. The one reader of the record: hoststate.read (a command line's
    defaults), `lbenroll repair` (the options it replays, from --config too) and RECORD_OPTIONS
    (what a move keeps). What an unreadable record means differs for each, so each turns
    OSError into its own message; ConfigError when it is not a regular file or configobj
    cannot read it."""
    try:
        # diskio.read_file walks the path (no link a user made is followed) and says
        # FileNotFoundError for a missing component and for one that is no directory alike.
        data = diskio.read_file(real, shown)
    except FileNotFoundError:
        return None
    # "replace": a stray byte becomes U+FFFD, which validation names like any other bad value.
    return parse(data.decode("utf-8", "replace"), shown)


def option_values(recorded, source=host.LBENROLL_CONF):
    """{dest: value} for options.validate() from parse()'s {key: text}; raises UsageError."""
    values = {}
    for name, text in recorded.items():
        spec = BY_KEY.get(name)
        if spec is None:
            raise UsageError("%s: %r is not an option lbenroll records" % (source, name),
                             fix="remove it; the recorded options are %s (never secrets)"
                                 % ", ".join(sorted(BY_KEY)))
        values[spec.dest] = _value(spec, name, text, source)
    return values


def _value(spec, name, text, source):
    if spec.type == option_table.FLAG:
        if text.lower() not in ("true", "false"):
            raise UsageError("%s: %s = %r is neither true nor false" % (source, name, text))
        return text.lower() == "true"
    if spec.multiple:
        return option_table.comma_list(text)
    return text


class LbenrollConfWriter(Writer):
    """Renders the whole file from the recorded options; notes name the options that changed."""

    id = "RECORD_OPTIONS"
    target = Target(host.LBENROLL_CONF, 0o644, "root", "root",
                    "the options of the last enrollment (never secrets), for lbenroll repair")

    def __init__(self, rows, found=()):
        self.rows = list(rows)
        self.found = list(found)

    def render(self, current_text):
        wanted = dict(self.rows)
        # current_text is the plan's own read of the target, as for every writer (the bytes
        # the write is checked against); read() is for those outside a write.
        try:
            before = parse(current_text) if current_text is not None else {}
        except ConfigError:
            before = {}
        notes = ["%s: %s -> %s" % (name, before.get(name, "(unset)"), wanted.get(name, "(unset)"))
                 for name in sorted(set(before) | set(wanted))
                 if before.get(name) != wanted.get(name)]
        return render(self.rows, self.found), notes
