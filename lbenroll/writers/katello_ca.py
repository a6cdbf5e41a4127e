"""The Katello CA files the consumer RPM's script would write: rhsm's two CAs and the trust anchor.

lbenroll installs the consumer RPM without its scriptlets and writes these itself, with the
bytes the script writes: `echo "$KATELLO_SERVER_CA_DATA" > /etc/rhsm/ca/katello-server-ca.pem`,
mode 644 (puppet-foreman_proxy_content:
lib/puppet/provider/rhsm_reconfigure_script/rhsm_reconfigure_script.rb), and its copy into
/etc/pki/ca-trust/source/anchors.
"""
from lbenroll import host
from lbenroll.writers.base import Target, Writer


def _certificates(text):
    """The fingerprints of the certificates in a PEM text: spacing and line ends do not count."""
    from lbenroll.consumer import PEM_RX, fingerprint
    found = []
    for block in PEM_RX.findall(text or ""):
        try:
            found.append(fingerprint(block.replace("\r", "")))
        except ValueError:
            found.append(block)  # not a certificate ssl reads: compared as text
    return found


class CaFileWriter(Writer):
    """One PEM file holding exactly one certificate. A file that already holds exactly that
    certificate is left as it is, whatever its spacing: no churn on a host that the package's
    own script configured."""

    def __init__(self, pem):
        self.pem = pem

    def render(self, current_text):
        if _certificates(current_text) == _certificates(self.pem):
            return current_text, []
        note = "created" if current_text is None else "replaced: it held another certificate"
        return self.pem, ["%s: %s" % (self.target.path, note)]


class KatelloServerCaWriter(CaFileWriter):
    id = "KATELLO_SERVER_CA"
    target = Target(host.KATELLO_SERVER_CA, 0o644, "root", "root",
                    "the Katello server CA: subscription-manager and dnf trust it (repo_ca_cert)")


class KatelloDefaultCaWriter(CaFileWriter):
    id = "KATELLO_DEFAULT_CA"
    target = Target(host.KATELLO_DEFAULT_CA, 0o644, "root", "root",
                    "Katello's default CA, which subscription-manager trusts with every *.pem "
                    "in /etc/rhsm/ca")


class CaTrustAnchorWriter(CaFileWriter):
    id = "CA_TRUST_ANCHOR"
    target = Target(host.CA_TRUST_ANCHOR, 0o644, "root", "root",
                    "the Katello server CA in the system trust store (then update-ca-trust "
                    "extract)")
