"""The Puppet agent of one run: its package, its certname, where its CA is, and whether its
steps apply."""
from lbenroll import host, ports


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


def package(options, installed):
    """The agent's package: --puppet-package when given, else the one the host has (installed:
    the names of host.PUPPET_AGENT_PACKAGES rpm found), else bootstrap.py's puppet-agent.

    OpenVox replaces puppet-agent (its packages obsolete Puppet's; the two cannot be installed
    together): a host that has openvox-agent keeps it, and never gets puppet-agent beside it.
    """
    if options.puppet_package:
        return options.puppet_package
    if host.OPENVOX_AGENT_PACKAGE in installed:
        return host.OPENVOX_AGENT_PACKAGE
    return host.PUPPET_AGENT_PACKAGE


def certname(options):
    return options.fqdn.lower()  # as PUPPET_CONF writes it: Puppet certnames are lower-case


def ca_port(options):
    # Puppet's own ca_port when puppet.conf has none: puppetserver's port.
    return int(options.puppet_ca_port or ports.PUPPET)


def ca_address(options):
    return "%s:%s" % (options.puppet_ca_server, ca_port(options))
