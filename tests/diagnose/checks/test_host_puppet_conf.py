from lbenroll.diagnose.checks import host_puppet_conf
from tests.diagnose.test_hostconf import LB, PROXIES, enrolled


def test_puppet_without_the_ca_port_warns_and_names_the_fix(root):
    facts = enrolled(root, **{"/etc/puppetlabs/puppet/puppet.conf":
                              "[main]\nserver = %s\n[agent]\nca_server = %s\n" % (LB, LB)})
    result = host_puppet_conf.check_puppet_conf(facts, LB, PROXIES)
    assert result.status.value == "warning" and "ca_port is 8140" in result.summary
    assert "ca_port = 8141" in result.remediation


def test_puppet_naming_a_proxy_fails(root):
    facts = enrolled(root, **{"/etc/puppetlabs/puppet/puppet.conf":
                              "[agent]\nserver = proxy01.example.test\nca_port = 8141\n"})
    result = host_puppet_conf.check_puppet_conf(facts, LB, PROXIES)
    assert result.status.value == "failed"
    assert "server names proxy01.example.test" in result.summary
    assert "ca_server names proxy01.example.test" in result.summary
