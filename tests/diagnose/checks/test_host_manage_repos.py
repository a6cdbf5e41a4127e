from lbenroll.diagnose.checks import host_manage_repos
from tests.diagnose.test_hostconf import LB, PROXIES, RHSM_CONF, enrolled


def conf(line):
    return (RHSM_CONF % {"host": LB}).replace("[rhsm]\n", "[rhsm]\n%s\n" % line)


def test_manage_repos_0_is_a_warning_that_names_the_fix(root):
    facts = enrolled(root, **{"/etc/rhsm/rhsm.conf": conf("manage_repos = 0")})
    result = host_manage_repos.check_manage_repos(facts, LB, PROXIES)
    assert result.status.value == "warning"
    assert "rhsm.manage_repos = 0: subscription-manager writes no redhat.repo" in result.summary
    assert "lbenroll repair" in result.remediation


def test_manage_repos_on_or_absent_passes(root):
    for line in ("manage_repos = 1", "manage_repos = yes", "# manage_repos = 0"):
        facts = enrolled(root, **{"/etc/rhsm/rhsm.conf": conf(line)})
        assert host_manage_repos.check_manage_repos(facts, LB, PROXIES).status.value == \
            "unchanged"


def test_no_rhsm_conf_is_skipped(root):
    facts = enrolled(root)
    facts.rhsm = None
    assert host_manage_repos.check_manage_repos(facts, LB, PROXIES).status.value == "skipped"
