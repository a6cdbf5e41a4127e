"""HOST_REDHAT_REPO: every repository of redhat.repo goes through the balancer."""
from lbenroll import host
from lbenroll.diagnose.hostconf import absent, repair_fix, who
from lbenroll.diagnose.verdicts import HOST, failed, listing, passed, plural
from lbenroll.urls import same_host


def check_redhat_repo(facts, balancer, proxies):
    if facts.repo_hosts is None:
        return absent("HOST_REDHAT_REPO", host.REDHAT_REPO, "not registered, or manage_repos = 0")
    wrong = {}
    for repo, hosts in facts.repo_hosts.items():
        for name in hosts:
            if not same_host(name, balancer):
                wrong.setdefault(name, []).append(repo)
    if wrong:
        detail = ["%s: %s" % (who(name, proxies), listing(repos)) for name, repos in
                  sorted(wrong.items())]
        count = len({repo for repos in wrong.values() for repo in repos})
        return failed("HOST_REDHAT_REPO", HOST, "%s: %s %s instead of the balancer" % (
                          host.REDHAT_REPO, plural(count, "repository names",
                                                   "repositories name"), listing(sorted(wrong))),
                      repair_fix(balancer) + " (then `subscription-manager refresh`)",
                      detail=detail)
    return passed("HOST_REDHAT_REPO", HOST, "%s: %s through %s" % (
        host.REDHAT_REPO, plural(len(facts.repo_hosts), "repository goes",
                                 "repositories go"), balancer))
