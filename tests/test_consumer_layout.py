"""consumer.Layout (what the consumer RPM's script sets in rhsm.conf), the default CA, and the
CA a host already trusts."""
import pytest

from lbenroll import consumer
from lbenroll.consumer import Layout
from tests.conftest import seed
from tests.rpmbytes import cpio, rpm
from tests.steps.conftest import CA, OTHER_CA

DEFAULT_BLOCK = "read -r -d '' KATELLO_DEFAULT_CA_DATA << EOM || true\n%s\n\nEOM\n" % (
    OTHER_CA.strip())
SERVER_BLOCK = "read -r -d '' KATELLO_SERVER_CA_DATA << EOM || true\n%s\n\nEOM\n" % CA.strip()

# The shape of today's script (puppet-foreman_proxy_content rhsm_reconfigure_script.rb): PORT and
# PREFIX at the top, the CAs, then BASEURL in a Debian branch before the RHEL one.
CURRENT = """#!/bin/bash

set -e

KATELLO_SERVER=proxy02.example.test
PORT=443

KATELLO_SERVER_CA_CERT=katello-server-ca.pem
KATELLO_DEFAULT_CA_CERT=katello-default-ca.pem

CERT_DIR=/etc/rhsm/ca
PREFIX=/rhsm
CFG=/etc/rhsm/rhsm.conf

%s
%s
if is_debian
then
  # Debian setup
  BASEURL=https://$KATELLO_SERVER/pulp/deb

  subscription-manager config \\
    --server.hostname="$KATELLO_SERVER" \\
    --server.prefix="$PREFIX" \\
    --server.port="$PORT" \\
    --rhsm.baseurl="$BASEURL"
else
  # rhel setup
  BASEURL=https://$KATELLO_SERVER/pulp/content/

  subscription-manager config \\
    --server.hostname="$KATELLO_SERVER" \\
    --server.port="$PORT" \\
    --rhsm.baseurl="$BASEURL"
fi
""" % (DEFAULT_BLOCK, SERVER_BLOCK)

# The Pulp 2 era's (puppet-certs templates/rhsm-katello-reconfigure.erb), rendered: port 8443
# and /pulp/repos, with the Debian branch before the RHEL one.
PULP2 = """KATELLO_SERVER=proxy01.example.test
KATELLO_SERVER_CA_CERT=katello-server-ca.pem
PORT=8443

PREFIX=/rhsm
CFG=/etc/rhsm/rhsm.conf

if [ -r "/etc/os-release" ] && [ "$(sed -n -e "s/^ID=//p" /etc/os-release)" = "debian" ]
then
  # Debian setup
  BASEURL=https://$KATELLO_SERVER/pulp/deb
else
  # rhel setup
  BASEURL=https://$KATELLO_SERVER/pulp/repos
fi
"""

# Every rendered Pulp 2 era template has an Atomic (ostree) branch before the others:
#   if [ -n "${IS_ATOMIC+1}" ] || [ -e "/run/ostree-booted" ]
#   then
#     BASEURL=https://$KATELLO_SERVER/pulp/ostree/web/
ATOMIC_BRANCH = """if [ -n "${IS_ATOMIC+1}" ] || [ -e "/run/ostree-booted" ]
then
  # atomic setup
  BASEURL=https://$KATELLO_SERVER/pulp/ostree/web/
elif is_debian
then
  # Debian setup
  BASEURL=https://$KATELLO_SERVER/pulp/deb
else
  # rhel setup
  BASEURL=https://$KATELLO_SERVER/pulp/repos
fi
"""


def test_the_current_script_skips_the_debian_branch():
    assert Layout.of_script(CURRENT) == Layout(443, "/rhsm", "/pulp/content/")


def test_the_pulp2_era_script():
    layout = Layout.of_script(PULP2)
    assert (layout.port, layout.prefix, layout.content_path) == (8443, "/rhsm", "/pulp/repos")


def test_the_pulp2_era_script_with_its_atomic_branch():
    script = PULP2.split("if [ -r")[0] + ATOMIC_BRANCH
    assert Layout.of_script(script).content_path == "/pulp/repos"


def test_defaults_when_the_script_says_nothing():
    assert Layout.of_script("#!/bin/bash\nexit 0\n") == Layout(443, "/rhsm", "/pulp/content/")
    assert (consumer.DEFAULT_PORT, consumer.DEFAULT_PREFIX, consumer.DEFAULT_CONTENT_PATH) == (
        443, "/rhsm", "/pulp/content/")


def test_only_debian_content_falls_back_to_the_default_path():
    script = "BASEURL=https://$KATELLO_SERVER/pulp/deb/\n"
    assert Layout.of_script(script).content_path == "/pulp/content/"


@pytest.mark.parametrize("line, port", [
    ("PORT=8443", 8443), ("PORT='8443'", 8443), ('PORT="9443"', 9443), ("  PORT=444", 444),
    ('subscription-manager config --server.port="8443"', 8443),
    ("subscription-manager config --server.port 8443", 8443),
])
def test_port_spellings(line, port):
    assert Layout.of_script(line + "\n").port == port


