"""The balancer as the load-balancer guide sets it up: its port table, and what the checks
through it share."""
import collections

from lbenroll import ports
from lbenroll.urls import port_of

HTTP, TLS, AMQP, MQTT, PUPPET = "http", "tls", "amqp", "mqtt", "puppet"
# need: "always" for the ports the guide's table forwards for every client; a host file's
# name when only hosts using that service need the port; "optional" otherwise.
Port = collections.namedtuple("Port", "number kind service need")
PORTS = (
    Port(ports.HTTP, HTTP, "HTTP: /pub and the consumer RPM", "always"),
    Port(ports.HTTPS, TLS, "HTTPS: RHSM and content", "always"),
    Port(ports.RHSM_PULP2, TLS, "RHSM (the Pulp 2-era layout)", "rhsm.conf"),
    Port(ports.AMQP, AMQP, "AMQP for goferd (katello-agent)", "goferd"),
    Port(ports.TEMPLATES, HTTP, "Anaconda templates", "optional"),
    Port(ports.PUPPET, PUPPET, "Puppet", "puppet.conf"),
    Port(ports.PUPPET_CA, PUPPET, "the Puppet CA", "puppet.conf"),
    Port(ports.SMART_PROXY_API, TLS, "the Smart Proxy API: registration, OpenSCAP", "always"),
    Port(ports.REGISTRY, TLS, "the container registry", "optional"),
    Port(ports.MQTT, MQTT, "MQTT for remote execution pull mode", "yggdrasil"),
)
CNAME_FIX = ("generate that proxy's certificates with `foreman-proxy-certs-generate "
             "--foreman-proxy-cname %s` and install them with `--certs-cname %s`")
CA_FIX = ("every proxy behind the balancer needs certificates from the Katello CA: regenerate "
          "them on the Katello server with foreman-proxy-certs-generate and install them")
# At most this many connections to one port per check: enough to see a round-robin over the
# proxies, few enough that a dead port costs few timeouts.
MAX_PROBES_PER_PORT = 8


def used_ports(facts):
    """Ports this host's own configuration sends traffic to."""
    used = {facts.rhsm_port} if facts.rhsm is not None else set()
    if facts.gofer_url is not None:
        used.add(ports.AMQP)
    if facts.puppet is not None:
        ca_port = facts.puppet["ca_port"] or str(ports.PUPPET)
        used.update({ports.PUPPET, int(ca_port) if ca_port.isdigit() else ports.PUPPET})
    used.update(port_of(url, ports.MQTT) for url in facts.brokers or ())
    return used


def answering(probe):
    """The proxy a certificate names besides the balancer, when it names one."""
    names = [n for n in probe.other_names() if not n.startswith("*.")]
    return names[0] if names else None
