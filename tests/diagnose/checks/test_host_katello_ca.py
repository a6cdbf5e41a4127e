from lbenroll.diagnose.checks import host_katello_ca
from lbenroll.diagnose.trust import KatelloCa
from tests.diagnose.test_hostconf import LB, OTHER_CA, enrolled


def test_an_installed_ca_that_is_not_the_katello_ca_fails(root):
    facts = enrolled(root)
    result = host_katello_ca.check_installed_ca(facts, KatelloCa(OTHER_CA, "served by proxy01"), LB)
    assert result.status.value == "failed"
    assert "refuse the balancer's certificate" in result.summary
