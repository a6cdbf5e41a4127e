"""Issue 21 section 4, end to end: katello.facts, rhsm.manage_repos, OpenVox and the container
registry proxies from the Foreman API, through the real load-balanced lab."""
import json

from tests.e2e.test_activation_keys import consumer, registrations
from tests.e2e.test_enroll import ENROLL, RHSM_CONF, lbenroll, repo_urls, rhsm, statuses
from tests.lab.lab import BALANCER

KATELLO_FACTS = "/etc/rhsm/facts/katello.facts"
REDHAT_REPO = "/etc/yum.repos.d/redhat.repo"


def ok(proc):
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.report


def with_fqdn(fqdn):
    argv = list(ENROLL)
    argv[argv.index("--fqdn") + 1] = fqdn
    return argv


def result(report, step_id):
    return [r for r in report["results"] if r["id"] == step_id][0]


# -- katello.facts ------------------------------------------------------------------------------

def test_katello_facts_name_the_host_by_its_fqdn_at_registration_and_go_with_remove(lab, sandbox):
    box = sandbox()  # its own name is client01.example.test
    before = len(registrations(lab))
    report = ok(lbenroll(box, *with_fqdn("web07.example.test") + ["--json"]))
    assert statuses(report)["KATELLO_FACTS"] == "changed"
    assert json.loads(box.read_text(KATELLO_FACTS)) == {
        "network.hostname-override": "web07.example.test"}
    # subscription-manager sent it with the registration, which is how Katello names the host.
    new = registrations(lab)[before:]
    assert len(new) == 1
    facts = consumer(lab, new[0]["uuid"])["facts"]
    assert facts["network.hostname-override"] == "web07.example.test"

    again = ok(lbenroll(box, *with_fqdn("web07.example.test") + ["--json"]))
    assert statuses(again)["KATELLO_FACTS"] == "unchanged"

    ok(lbenroll(box, "--remove", "--skip", "foreman", "--json"))
    assert not box.exists(KATELLO_FACTS)


def test_katello_facts_keep_the_keys_others_wrote(lab, sandbox):
    box = sandbox()
    box.seed(KATELLO_FACTS, b'{"site.rack": "B12"}\n')
    ok(lbenroll(box, *ENROLL + ["--json"]))
    assert json.loads(box.read_text(KATELLO_FACTS)) == {
        "site.rack": "B12", "network.hostname-override": "client01.example.test"}


# -- rhsm.manage_repos --------------------------------------------------------------------------

def manage_repos_off(box):
    text = box.read_text(RHSM_CONF)
    assert "\nmanage_repos = 1\n" in text
    box.seed(RHSM_CONF, text.replace("\nmanage_repos = 1\n", "\nmanage_repos = 0\n").encode())


def test_manage_repos_0_is_turned_on_said_in_the_report_and_redhat_repo_follows(lab, sandbox):
    box = sandbox()
    manage_repos_off(box)
    report = ok(lbenroll(box, *ENROLL + ["--json"]))
    rhsm_conf = result(report, "RHSM_CONF")
    assert "rhsm.manage_repos was 0, now 1" in rhsm_conf["summary"]
    assert rhsm(box).get("rhsm", "manage_repos") == "1"
    urls = repo_urls(box)
    assert urls and all(url.startswith("https://%s/" % BALANCER) for url in urls.values())


def test_preserve_manage_repos_keeps_0_and_says_so(lab, sandbox):
    box = sandbox()
    manage_repos_off(box)
    # No redhat.repo means no repository at all on this host: katello-host-tools cannot come.
    report = ok(lbenroll(box, *ENROLL + ["--json", "--preserve-manage-repos", "--skip",
                                         "katello-host-tools"]))
    assert "kept (--preserve-manage-repos)" in result(report, "RHSM_CONF")["summary"]
    assert rhsm(box).get("rhsm", "manage_repos") == "0"
    assert statuses(report)["REDHAT_REPO"] == "skipped"
    assert not box.exists(REDHAT_REPO)
    # The repair keeps the admin's choice: it was recorded.
    repair = ok(lbenroll(box, "repair", "--json"))
    assert rhsm(box).get("rhsm", "manage_repos") == "0"
    assert not repair["changed"]


# -- OpenVox ------------------------------------------------------------------------------------

