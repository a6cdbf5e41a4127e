"""The --remove steps with a fake runner and the lab's Foreman without sockets."""
import os

import pytest

from lbenroll import backup, engine, fileio
from lbenroll.errors import ExitCode, LbenrollError, UsageError, WriteError
from lbenroll.results import Status
from lbenroll.writers.base import Target
from tests.conftest import rpm_answer, rpm_qa, seed
from tests.lab.foreman import PASSWORD
from tests.steps.conftest import CA, rhsm_conf
from lbenroll.steps.clean_puppet import CleanPuppet
from lbenroll.steps.disable_repair_timer import DisableRepairTimer
from lbenroll.steps.foreman_host_delete import ForemanHostDelete
from lbenroll.steps.forget_backups import ForgetBackups
from lbenroll.steps.register import Register
from lbenroll.steps.remove_packages import RemovePackages, wanted_packages
from lbenroll.steps.remove_preflight import RemovePreflight
from lbenroll.steps.restore_files import RestoreFiles
from lbenroll.steps.unregister import Unregister

CERT = "/etc/pki/consumer/cert.pem"
RHSM = "/etc/rhsm/rhsm.conf"
ANCHOR = "/etc/pki/ca-trust/source/anchors/katello-server-ca.pem"


def sm(root, *args):
    return ["chroot", str(root), "subscription-manager"] + list(args)


def dnf(root, *args):
    return ["chroot", str(root), "dnf", "-y"] + list(args)


@pytest.fixture
def remove_run(make_run, tmp_path):
    def factory(**given):
        values = {"remove": True, "activationkey": None}
        values.update(given)
        run = make_run(**values)
        run.tmpdir = str(tmp_path)
        return run
    return factory


@pytest.fixture
def with_dnf(root):
    seed(root, {"/usr/bin/dnf": ""})


def real(root, path):
    return os.path.join(str(root), path.lstrip("/"))


def test_the_removal_steps_run_in_the_decided_order():
    assert [step.id for step in engine.REMOVE_STEPS] == [
        "REMOVE_PREFLIGHT", "UNREGISTER", "FOREMAN_HOST_DELETE", "REMOVE_REX_KEYS", "RESTORE_FILES",
        "DISABLE_REPAIR_TIMER", "REMOVE_REX_PULL", "REMOVE_PACKAGES", "CLEAN_PUPPET",
        "FORGET_BACKUPS"]


def test_preflight_refuses_a_katello_server(remove_run, fake_runner, root):
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("katello"))
    with pytest.raises(UsageError) as exc:
        RemovePreflight().run(remove_run())
    assert "Katello server" in exc.value.message


def test_preflight_masks_the_proxy_password_of_the_file_and_of_its_backup(
        remove_run, fake_runner, ctx, root):
    seed(root, {RHSM: "[server]\nproxy_password = kept-secret\n"})
    backup.backup_before_command(ctx, [RHSM])
    seed(root, {RHSM: "[server]\nproxy_password = current-secret\n"})
    fake_runner.expect(rpm_qa(root), 0, "")
    result = RemovePreflight().run(remove_run())
    assert result.status == Status.UNCHANGED
    assert "secret" not in ctx.redact("kept-secret current-secret")


def test_unregistered_host_runs_nothing(remove_run, fake_runner):
    result = Unregister().run(remove_run())
    assert result.status == Status.UNCHANGED and fake_runner.calls == []


def test_unregister_then_clean(remove_run, fake_runner, root):
    seed(root, {CERT: "cert"})
    fake_runner.expect(sm(root, "unregister"), 0)
    fake_runner.expect(sm(root, "clean"), 0)
    result = Unregister().run(remove_run())
    assert result.status == Status.CHANGED
    assert fake_runner.calls == [sm(root, "unregister"), sm(root, "clean")]


def test_identity_not_accepted_is_cleaned(remove_run, fake_runner, root):
    seed(root, {CERT: "cert"})
    fake_runner.expect(sm(root, "unregister"), 1, "", "This system is currently not registered.")
    fake_runner.expect(sm(root, "clean"), 0)
    result = Unregister().run(remove_run())
    assert result.status == Status.CHANGED and "stale" in result.summary
    assert fake_runner.calls[-1] == sm(root, "clean")


