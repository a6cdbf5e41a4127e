from lbenroll.diagnose.checks import host_redhat_repo
from tests.diagnose.test_hostconf import LB, PROXIES, enrolled


def test_redhat_repo_lists_the_hosts_that_are_not_the_balancer(root):
    facts = enrolled(root, repo_host="proxy01.example.test")
    result = host_redhat_repo.check_redhat_repo(facts, LB, PROXIES)
    assert result.status.value == "failed"
    assert "3 repositories name proxy01.example.test instead of the balancer" in result.summary
    assert result.detail == ["proxy01.example.test, one of the proxies, directly: "
                             "ACME_Lab_hello, ACME_Lab_el, ACME_Lab_off"]
