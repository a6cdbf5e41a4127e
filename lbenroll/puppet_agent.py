"""The Puppet agent of one run: its certname, where its CA is, and whether its steps apply."""
from lbenroll import ports


def out_of_scope(options):
    """Why the agent is not installed, signed or enabled in this run; None when it is."""
    if "puppet" in options.skip:
        return "skipped with --skip puppet"
    if options.foreman_left_alone:
        # Not a --skip foreman: lbenroll leaves the host record alone (issue 19), so it does not
        # know that Foreman classifies this agent either.
        return ("skipped because the Foreman host record is left alone (%s): give -g and the API "
                "password to install, sign and enable the agent" % options.foreman_left_alone)
    if options.foreman_skipped:
        # As in bootstrap.py: without a host record Foreman is no ENC for this agent, so it
        # would get no classes; puppet.conf still points at the balancer (PUPPET_CONF).
        return ("skipped because Foreman is skipped (--skip foreman or --content-only): an "
                "agent without a Foreman host record gets no catalog from Foreman")
    return None


def certname(options):
    return options.fqdn.lower()  # as PUPPET_CONF writes it: Puppet certnames are lower-case


def ca_port(options):
    # Puppet's own ca_port when puppet.conf has none: puppetserver's port.
    return int(options.puppet_ca_port or ports.PUPPET)


def ca_address(options):
    return "%s:%s" % (options.puppet_ca_server, ca_port(options))
