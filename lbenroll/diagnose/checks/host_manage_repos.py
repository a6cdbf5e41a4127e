"""HOST_MANAGE_REPOS: rhsm.manage_repos is on, so subscription-manager writes redhat.repo."""
from lbenroll import host
from lbenroll.diagnose.verdicts import HOST, passed, skipped, warned


def check_manage_repos(facts, balancer, proxies):
    if facts.rhsm is None:
        return skipped("HOST_MANAGE_REPOS", HOST, "%s is missing" % host.RHSM_CONF)
    if facts.manage_repos_off is not None:
        # A warning, not a failure: an admin may have turned it off on purpose
        # (--preserve-manage-repos keeps it so); Global Registration sets it to 1.
        return warned("HOST_MANAGE_REPOS", HOST, "%s: rhsm.manage_repos = %s: "
                      "subscription-manager writes no redhat.repo, so this host gets none of the "
                      "repositories %s serves" % (host.RHSM_CONF, facts.manage_repos_off,
                                                  balancer),
                      "run `lbenroll repair` (it sets rhsm.manage_repos = 1 unless the host was "
                      "enrolled with --preserve-manage-repos), or `subscription-manager config "
                      "--rhsm.manage_repos=1`")
    return passed("HOST_MANAGE_REPOS", HOST, "%s: rhsm.manage_repos is on" % host.RHSM_CONF)