@pytest.mark.parametrize("rc,code", [(69, ExitCode.UNAVAILABLE), (70, ExitCode.UNAVAILABLE),
                                     (78, ExitCode.CONFIG), (5, ExitCode.FAILED)])
def test_unregister_failure_stops_with_our_exit_code(remove_run, fake_runner, root, rc, code):
    seed(root, {CERT: "cert"})
    fake_runner.expect(sm(root, "unregister"), rc, "", "Unable to reach the server")
    with pytest.raises(LbenrollError) as exc:
        Unregister().run(remove_run())
    assert exc.value.exit_code == code
    assert "Unable to reach the server" in exc.value.message and "clean" in exc.value.fix
    assert fake_runner.calls == [sm(root, "unregister")]  # no clean: the consumer still exists


def test_failed_clean_after_unregistering_is_a_warning(remove_run, fake_runner, root):
    seed(root, {CERT: "cert"})
    fake_runner.expect(sm(root, "unregister"), 0)
    fake_runner.expect(sm(root, "clean"), 1, "", "disk full")
    result = Unregister().run(remove_run())
    assert result.status == Status.WARNING and "disk full" in result.summary


def test_unregister_dry_run(remove_run, fake_runner, root):
    seed(root, {CERT: "cert"})
    fake_runner.dry_run = True
    result = Unregister().run(remove_run())
    assert result.status == Status.CHANGED and fake_runner.calls == []
    assert fake_runner.would_run == [" ".join(sm(root, "unregister")),
                                     " ".join(sm(root, "clean"))]


def foreman_run(remove_run, root, **given):
    seed(root, {"/etc/rhsm/ca/katello-server-ca.pem": CA})
    values = dict(skip=[], password=PASSWORD)
    values.update(given)
    return remove_run(**values)


def test_foreman_host_is_deleted(remove_run, session, root):
    old = session.foreman.add_host(name="client01", domain_id=5, hostgroup_id=3,
                                   organization_id=1, location_id=2, architecture_id=1)
    result = ForemanHostDelete().run(foreman_run(remove_run, root))
    assert result.status == Status.CHANGED and result.data == {"host_id": old["id"]}
    assert session.foreman.hosts() == []
    assert [c[0] for c in session.calls if c[0] != "GET"] == ["DELETE"]


def test_absent_foreman_host_is_unchanged(remove_run, session, root):
    result = ForemanHostDelete().run(foreman_run(remove_run, root))
    assert result.status == Status.UNCHANGED
    assert all(c[0] == "GET" for c in session.calls)


def test_foreman_dry_run_deletes_nothing(remove_run, session, root, fake_runner):
    session.foreman.add_host(name="client01", domain_id=5, hostgroup_id=3, organization_id=1,
                             location_id=2, architecture_id=1)
    fake_runner.dry_run = True
    result = ForemanHostDelete().run(foreman_run(remove_run, root))
    assert result.status == Status.CHANGED and result.summary.startswith("would delete")
    assert len(session.foreman.hosts()) == 1


def test_foreman_skipped(remove_run, session):
    result = ForemanHostDelete().run(remove_run())
    assert result.status == Status.SKIPPED and session.calls == []


def enrolled(ctx, root):
    """A host as an enrollment leaves it: rhsm.conf changed, new files, a new directory."""
    seed(root, {RHSM: "original\n", "/etc/os-release": "ID=rhel\n"})
    backup.backup_before_command(ctx, [RHSM, CERT], ["/etc/pki/entitlement"])
    seed(root, {CERT: "cert"})  # subscription-manager's
    fileio.write_file(ctx, Target(RHSM, 0o644, "root", "root", ""), b"balancer\n", undo=False)
    os.makedirs(real(root, "/etc/pki/entitlement"))
    fileio.write_file(ctx, Target("/etc/lbenroll/lbenroll.conf", 0o644, "root", "root", ""),
                      b"server = lb\n", undo=False)


def test_restore_files_puts_everything_back_and_reports_it(remove_run, ctx, root):
    enrolled(ctx, root)
    result = RestoreFiles().run(remove_run())
    assert result.status == Status.CHANGED
    assert result.data == {"restored": [RHSM], "reverted": [], "left": [],
                           "removed": [CERT, "/etc/lbenroll/lbenroll.conf"]}
    assert "restored %s" % RHSM in result.detail
    assert fileio.read_bytes(ctx, RHSM) == b"original\n"
    assert fileio.read_bytes(ctx, CERT) is None
    assert RestoreFiles().run(remove_run()).status == Status.UNCHANGED


