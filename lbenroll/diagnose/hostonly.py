"""diagnose --host-only (the fleet audit): this host's files against the balancer, without any
connection, and every setting that pins the host to another name."""
import time

from lbenroll.diagnose import checks
from lbenroll.diagnose.hostconf import HostCheck, host_name, pinned, read_host


def check_host_only(ctx, balancer):
    """The checks of this host's files, and what they pin; files are only read, nothing else
    changed (on a host enrolled with --rex-pull, rpm and `systemctl is-enabled` are asked too)."""
    started = time.monotonic()
    facts = read_host(ctx)
    known = checks.Known(balancer, None, facts, None, [])
    known.connected = False
    return HostCheck(balancer, host_name(ctx), checks.host_results(known),
                     pinned(facts, balancer), time.monotonic() - started)
