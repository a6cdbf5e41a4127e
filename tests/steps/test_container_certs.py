"""CONTAINER_CERTS: the links Global Registration's container registry setup makes, for the
balancer and each named proxy; kept right, undone, shown in a dry run."""
import os

import pytest

from lbenroll import backup, diskio
from lbenroll.errors import UsageError
from lbenroll.results import Result, Status
from lbenroll.steps.container_certs import ContainerCerts, entitlement_pair
from tests.conftest import seed
from tests.steps.conftest import BALANCER

CERTS = "/etc/containers/certs.d"
BUNDLE = "/etc/pki/tls/certs/ca-bundle.crt"


def entitled(root, serial="1111"):
    seed(root, {BUNDLE: "bundle\n", "/etc/pki/entitlement/%s.pem" % serial: "cert\n",
                "/etc/pki/entitlement/%s-key.pem" % serial: "key\n"})


def link(root, path):
    return os.readlink(os.path.join(str(root), path.lstrip("/")))


def test_without_the_option_it_is_skipped(make_run):
    assert ContainerCerts().run(make_run()).status == Status.SKIPPED


def test_the_balancer_and_each_proxy_get_the_three_links(make_run, root):
    entitled(root)
    run = make_run(container_registry_proxies="proxy01.example.test, proxy02.example.test")
    assert run.options.container_registry_certs  # implied by the proxies
    result = ContainerCerts().run(run)
    assert result.status == Status.CHANGED
    assert result.summary == "made 9 link(s) for %s, proxy01.example.test, " \
                             "proxy02.example.test" % BALANCER
    for name in (BALANCER, "proxy01.example.test", "proxy02.example.test"):
        assert link(root, "%s/%s/ca-bundle.crt" % (CERTS, name)) == BUNDLE
        assert link(root, "%s/%s/client.cert" % (CERTS, name)) == "/etc/pki/entitlement/1111.pem"
        assert link(root, "%s/%s/client.key" % (CERTS, name)) == \
            "/etc/pki/entitlement/1111-key.pem"
    again = ContainerCerts().run(make_run(container_registry_certs=True,
                                          container_registry_proxies="proxy01.example.test,"
                                                                     "proxy02.example.test"))
    assert again.status == Status.UNCHANGED


def test_the_newest_certificate_with_its_key_is_linked(make_run, root):
    entitled(root, "1111")
    entitled(root, "2222")
    seed(root, {"/etc/pki/entitlement/3333.pem": "a certificate without its key\n"})
    old = os.path.join(str(root), "etc/pki/entitlement/1111.pem")
    os.utime(old, (2000000000, 2000000000))  # the newest
    assert entitlement_pair(make_run().ctx) == ("/etc/pki/entitlement/1111.pem",
                                                "/etc/pki/entitlement/1111-key.pem")


def test_no_entitlement_certificate_is_a_warning_that_names_the_fix(make_run, root):
    seed(root, {BUNDLE: "bundle\n"})
    result = ContainerCerts().run(make_run(container_registry_certs=True))
    assert result.status == Status.WARNING
    assert "no entitlement certificate in /etc/pki/entitlement" in result.summary
    assert "subscription-manager refresh" in result.remediation
    assert not os.path.exists(os.path.join(str(root), CERTS.lstrip("/")))


def test_dry_run_lists_the_links_and_writes_nothing(make_run, root, ctx):
    entitled(root)
    ctx.runner.dry_run = True
    result = ContainerCerts().run(make_run(container_registry_certs=True))
    assert result.status == Status.CHANGED
    assert "would link %s/%s/client.key -> /etc/pki/entitlement/1111-key.pem" % (
        CERTS, BALANCER) in result.detail
    assert not os.path.exists(os.path.join(str(root), "etc/containers"))


def test_dry_run_before_registering_says_it_comes_after(make_run, root, ctx):
    seed(root, {BUNDLE: "bundle\n"})
    ctx.runner.dry_run = True
    run = make_run(container_registry_certs=True)
    run.results["REGISTER"] = Result("REGISTER", Status.CHANGED, "would register")
    result = ContainerCerts().run(run)
    assert result.status == Status.CHANGED
    assert result.summary == "would link %s/%s once registered" % (CERTS, BALANCER)