def test_restore_files_dry_run_shows_diffs_and_writes_nothing(remove_run, ctx, root, fake_runner):
    enrolled(ctx, root)
    fake_runner.dry_run = True
    result = RestoreFiles().run(remove_run())
    assert result.status == Status.CHANGED and result.summary.startswith("would restore 1")
    assert "-balancer\n+original\n" in result.diff
    assert fileio.read_bytes(ctx, RHSM) == b"balancer\n"
    assert fileio.read_bytes(ctx, CERT) == b"cert"


def test_restore_files_also_removes_an_unrecorded_lbenroll_conf(remove_run, ctx, root):
    seed(root, {"/etc/lbenroll/lbenroll.conf": "server = lb\n"})
    result = RestoreFiles().run(remove_run())
    assert result.data["removed"] == ["/etc/lbenroll/lbenroll.conf"]
    assert not os.path.exists(real(root, "/etc/lbenroll/lbenroll.conf"))


def test_trust_store_is_regenerated_when_the_anchor_goes(remove_run, ctx, root, fake_runner):
    seed(root, {"/usr/bin/update-ca-trust": ""})
    os.makedirs(real(root, "/etc/pki/ca-trust/source/anchors"))
    fileio.write_file(ctx, Target(ANCHOR, 0o644, "root", "root", ""), CA.encode(), undo=False)
    fake_runner.expect(["chroot", str(root), "update-ca-trust", "extract"], 0)
    result = RestoreFiles().run(remove_run())
    assert result.data["removed"] == [ANCHOR]
    assert fake_runner.calls == [["chroot", str(root), "update-ca-trust", "extract"]]


def test_forget_backups_removes_the_empty_directories_enrolling_created(remove_run, ctx, root):
    enrolled(ctx, root)
    seed(root, {"/etc/pki/entitlement/left-by-someone.pem": "x"})
    RestoreFiles().run(remove_run())
    result = ForgetBackups().run(remove_run())
    assert result.status == Status.CHANGED
    assert result.data == {"removed_directories": ["/etc/pki/consumer", "/etc/lbenroll"],
                           "kept_directories": ["/etc/pki/entitlement", "/etc/pki"]}
    assert sorted(os.listdir(real(root, "/etc"))) == ["os-release", "pki", "rhsm"]
    assert backup.backups(ctx) == []
    assert ForgetBackups().run(remove_run()).status == Status.UNCHANGED


def test_forget_backups_removes_the_kept_consumer_packages_not_a_links_target(remove_run, ctx,
                                                                            root):
    copies = "/var/lib/lbenroll/consumer-rpm"
    seed(root, {copies + "/katello-ca-consumer-lb-1.0-1.noarch.rpm": b"rpm",
                "/etc/precious": "mine"})
    os.symlink(real(root, "/etc/precious"), real(root, copies + "/planted.noarch.rpm"))
    result = ForgetBackups().run(remove_run())
    assert result.status == Status.CHANGED
    assert "removed the consumer packages kept in %s" % copies in result.detail
    assert os.listdir(real(root, "/var/lib/lbenroll")) == []
    assert open(real(root, "/etc/precious")).read() == "mine"
    assert ForgetBackups().run(remove_run()).status == Status.UNCHANGED


def test_forget_backups_dry_run_keeps_the_store(remove_run, ctx, root, fake_runner):
    enrolled(ctx, root)
    fake_runner.dry_run = True
    result = ForgetBackups().run(remove_run())
    assert result.status == Status.CHANGED and result.summary.startswith("would empty")
    assert backup.backups(ctx) != []


@pytest.mark.parametrize("skip,expected", [
    ([], ["katello-ca-consumer-*", "katello-agent", "gofer", "katello-host-tools",
          "katello-host-tools-fact-plugin", "puppet-agent"]),
    (["katello-agent", "katello-host-tools", "puppet"], ["katello-ca-consumer-*"]),
])
def test_packages_are_bootstrap_pys_less_the_skipped(remove_run, skip, expected):
    assert wanted_packages(remove_run(skip=["foreman"] + skip).options) == expected


