"""FORGET_BACKUPS: last in --remove, the backup store goes, the kept consumer packages and the
empty directories enrolling created."""
import os


from lbenroll import backup
from lbenroll.results import Status
from tests.conftest import seed
from tests.steps.conftest import enrolled, real
from lbenroll.steps.forget_backups import ForgetBackups
from lbenroll.steps.restore_files import RestoreFiles


CERT = "/etc/pki/consumer/cert.pem"
RHSM = "/etc/rhsm/rhsm.conf"


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
