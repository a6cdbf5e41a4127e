"""lbenroll: enroll RHEL-family hosts with Katello through load-balanced Smart Proxies."""

__version__ = "0.1.0"