def test_installed_packages_are_removed(remove_run, fake_runner, root, with_dnf):
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("katello-ca-consumer-lb.example.test",
                                                    "puppet-agent"))
    fake_runner.expect(["rpm", "--root", str(root), "-e"], 0)
    fake_runner.expect(dnf(root, "remove"), 0)
    result = RemovePackages().run(remove_run())
    assert result.status == Status.CHANGED
    # The consumer package without its scriptlets: its %postun would restore kat-backup.
    assert fake_runner.calls[-2] == ["rpm", "--root", str(root), "-e", "--noscripts",
                                     "--nodeps", "katello-ca-consumer-lb.example.test"]
    assert fake_runner.calls[-1] == dnf(root, "remove", "puppet-agent")


def test_nothing_installed_is_unchanged(remove_run, fake_runner, root, with_dnf):
    fake_runner.expect(rpm_qa(root), 0, "")
    assert RemovePackages().run(remove_run()).status == Status.UNCHANGED
    assert len(fake_runner.calls) == 1


def test_package_removal_failure_is_a_warning(remove_run, fake_runner, root, with_dnf):
    fake_runner.expect(rpm_qa(root), 0, rpm_answer("katello-ca-consumer-lb.example.test",
                                                    "puppet-agent"))
    fake_runner.expect(["rpm", "--root", str(root), "-e"], 0)
    fake_runner.expect(dnf(root, "remove"), 1, "", "Error: transaction failed")
    result = RemovePackages().run(remove_run())
    assert result.status == Status.WARNING and "transaction failed" in result.summary
    assert "dnf -y remove puppet-agent" in result.remediation


def test_puppet_ssl_and_cache_are_set_aside(remove_run, ctx, root):
    for directory in ("/etc/puppetlabs/puppet/ssl/certs", "/opt/puppetlabs/puppet/cache/state"):
        os.makedirs(real(root, directory))
    result = CleanPuppet().run(remove_run())
    assert result.status == Status.CHANGED
    assert not os.path.exists(real(root, "/etc/puppetlabs/puppet/ssl"))
    assert not os.path.exists(real(root, "/opt/puppetlabs/puppet/cache"))
    assert len(ctx.undo) == 0  # a removal is finished by running it again, never undone
    assert CleanPuppet().run(remove_run()).status == Status.UNCHANGED


def test_puppet_left_alone_with_skip_puppet(remove_run, root):
    os.makedirs(real(root, "/etc/puppetlabs/puppet/ssl"))
    result = CleanPuppet().run(remove_run(skip=["foreman", "puppet"]))
    assert result.status == Status.SKIPPED
    assert os.path.isdir(real(root, "/etc/puppetlabs/puppet/ssl"))


def test_failed_trust_store_update_is_a_warning(remove_run, ctx, root, fake_runner):
    seed(root, {"/usr/bin/update-ca-trust": ""})
    os.makedirs(real(root, "/etc/pki/ca-trust/source/anchors"))
    fileio.write_file(ctx, Target(ANCHOR, 0o644, "root", "root", ""), CA.encode(), undo=False)
    fake_runner.expect(["chroot", str(root), "update-ca-trust", "extract"], 1, "", "p11-kit")
    result = RestoreFiles().run(remove_run())
    assert result.status == Status.WARNING and "p11-kit" in result.summary
    assert fileio.read_bytes(ctx, ANCHOR) is None


# What --remove restores must be the true originals, also for files that commands lbenroll runs
# write before lbenroll itself does.

# (The consumer RPM is installed without its scriptlets, so rpm writes no host file:
# tests/steps/test_katello_ca.py checks the CA files' backups.)


def test_register_finds_the_originals_backed_up(make_run, fake_runner, ctx, root):
    seed(root, {RHSM: rhsm_conf(), "/etc/yum.repos.d/redhat.repo": "# before\n"})

    def register(argv):
        assert dict(backup.backups(ctx)) == {
            "/etc/pki": True, "/etc/pki/consumer": True, CERT: True,
            "/etc/pki/consumer/key.pem": True, "/etc/pki/entitlement": True, RHSM: False,
            "/etc/yum.repos.d/redhat.repo": False}
        seed(root, {CERT: "cert", "/etc/yum.repos.d/redhat.repo": "# generated\n"})

    fake_runner.expect(sm(root, "identity"), 1)
    fake_runner.expect(sm(root, "register"), 0, effect=register)
    Register().run(make_run())
    assert backup.read_backup(ctx, "/etc/yum.repos.d/redhat.repo") == b"# before\n"
    assert len(fake_runner.calls) == 2


