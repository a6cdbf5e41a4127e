"""The ports of the load-balancer guide's table, named by what answers there."""

HTTP = 80             # /pub (the consumer RPM)
HTTPS = 443           # RHSM and content
RHSM_PULP2 = 8443     # RHSM in the Pulp 2-era layout
AMQP = 5647           # qpid for goferd (katello-agent)
TEMPLATES = 8000      # Anaconda templates
PUPPET = 8140         # puppetserver on every proxy
PUPPET_CA = 8141      # the balancer's port that leads to the one proxy with the Puppet CA
SMART_PROXY_API = 9090  # foreman-proxy: registration, /features, the REX key
REGISTRY = 5000       # the container registry
MQTT = 1883           # mosquitto for remote execution pull mode