def test_the_first_port_wins_and_a_variable_is_no_port():
    assert Layout.of_script('PORT=8443\n  --server.port="$PORT"\nPORT=443\n').port == 8443
    assert Layout.of_script('--server.port="$PORT"\n').port == 443


@pytest.mark.parametrize("line, prefix", [
    ("PREFIX=/rhsm", "/rhsm"), ("PREFIX='/katello/api'", "/katello/api"),
    ('PREFIX="/rhsm"', "/rhsm"), ("PREFIX=$DEPLOYMENT_URL", "/rhsm"),
])
def test_prefix_spellings(line, prefix):
    assert Layout.of_script(line + "\n").prefix == prefix


@pytest.mark.parametrize("line, path", [
    ("BASEURL=https://$KATELLO_SERVER/pulp/content/", "/pulp/content/"),
    ("BASEURL='https://proxy.example.test/pulp/repos'", "/pulp/repos"),
    ('BASEURL="https://proxy.example.test:8443/pulp/repos"', "/pulp/repos"),
    ("BASEURL=http://$KATELLO_SERVER/custom/", "/custom/"),
])
def test_content_path_spellings(line, path):
    assert Layout.of_script(line + "\n").content_path == path


def test_a_commented_baseurl_is_not_read():
    script = "# BASEURL=https://$KATELLO_SERVER/pulp/repos\nBASEURL=https://x/pulp/content/\n"
    assert Layout.of_script(script).content_path == "/pulp/content/"


def test_layouts_compare_by_value():
    assert Layout(443, "/rhsm", "/pulp/content/") == Layout(443, "/rhsm", "/pulp/content/")
    assert Layout(443, "/rhsm", "/pulp/content/") != Layout(8443, "/rhsm", "/pulp/content/")
    assert Layout(443, "/rhsm", "/pulp/content/") != (443, "/rhsm", "/pulp/content/")
    assert repr(Layout(8443, "/rhsm", "/pulp/repos")) == "Layout(8443, '/rhsm', '/pulp/repos')"


def parsed(script):
    payload = cpio({"./usr/bin/katello-rhsm-consumer": script.encode()})
    data = rpm("katello-ca-consumer-proxy02.example.test", payload=payload)
    return consumer.parse("http://x/pub/c.rpm", data, lambda consume: consume(payload))


def test_the_consumer_rpm_carries_its_layout_and_both_cas():
    package = parsed(CURRENT)
    assert package.layout == Layout(443, "/rhsm", "/pulp/content/")
    assert package.rhsm_port == 443
    assert package.server_ca_pem == CA.strip() + "\n"
    assert package.default_ca_pem == OTHER_CA.strip() + "\n"
    assert package.fingerprint == consumer.fingerprint(CA)  # the server CA's, not the default's


def test_a_pulp2_consumer_rpm():
    package = parsed(PULP2 + SERVER_BLOCK)
    assert package.layout == Layout(8443, "/rhsm", "/pulp/repos")
    assert package.rhsm_port == 8443


def test_without_a_default_ca_block_the_server_ca_is_the_default_ca():
    package = parsed(SERVER_BLOCK + "PORT=443\n")
    assert package.default_ca_pem == package.server_ca_pem == CA.strip() + "\n"


# -- the CA this host trusts already ------------------------------------------------------------


def test_trusted_ca_is_the_ca_file_first(ctx, root):
    seed(root, {"/etc/rhsm/ca/katello-server-ca.pem": "\n" + OTHER_CA,
                "/usr/bin/katello-rhsm-consumer": CURRENT})
    assert consumer.trusted_ca(ctx) == OTHER_CA.strip() + "\n"


def test_trusted_ca_falls_back_to_the_installed_packages_script(ctx, root):
    seed(root, {"/usr/bin/katello-rhsm-consumer": CURRENT})
    # The server CA block, not the default CA that comes first in the script.
    assert consumer.trusted_ca(ctx) == CA.strip() + "\n"
    assert consumer.installed_script_ca(ctx) == CA.strip() + "\n"


def test_trusted_ca_of_a_script_without_blocks_is_its_first_certificate(ctx, root):
    seed(root, {"/usr/bin/katello-rhsm-consumer": "#!/bin/sh\ncat <<X\n%sX\n" % OTHER_CA})
    assert consumer.trusted_ca(ctx) == OTHER_CA.strip() + "\n"


def test_trusted_ca_of_a_host_without_either_is_none(ctx, root):
    assert consumer.trusted_ca(ctx) is None
    seed(root, {"/usr/bin/katello-rhsm-consumer": "#!/bin/sh\nexit 0\n",
                "/etc/rhsm/ca/katello-server-ca.pem": "not a certificate\n"})
    assert consumer.trusted_ca(ctx) is None