def test_a_changed_link_is_backed_up_once_and_undone(make_run, root, ctx):
    entitled(root)
    path = "%s/%s/client.cert" % (CERTS, BALANCER)
    os.makedirs(os.path.join(str(root), "etc/containers/certs.d", BALANCER))
    os.symlink("/somewhere/else.pem", os.path.join(str(root), path.lstrip("/")))
    ContainerCerts().run(make_run(container_registry_certs=True))
    assert link(root, path) == "/etc/pki/entitlement/1111.pem"
    assert backup.read_backup(ctx, path) == diskio.Link("/somewhere/else.pem")
    assert backup.backed_up(ctx, "%s/%s/client.key" % (CERTS, BALANCER))  # as absent
    ctx.undo.rollback()
    assert link(root, path) == "/somewhere/else.pem"
    assert not os.path.lexists(os.path.join(str(root), path.lstrip("/")[:-len("cert")] + "key"))


@pytest.mark.parametrize("name", ["../../pki", "/etc", ".hidden", "a/b", "two words"])
def test_a_proxy_name_that_is_not_a_host_name_is_refused(make_run, name):
    with pytest.raises(UsageError) as exc:
        make_run(container_registry_proxies="proxy01.example.test," + name)
    assert exc.value.message == "--container-registry-proxies: %r is not a host name" % name


def test_a_certificate_that_cannot_be_read_is_passed_over(make_run, root):
    entitled(root, "1111")
    os.symlink("/nowhere.pem", os.path.join(str(root), "etc/pki/entitlement/2222.pem"))
    seed(root, {"/etc/pki/entitlement/2222-key.pem": "key\n"})
    assert entitlement_pair(make_run().ctx) == ("/etc/pki/entitlement/1111.pem",
                                                "/etc/pki/entitlement/1111-key.pem")


# The proxies behind the balancer from the Foreman API (FOREMAN_HOST), and a repair's names.

def test_the_proxies_foreman_host_found_are_set_up(make_run, root):
    entitled(root)
    run = make_run(container_registry_certs=True)
    run.registry_proxies = ["proxy01.example.test", "proxy02.example.test"]
    result = ContainerCerts().run(run)
    assert result.summary == "made 9 link(s) for %s, proxy01.example.test, " \
                             "proxy02.example.test" % BALANCER
    assert link(root, "%s/proxy02.example.test/client.cert" % CERTS) == \
        "/etc/pki/entitlement/1111.pem"


def test_the_proxies_given_win_over_those_found(make_run, root):
    entitled(root)
    run = make_run(container_registry_proxies="proxy09.example.test")
    run.registry_proxies = ["proxy01.example.test"]
    ContainerCerts().run(run)
    assert os.path.isdir(os.path.join(str(root), CERTS.lstrip("/"), "proxy09.example.test"))
    assert not os.path.exists(os.path.join(str(root), CERTS.lstrip("/"), "proxy01.example.test"))


def test_a_repair_relinks_the_proxies_set_up_before_to_a_renewed_certificate(make_run, root):
    entitled(root, "1111")
    first = make_run(container_registry_certs=True)
    first.registry_proxies = ["proxy01.example.test"]
    ContainerCerts().run(first)
    # rhsmcertd renewed the certificate; the repair asks no API (registry_proxies is None).
    for name in ("1111.pem", "1111-key.pem"):
        os.remove(os.path.join(str(root), "etc/pki/entitlement", name))
    entitled(root, "2222")
    seed(root, {CERTS + "/hand.example.test/ca.crt": "not ours\n"})  # no client.cert link
    result = ContainerCerts().run(make_run(container_registry_certs=True))
    assert result.summary == "made 4 link(s) for %s, proxy01.example.test" % BALANCER
    assert link(root, "%s/proxy01.example.test/client.key" % CERTS) == \
        "/etc/pki/entitlement/2222-key.pem"
    assert ContainerCerts().run(make_run(container_registry_certs=True)).status == \
        Status.UNCHANGED
