from lbenroll.diagnose import balancer
from lbenroll.diagnose.hostconf import HostFacts
from tests.diagnose.conftest import LB


def test_used_ports_come_from_the_host_files():
    facts = HostFacts()
    facts.rhsm = {"port": "8443"}
    facts.puppet = {"server": LB, "ca_server": LB, "ca_port": "8141"}
    facts.brokers = ["mqtts://%s:1883" % LB]
    assert balancer.used_ports(facts) == {8443, 8140, 8141, 1883}


def test_a_broker_url_with_a_path_uses_the_port_it_names():
    # yggdrasil takes URLs like wss://host:port/path; the port is the one after the host.
    facts = HostFacts()
    facts.brokers = ["wss://%s:8883/mqtt" % LB, "mqtts://%s/x:1" % LB]
    assert balancer.used_ports(facts) == {8883, 1883}
