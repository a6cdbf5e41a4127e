"""RECORD_OPTIONS: remember how this host was enrolled (never secrets), for `lbenroll repair`."""
from lbenroll.steps.base import WriterStep
from lbenroll.writers.lbenroll_conf import LbenrollConfWriter, recorded_values


class RecordOptions(WriterStep):
    """Last in the step list: the engine skips it once a step has failed, so only an enrollment
    that did not fail is recorded."""

    id = "RECORD_OPTIONS"
    title = "Record the enrollment options for lbenroll repair"

    def writer(self, run):
        if run.options.recorded_in:
            return None
        return LbenrollConfWriter(recorded_values(run.options))

    def skip_reason(self, run):
        return "repair run: the options were read from %s" % run.options.recorded_in
