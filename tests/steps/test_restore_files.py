"""RESTORE_FILES: --remove puts back what enrolling changed, links as links, and refreshes the
trust store when an anchor goes."""
import os


from lbenroll import fileio
from lbenroll.results import Status
from lbenroll.writers.base import Target
from tests.conftest import seed
from tests.steps.conftest import CA, enrolled, real
from lbenroll.steps.restore_files import RestoreFiles


CERT = "/etc/pki/consumer/cert.pem"
RHSM = "/etc/rhsm/rhsm.conf"
ANCHOR = "/etc/pki/ca-trust/source/anchors/katello-server-ca.pem"


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


def test_failed_trust_store_update_is_a_warning(remove_run, ctx, root, fake_runner):
    seed(root, {"/usr/bin/update-ca-trust": ""})
    os.makedirs(real(root, "/etc/pki/ca-trust/source/anchors"))
    fileio.write_file(ctx, Target(ANCHOR, 0o644, "root", "root", ""), CA.encode(), undo=False)
    fake_runner.expect(["chroot", str(root), "update-ca-trust", "extract"], 1, "", "p11-kit")
    result = RestoreFiles().run(remove_run())
    assert result.status == Status.WARNING and "p11-kit" in result.summary
    assert fileio.read_bytes(ctx, ANCHOR) is None


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