def foreman_lbenroll(box, *args):
    """lbenroll with the Foreman API password in the environment (tests/e2e/test_foreman.py)."""
    from tests.e2e.test_foreman import lbenroll as with_password
    proc = with_password(box, *args)
    proc.report = json.loads(proc.stdout) if "--json" in args and proc.stdout.strip() else None
    return proc


def rpm_installed(box, name):
    return box.run(["rpm", "-q", name]).returncode == 0


def test_puppet_package_openvox_agent_is_installed_signed_kept_and_removed(lab, sandbox):
    from tests.e2e.test_foreman import FOREMAN, FQDN
    lab.wait_puppetserver()
    box = sandbox()
    report = ok(foreman_lbenroll(box, *FOREMAN + ["--json", "--puppet-package",
                                                  "openvox-agent"]))
    assert result(report, "PUPPET_INSTALL")["summary"] == "installed openvox-agent with dnf"
    assert rpm_installed(box, "openvox-agent") and not rpm_installed(box, "puppet-agent")
    # Same paths, command and service as puppet-agent's.
    assert result(report, "PUPPET_CERT")["summary"].startswith(
        "got a certificate for %s from the Puppet CA" % FQDN)
    assert statuses(report)["PUPPET_ENABLE"] == "changed"

    # A repair leaves the agent's steps out (no Foreman host record work) and the agent as it is.
    repair = ok(lbenroll(box, "repair", "--json"))
    assert statuses(repair)["PUPPET_INSTALL"] == "skipped" and not repair["changed"]
    assert rpm_installed(box, "openvox-agent")
    # Enrolling again: the recorded --puppet-package names the agent the host has.
    again = ok(foreman_lbenroll(box, *FOREMAN + ["--json"]))
    assert result(again, "PUPPET_INSTALL")["summary"] == "openvox-agent already installed"

    removed = ok(foreman_lbenroll(box, "--remove", "-s", BALANCER, "--fqdn", FQDN, "--json"))
    assert "openvox-agent" in result(removed, "REMOVE_PACKAGES")["data"]["removed"]
    assert not rpm_installed(box, "openvox-agent")


def test_a_host_that_has_openvox_agent_keeps_it_without_the_option(lab, sandbox):
    from tests.e2e.test_foreman import FOREMAN
    lab.wait_puppetserver()
    box = sandbox()
    first = ok(foreman_lbenroll(box, *FOREMAN + ["--json", "--puppet-package",
                                                 "openvox-agent"]))
    assert statuses(first)["PUPPET_INSTALL"] == "changed"
    # A later enrollment without the option, and a record that does not give it either.
    record = box.read_text("/etc/lbenroll/lbenroll.conf")
    assert "puppet-package = openvox-agent\n" in record
    box.seed("/etc/lbenroll/lbenroll.conf",
             record.replace("puppet-package = openvox-agent\n", "").encode())
    again = ok(foreman_lbenroll(box, *FOREMAN + ["--json"]))
    assert result(again, "PUPPET_INSTALL")["summary"] == "openvox-agent already installed"
    assert not rpm_installed(box, "puppet-agent")


# -- --container-registry-proxies from the Foreman API -------------------------------------------

def test_container_registry_proxies_come_from_the_foreman_api_and_repair_keeps_them(lab,
                                                                                   sandbox):
    from tests.e2e.test_container_certs import PROXIES, links, registry_answer
    from tests.e2e.test_foreman import FOREMAN
    lab.wait_puppetserver()  # Foreman mode also sets up the Puppet agent
    box = sandbox()
    report = ok(foreman_lbenroll(box, *FOREMAN + ["--json", "--container-registry-certs"]))
    assert ("container registry proxies behind %s (Foreman API): %s" % (
        BALANCER, ", ".join(PROXIES))) in result(report, "FOREMAN_HOST")["detail"]
    assert statuses(report)["CONTAINER_CERTS"] == "changed"
    for name in (BALANCER,) + PROXIES:
        assert links(box, name)["client.cert"].startswith("/etc/pki/entitlement/")
        assert registry_answer(box, name) == "200", name
    # The lab's 98 remote capsules register under their own names: none of them is set up.
    assert sorted(box.listdir("/etc/containers/certs.d")) == sorted((BALANCER,) + PROXIES)

    repair = ok(lbenroll(box, "repair", "--json"))
    assert statuses(repair)["CONTAINER_CERTS"] == "unchanged"
    assert "already linked for %s, %s" % (BALANCER, ", ".join(PROXIES)) == \
        result(repair, "CONTAINER_CERTS")["summary"]
