"""Runs lbenroll in this process and records the process's own CPU time, wall time and peak RSS."""
import resource
import sys
import time

# Usage: python -m benchmarks.selfusage OUT.json LBENROLL-ARGS...
#
# getrusage(RUSAGE_SELF) counts this process only, never the commands lbenroll runs (rpm,
# subscription-manager), so user+system CPU is lbenroll's own work. The wall time starts here,
# after interpreter start-up, whose CPU time is nevertheless counted: own CPU over this wall time
# can only overstate lbenroll's share, never understate it.


def peak_rss_kib():
    """The peak RSS of this process image (VmHWM), in KiB.

    Not ru_maxrss: Linux carries the peak of the image replaced by exec over into it, so a
    process started from a large parent (vfork, then exec) would report the parent's peak.
    """
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def main():
    out, args = sys.argv[1], sys.argv[2:]
    start = time.monotonic()
    from lbenroll import cli
    try:
        cli.main(args)
        code = 0
    except SystemExit as exc:
        code = cli.status_of(exc)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    import json  # after the run: lbenroll itself does not load it without --json
    with open(out, "w") as f:
        json.dump({"wall": time.monotonic() - start, "user": usage.ru_utime,
                   "system": usage.ru_stime, "peak_rss_kib": peak_rss_kib()}, f)
    # As the installed command ends (cli.console): no interpreter teardown.
    cli.exit_now(code)


if __name__ == "__main__":
    main()
