"""HOST_REX_PULL: a host enrolled with --rex-pull has the worker installed, yggdrasil's unit
enabled, and config.toml connecting as this host's consumer identity with the Katello CA (the
broker itself is HOST_YGGDRASIL_CONF's)."""
from lbenroll import host
from lbenroll.diagnose.verdicts import HOST, failed, passed, skipped, warned

FIX = "run `lbenroll repair`, which installs, writes and enables what --rex-pull sets up"


def check_rex_pull(facts, balancer, proxies):
    found = facts.rex_pull
    if found is None:
        return skipped("HOST_REX_PULL", HOST, "not enrolled with --rex-pull (%s)" % (
            host.LBENROLL_CONF))
    if "error" in found:
        return warned("HOST_REX_PULL", HOST, "cannot tell whether the pull-mode worker is "
                      "installed: %s" % found["error"], "run `rpm -q %s` by hand" % " ".join(
                          host.REX_PULL_PACKAGES))
    wrong = ["%s is not installed" % name for name in host.REX_PULL_PACKAGES
             if name not in found["installed"]]
    if not found["enabled"]:
        wrong.append("%s is not enabled" % found["unit"])
    keys = facts.yggdrasil_keys
    if keys is None:
        wrong.append("%s does not exist" % host.YGGDRASIL_CONFIG)
    else:
        for key, wanted in (("cert-file", host.CONSUMER_CERT), ("key-file", host.CONSUMER_KEY)):
            if keys.get(key) != [wanted]:
                wrong.append("%s's %s is %s, not %s" % (
                    host.YGGDRASIL_CONFIG, key, ", ".join(keys.get(key) or ["unset"]), wanted))
        if not keys.get("ca-root"):
            wrong.append("%s names no ca-root" % host.YGGDRASIL_CONFIG)
    if wrong:
        return failed("HOST_REX_PULL", HOST, "pull-mode remote execution is not set up as "
                      "enrolled: %s" % "; ".join(wrong), FIX, detail=wrong)
    return passed("HOST_REX_PULL", HOST, "%s installed, %s enabled, %s connects as this host "
                  "(%s)" % (" and ".join(host.REX_PULL_PACKAGES), found["unit"],
                            host.YGGDRASIL_CONFIG, host.CONSUMER_CERT))
