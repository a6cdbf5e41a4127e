"""INSTALL_CONSUMER_RPM: the consumer package proxy02 served, installed without its scriptlets
when the host has none with its CA, or an older build of the same package (a rebuilt proxy);
another proxy's package with the same CA is not churned."""
import pytest

from tests.conftest import rpm_answer, rpm_qa
from lbenroll import consumer
from lbenroll.errors import LbenrollError
from lbenroll.results import Status
from tests.rpmbytes import cpio, rpm
from tests.steps.conftest import CA, OTHER_CA, rhsm_conf, seed_host, served
from lbenroll.steps.install_consumer_rpm import InstallConsumerRpm

NVR = "katello-ca-consumer-proxy02.example.test-1.0-1"
SCRIPT = "read -r -d '' KATELLO_SERVER_CA_DATA << EOM || true\n%s\nEOM\nPORT=443\n" % CA.strip()


def fetched(run, tmp_path, release="1"):
    return served(run, tmp_path, SCRIPT, release)


RPM_INSTALL = ["-U", "--replacepkgs", "--replacefiles", "--noscripts", "--notriggers"]
RPM_ERASE = ["-e", "--noscripts", "--notriggers", "--nodeps"]


def installed_payload(root, script=SCRIPT):
    """What rpm leaves of an installed consumer package: its script, the payload."""
    seed_host(root, {"/usr/bin/katello-rhsm-consumer": script})


def test_same_ca_installed_under_another_proxys_name_is_unchanged(make_run, fake_runner, root,
                                                                   tmp_path):
    seed_host(root, {"/etc/rhsm/ca/katello-server-ca.pem": CA, "/etc/rhsm/rhsm.conf": rhsm_conf()})
    installed_payload(root)
    fake_runner.expect(rpm_qa(root), 0,
                       rpm_answer("katello-ca-consumer-proxy01.example.test-1.0-1"))
    result = InstallConsumerRpm().run(fetched(make_run(), tmp_path))
    assert result.status == Status.UNCHANGED
    assert len(fake_runner.calls) == 1  # only the query


def test_a_package_whose_script_never_ran_is_kept(make_run, fake_runner, root, tmp_path):
    # `rpm --noscripts`, a killed %post, a kickstart before subscription-manager: the package is
    # there, the CA files are not. The package is right; the CA steps write the files.
    installed_payload(root)
    fake_runner.expect(rpm_qa(root), 0, rpm_answer(NVR))
    assert InstallConsumerRpm().run(fetched(make_run(), tmp_path)).status == Status.UNCHANGED


def test_fresh_host_installs_the_package_without_scriptlets_and_can_undo_it(
        make_run, fake_runner, root, tmp_path):
    seed_host(root, {"/etc/rhsm/rhsm.conf": rhsm_conf()})
    fake_runner.expect(rpm_qa(root), 0, "")
    fake_runner.expect(["rpm", "--root", str(root), "-U"], 0)
    fake_runner.expect(["rpm", "--root", str(root), "-e", "--noscripts"], 0)
    run = fetched(make_run(), tmp_path)
    result = InstallConsumerRpm().run(run)
    assert result.status == Status.CHANGED and NVR in result.summary
    assert fake_runner.calls[-1] == ["rpm", "--root", str(root)] + RPM_INSTALL + [
        run.consumer.path]
    assert any("scriptlets were not run" in line for line in result.detail)
    run.ctx.undo.rollback()
    assert fake_runner.calls[-1] == ["rpm", "--root", str(root)] + RPM_ERASE + [NVR]
    assert (root / "etc/rhsm/rhsm.conf").read_text() == rhsm_conf()


def test_other_proxys_package_with_another_ca_is_replaced_without_scriptlets(
        make_run, fake_runner, root, tmp_path):
    installed_payload(root, SCRIPT.replace(CA.strip(), OTHER_CA.strip()))
    old = "katello-ca-consumer-proxy01.example.test-1.0-1"
    fake_runner.expect(rpm_qa(root), 0, rpm_answer(old))
    fake_runner.expect(["rpm", "--root", str(root), "-e"], 0)
    fake_runner.expect(["rpm", "--root", str(root), "-U"], 0)
    run = fetched(make_run(), tmp_path)
    result = InstallConsumerRpm().run(run)
    # The new package first: a failed install leaves the old one; then the old one goes.
    assert fake_runner.calls[1] == ["rpm", "--root", str(root)] + RPM_INSTALL + [
        run.consumer.path]
    assert fake_runner.calls[2] == ["rpm", "--root", str(root)] + RPM_ERASE + [old]
    assert "carries another CA" in result.detail[0]
    assert run.consumer_packages_before == [old]
    assert (root / "var/lib/lbenroll/consumer-rpm" / ("%s.noarch.rpm" % NVR)).read_bytes() == \
        (tmp_path / "consumer.rpm").read_bytes()  # kept for a later run's rollback
    # No copy of the old package (installed before lbenroll kept them): the undo says so and
    # what to run, and still erases the new package.
    done, failed = run.ctx.undo.rollback()
    assert failed and "no copy of %s is kept" % old in failed[0] and "rpm -U" in failed[0]
    assert fake_runner.calls[-1] == ["rpm", "--root", str(root)] + RPM_ERASE + [NVR]