# -- DISABLE_REPAIR_TIMER -----------------------------------------------------------------------

def systemctl(root, *args):
    return ["systemctl", "--root=%s" % root] + list(args)


def test_an_enabled_repair_timer_is_disabled(remove_run, fake_runner, root):
    fake_runner.expect(systemctl(root, "is-enabled"), 0)
    fake_runner.expect(systemctl(root, "disable"), 0)
    result = DisableRepairTimer().run(remove_run())
    assert result.status == Status.CHANGED and "lbenroll-repair.timer" in result.summary
    # Under --root nothing is running to stop.
    assert fake_runner.calls[-1] == systemctl(root, "disable", "lbenroll-repair.timer")


def test_a_disabled_repair_timer_is_left_alone(remove_run, fake_runner, root):
    fake_runner.expect(systemctl(root, "is-enabled"), 1)
    result = DisableRepairTimer().run(remove_run())
    assert result.status == Status.UNCHANGED
    assert fake_runner.calls == [systemctl(root, "is-enabled", "--quiet",
                                           "lbenroll-repair.timer")]


def test_a_failed_disable_is_a_warning(remove_run, fake_runner, root):
    fake_runner.expect(systemctl(root, "is-enabled"), 0)
    fake_runner.expect(systemctl(root, "disable"), 1, "", "Access denied")
    result = DisableRepairTimer().run(remove_run())
    assert result.status == Status.WARNING and "Access denied" in result.summary
    assert result.remediation == "systemctl disable --now lbenroll-repair.timer"


def test_dry_run_only_asks_whether_the_timer_is_enabled(remove_run, fake_runner, root):
    fake_runner.expect(systemctl(root, "is-enabled"), 0)
    fake_runner.dry_run = True
    result = DisableRepairTimer().run(remove_run())
    assert result.status == Status.CHANGED and result.summary.startswith("would disable")
    assert fake_runner.calls == [systemctl(root, "is-enabled", "--quiet",
                                           "lbenroll-repair.timer")]


def test_restore_files_handles_links_as_links(remove_run, ctx, root):
    """A link lbenroll made goes even when it dangles; a link it replaced comes back as that
    link, pointing where it pointed; a file a link replaced comes back as the file."""
    made, replaced, was_file = ("/etc/containers/certs.d/lb/client.cert",
                                "/etc/containers/certs.d/lb/client.key",
                                "/etc/containers/certs.d/lb/ca-bundle.crt")
    seed(root, {was_file: "a copied bundle\n"})
    os.symlink("/old/key.pem", real(root, replaced))
    for path in (made, replaced, was_file):
        fileio.link_file(ctx, path, "/etc/pki/entitlement/gone.pem", undo=False)
    assert os.readlink(real(root, made)) == "/etc/pki/entitlement/gone.pem"  # dangling
    result = RestoreFiles().run(remove_run())
    assert sorted(result.data["restored"]) == [was_file, replaced]
    assert result.data["removed"] == [made]
    assert not os.path.lexists(real(root, made))
    assert os.readlink(real(root, replaced)) == "/old/key.pem"
    assert not os.path.islink(real(root, was_file))
    assert fileio.read_bytes(ctx, was_file) == b"a copied bundle\n"
    assert RestoreFiles().run(remove_run()).status == Status.UNCHANGED


def test_link_file_refuses_a_directory_and_skips_a_right_link(ctx, root):
    os.makedirs(real(root, "/etc/containers/certs.d/lb/client.cert"))
    with pytest.raises(WriteError) as exc:
        fileio.link_file(ctx, "/etc/containers/certs.d/lb/client.cert", "/x")
    assert "is a directory" in exc.value.message
    assert fileio.link_file(ctx, "/etc/containers/certs.d/lb/client.key", "/x") is True
    assert fileio.link_file(ctx, "/etc/containers/certs.d/lb/client.key", "/x") is False
