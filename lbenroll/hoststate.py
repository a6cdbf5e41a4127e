"""What a host is before a run, and the option values a command line means on it.

Three states decide what `lbenroll --server BALANCER ...` does (README "Host states"):
- enrolled by lbenroll: /etc/lbenroll/lbenroll.conf exists; its options are the defaults of every
  option the command line leaves out, so a bare re-run is the recorded enrollment;
- registered by something else (Global Registration, bootstrap.py, a hand-installed consumer
  RPM): a consumer certificate and no record; adopted without registering again;
- fresh: neither; registering needs what the command line gives.
Reading the state changes nothing; it happens before validation so that bad input is refused
before anything runs.
"""
import os

from lbenroll import host
from lbenroll.errors import ConfigError, UsageError
from lbenroll.options import is_hostname
from lbenroll.urls import same_host


class HostState(object):
    """The record (its {key: text} or None) and whether the host holds a consumer identity."""

    def __init__(self, root, record, registered):
        self.root = root
        self.record_path = host.LBENROLL_CONF
        self.record = record
        self.registered = registered

    @property
    def enrolled(self):
        return self.record is not None


def read(root):
    """The state of the host under root. A record that cannot be read is a configuration error
    (exit 78) naming it. A root that is no directory holds nothing: a fresh host, whose --root
    options.validate refuses."""
    from lbenroll.writers import lbenroll_conf
    root = root or "/"
    try:
        record = lbenroll_conf.read(host.reroot(root, host.LBENROLL_CONF))
    except PermissionError:
        record = None  # not root: the run is refused as such later, with its own message
    except OSError as exc:
        raise ConfigError("cannot read %s: %s" % (host.LBENROLL_CONF, exc.strerror),
                          fix="check the file, or remove it to enroll afresh") from None
    registered = os.path.exists(host.reroot(root, host.CONSUMER_CERT))
    return HostState(root, record, registered)


def with_record(values, state):
    """(values to validate, [dests taken from the record]) for a command line on this host.

    The command line wins wherever it gives an option. Another balancer than the recorded one
    is a move, which --new-capsule must ask for.
    """
    if state is None or state.record is None:
        return dict(values), []
    from lbenroll.writers import lbenroll_conf
    recorded = lbenroll_conf.option_values(state.record, state.record_path)
    given, enrolled_with = values.get("balancer"), recorded.get("balancer")
    # A given name that is no host name is refused by validate() as such, not as a move.
    if (given and enrolled_with and is_hostname(given) and not same_host(given, enrolled_with)
            and not values.get("new_capsule") and not values.get("remove")):
        raise UsageError(
            "this host is enrolled through %s (%s), not %s" % (
                enrolled_with, state.record_path, given),
            fix="to move it to %s, add --new-capsule; to keep it where it is, give -s %s" % (
                given, enrolled_with))
    if values.get("new_capsule"):
        recorded = dict((dest, value) for dest, value in recorded.items()
                        if dest not in lbenroll_conf.MOVED)
    if values.get("hostgroup") and "skip" not in values and "foreman" in recorded.get("skip", ()):
        # -g asks for the host record. A recorded skip = foreman may be one nobody typed (an
        # adopted host, recorded by lbenroll before issue 19): the command line wins.
        recorded["skip"] = [name for name in recorded["skip"] if name != "foreman"]
    merged = dict(recorded)
    merged.update(values)
    return merged, sorted(dest for dest in recorded if dest not in values)