def test_a_failed_install_erases_nothing(make_run, fake_runner, root, tmp_path):
    installed_payload(root, SCRIPT.replace(CA.strip(), OTHER_CA.strip()))
    old = "katello-ca-consumer-proxy01.example.test-1.0-1"
    fake_runner.expect(rpm_qa(root), 0, rpm_answer(old))
    fake_runner.expect(["rpm", "--root", str(root), "-U"], 1, "", "error: disk full")
    run = fetched(make_run(), tmp_path)
    with pytest.raises(LbenrollError):
        InstallConsumerRpm().run(run)
    assert not [call for call in fake_runner.calls if "-e" in call]
    assert len(run.ctx.undo) == 0


def test_the_rollback_reinstalls_the_replaced_package_from_its_kept_copy(
        make_run, fake_runner, root, tmp_path):
    installed_payload(root, SCRIPT.replace(CA.strip(), OTHER_CA.strip()))
    old = "katello-ca-consumer-proxy01.example.test-1.0-1"
    kept = root / "var/lib/lbenroll/consumer-rpm" / ("%s.noarch.rpm" % old)
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"the old package")
    stale = kept.parent / "katello-ca-consumer-gone-1.0-1.noarch.rpm"
    stale.write_bytes(b"no longer installed")
    fake_runner.expect(rpm_qa(root), 0, rpm_answer(old))
    fake_runner.expect(["rpm", "--root", str(root)], 0)
    run = fetched(make_run(), tmp_path)
    InstallConsumerRpm().run(run)
    assert not stale.exists() and kept.exists()
    done, failed = run.ctx.undo.rollback()
    assert failed == [] and len(done) == 2
    assert fake_runner.calls[-2] == ["rpm", "--root", str(root), "-U", "--oldpackage",
                                     "--replacepkgs", "--replacefiles", "--noscripts",
                                     "--notriggers", "--nodeps", str(kept)]
    assert fake_runner.calls[-1] == ["rpm", "--root", str(root)] + RPM_ERASE + [NVR]


def test_a_failed_erase_of_the_old_package_is_undone_by_putting_the_old_script_back(
        make_run, fake_runner, root, tmp_path):
    # The new package was installed over the old one (--replacefiles: the old package's record
    # of the shared script says "replaced"), then erasing the old one failed. Erasing the new
    # package alone would take the script with it and leave the old package without its file:
    # the undo reinstalls the old package from its kept copy after erasing the new one.
    installed_payload(root, SCRIPT.replace(CA.strip(), OTHER_CA.strip()))
    old = "katello-ca-consumer-proxy01.example.test-1.0-1"
    kept = root / "var/lib/lbenroll/consumer-rpm" / ("%s.noarch.rpm" % old)
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"the old package")
    fake_runner.expect(rpm_qa(root), 0, rpm_answer(old))
    fake_runner.expect(["rpm", "--root", str(root), "-U"], 0)
    fake_runner.expect(["rpm", "--root", str(root), "-e", "--noscripts", "--notriggers",
                        "--nodeps", old], 1, "", "error: package database locked")
    fake_runner.expect(["rpm", "--root", str(root), "-e"], 0)
    run = fetched(make_run(), tmp_path)
    with pytest.raises(LbenrollError):
        InstallConsumerRpm().run(run)
    done, failed = run.ctx.undo.rollback()
    assert failed == []
    assert fake_runner.calls[-2] == ["rpm", "--root", str(root)] + RPM_ERASE + [NVR]
    assert fake_runner.calls[-1] == ["rpm", "--root", str(root), "-U", "--oldpackage",
                                     "--replacepkgs", "--replacefiles", "--noscripts",
                                     "--notriggers", "--nodeps", str(kept)]


