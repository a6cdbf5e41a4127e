"""RECORD_OPTIONS: record the enrollment options for lbenroll repair."""
from lbenroll import host
from lbenroll.options import BY_DEST
from lbenroll.errors import ConfigError, WriteError
from lbenroll.steps.base import WriterStep
from lbenroll.writers.lbenroll_conf import (MOVED, RECORDED, LbenrollConfWriter, found_facts,
                                            key, read, recorded_values)


# What a move (--new-capsule) takes from its own command line only (lbenroll_conf.MOVED), by
# their keys in the record; everything else the host was enrolled with stays recorded unless
# the move gives it again.
MOVED_KEYS = tuple(key(BY_DEST[dest]) for dest in MOVED)


class RecordOptions(WriterStep):
    """Last in the step list: the engine skips it once a step has failed, so only an enrollment
    that did not fail is recorded."""

    id = "RECORD_OPTIONS"
    title = "Record the enrollment options for lbenroll repair"

    def writer(self, run):
        if run.options.recorded_in:
            return None
        rows = recorded_values(run.options)
        if run.options.new_capsule:
            rows = merged(previous_record(run.ctx), rows)
        return LbenrollConfWriter(rows, found_facts(run.options))

    def skip_reason(self, run):
        return "repair run: the options were read from %s" % run.options.recorded_in


def previous_record(ctx):
    """{key: text} of the recorded enrollment; {} when there is none or configobj cannot read
    it (the writer then renders the file whole from this run's options)."""
    try:
        record = read(ctx.path(host.LBENROLL_CONF))
    except OSError as exc:
        # As fileio.read_bytes says it for every file a step reads.
        raise WriteError("cannot read %s: %s" % (host.LBENROLL_CONF, exc.strerror),
                         fix="check the file's permissions") from None
    except ConfigError:
        # hoststate.read refused such a record before the run; one changed since is rewritten.
        return {}
    return record or {}


def merged(before, rows):
    """This run's rows plus what the earlier record had that a move keeps, in table order."""
    wanted = dict(rows)
    for name, text in before.items():
        if name not in wanted and name not in MOVED_KEYS:
            wanted[name] = text
    order = [key(spec) for spec in RECORDED]
    return [(name, wanted[name]) for name in order if name in wanted]
