from lbenroll.diagnose import balancer
from lbenroll.diagnose.hostconf import HostFacts
from tests.diagnose.conftest import LB


def test_used_ports_come_from_the_host_files():
    facts = HostFacts()
    facts.rhsm = {"port": "8443"}
    facts.puppet = {"server": LB, "ca_server": LB, "ca_port": "8141"}
    facts.brokers = ["mqtts://%s:1883" % LB]
    assert balancer.used_ports(facts) == {8443, 8140, 8141, 1883}