def test_the_balancers_own_package_replaces_a_proxys(make_run, fake_runner, root, tmp_path):
    # Proxies installed with --foreman-proxy-registration-url build it for the balancer name.
    installed_payload(root)
    old = "katello-ca-consumer-proxy01.example.test-1.0-1"
    fake_runner.expect(rpm_qa(root), 0, rpm_answer(old))
    fake_runner.expect(["rpm", "--root", str(root), "-e"], 0)
    fake_runner.expect(["rpm", "--root", str(root), "-U"], 0)
    run = make_run()
    payload = cpio({"./usr/bin/katello-rhsm-consumer": SCRIPT.encode()})
    data = rpm("katello-ca-consumer-smartproxy.example.test", payload=payload)
    run.consumer = consumer.parse("http://x/pub/c.rpm", data, lambda consume: consume(payload))
    run.consumer.path = str(tmp_path / "consumer.rpm")
    (tmp_path / "consumer.rpm").write_bytes(data)
    result = InstallConsumerRpm().run(run)
    assert result.status == Status.CHANGED
    assert "built for one proxy" in result.detail[0]


def test_rpm_failure_names_the_step_and_the_output(make_run, fake_runner, root, tmp_path):
    fake_runner.expect(rpm_qa(root), 0, "")
    fake_runner.expect(["rpm", "--root", str(root), "-U"], 1, "",
                       "error: Failed dependencies: subscription-manager is needed")
    with pytest.raises(LbenrollError) as exc:
        InstallConsumerRpm().run(fetched(make_run(), tmp_path))
    assert exc.value.step == "INSTALL_CONSUMER_RPM"
    assert "subscription-manager is needed" in exc.value.message


def test_dry_run_only_lists_the_commands(make_run, fake_runner, root, tmp_path):
    fake_runner.dry_run = True
    fake_runner.expect(rpm_qa(root), 0, "")
    result = InstallConsumerRpm().run(fetched(make_run(), tmp_path))
    assert result.summary.startswith("would install")
    assert fake_runner.would_run and "-U" in fake_runner.would_run[0]
    assert "--noscripts" in fake_runner.would_run[0]
    assert len(fake_runner.calls) == 1


# -- a rebuilt proxy: a newer build of the same package is installed; another proxy's package
# (any release) with the same CA is not churned. ---------------------------------------------

NAME = "katello-ca-consumer-proxy02.example.test"


def installed(fake_runner, root, *nvrs):
    seed_host(root, {"/etc/rhsm/ca/katello-server-ca.pem": CA, "/etc/rhsm/rhsm.conf": rhsm_conf(),
                     "/usr/bin/katello-rhsm-consumer": SCRIPT})
    fake_runner.expect(rpm_qa(root), 0, rpm_answer(*nvrs))
    fake_runner.expect(["rpm", "--root", str(root), "-e"], 0)
    fake_runner.expect(["rpm", "--root", str(root), "-U"], 0)


def test_newer_release_of_the_installed_package_is_installed(make_run, fake_runner, root,
                                                             tmp_path):
    installed(fake_runner, root, NAME + "-1.0-1")
    run = fetched(make_run(), tmp_path, "2")
    result = InstallConsumerRpm().run(run)
    assert result.status == Status.CHANGED and result.summary == "installed %s-1.0-2" % NAME
    assert "%s-1.0-2 is served, newer than the installed %s-1.0-1 (a rebuilt proxy)" % (
        NAME, NAME) in result.detail
    # rpm -U replaces the older build in one transaction: nothing is erased on its own.
    assert [call[3:5] for call in fake_runner.calls[1:]] == [["-U", "--replacepkgs"]]
    # Its undo puts the older build back from the copy kept when it was installed, or says
    # what to run.
    done, failed = run.ctx.undo.rollback()
    assert failed and "no copy of %s-1.0-1 is kept" % NAME in failed[0]


def test_release_order_is_rpms_not_the_strings(make_run, fake_runner, root, tmp_path):
    installed(fake_runner, root, NAME + "-1.0-9")
    assert InstallConsumerRpm().run(fetched(make_run(), tmp_path, "10")).status == Status.CHANGED


@pytest.mark.parametrize("installed_nvr,release", [
    (NAME + "-1.0-2", "2"),  # the same build
    (NAME + "-1.0-2", "1"),  # an older build than installed: never downgrade
    ("katello-ca-consumer-proxy01.example.test-1.0-1", "2"),  # another proxy's package
])
def test_same_ca_without_an_older_build_of_the_served_package_is_unchanged(
        make_run, fake_runner, root, tmp_path, installed_nvr, release):
    installed(fake_runner, root, installed_nvr)
    result = InstallConsumerRpm().run(fetched(make_run(), tmp_path, release))
    assert result.status == Status.UNCHANGED
    assert len(fake_runner.calls) == 1  # only the query
