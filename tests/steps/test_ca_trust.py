"""CA_TRUST: the Katello CA as an anchor of the system trust store, extracted into the bundles
(update-ca-trust extract), as the consumer RPM's script does; undone whole on a rollback."""
import os
import stat

import pytest

from lbenroll import backup, engine
from lbenroll.errors import UnavailableError
from lbenroll.results import Status
from lbenroll.steps.base import Step
from tests.steps.conftest import CA, CA_SCRIPT, OTHER_CA, real, seed_host, served
from lbenroll.steps.ca_trust import CaTrust, bundle_trusts
from lbenroll.steps.katello_default_ca import KatelloDefaultCa
from lbenroll.steps.katello_server_ca import KatelloServerCa


ANCHORS = "/etc/pki/ca-trust/source/anchors"
ANCHOR = ANCHORS + "/katello-server-ca.pem"
BUNDLE = "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"
TRUST_BUNDLE = "/etc/pki/ca-trust/extracted/openssl/ca-bundle.trust.crt"
SYSTEM_BUNDLE = "# Some Root CA\n" + OTHER_CA
PEM = CA.strip() + "\n"


def fetched(run, tmp_path):
    return served(run, tmp_path, CA_SCRIPT)


@pytest.fixture
def trust_store(root):
    """A host with ca-certificates: anchors directory, update-ca-trust, extracted bundles."""
    seed_host(root, {"/usr/bin/update-ca-trust": "#!/bin/sh\n", BUNDLE: SYSTEM_BUNDLE,
                     TRUST_BUNDLE: SYSTEM_BUNDLE})
    os.makedirs(real(root, ANCHORS))
    os.chmod(real(root, BUNDLE), 0o444)
    return root


def extract_argv(root):
    return ["chroot", str(root), "update-ca-trust", "extract"]


def fake_extract(root, seen=None, ctx=None):
    """What `update-ca-trust extract` does to the bundles: the system CAs and every anchor, each
    file replaced (p11-kit writes a temporary file, chmod 0444, renames it over the target)."""
    def effect(argv):
        if seen is not None:
            seen.append(backup.backups(ctx))
        anchors = "".join("# %s\n%s" % (name, open(os.path.join(real(root, ANCHORS), name)).read())
                          for name in sorted(os.listdir(real(root, ANCHORS))))
        for path in (BUNDLE, TRUST_BUNDLE, "/etc/pki/ca-trust/extracted/pem/email-ca-bundle.pem"):
            target = real(root, path)
            with open(target + ".tmp", "w") as f:
                f.write(SYSTEM_BUNDLE + "\n" + anchors)
            os.chmod(target + ".tmp", 0o444)
            os.rename(target + ".tmp", target)
    return effect


def tree(root, top):
    found = {}
    for directory, dirs, files in os.walk(real(root, top)):
        for name in dirs + files:
            path = os.path.join(directory, name)
            st = os.lstat(path)
            content = None
            if stat.S_ISREG(st.st_mode):
                with open(path, "rb") as f:
                    content = f.read()
            found[path] = (stat.S_IMODE(st.st_mode), content)
    return found


def test_ca_trust_needs_the_server_ca_written():
    assert CaTrust.requires == ("KATELLO_SERVER_CA",)


def test_no_trust_store_is_skipped(make_run, root, fake_runner, tmp_path):
    result = CaTrust().run(fetched(make_run(), tmp_path))
    assert result.status == Status.SKIPPED
    assert ANCHORS in result.summary
    assert not os.path.exists(real(root, ANCHOR))
    assert fake_runner.calls == []


def test_a_new_anchor_is_written_and_extracted(make_run, trust_store, fake_runner, tmp_path):
    root = trust_store
    fake_runner.expect(extract_argv(root), effect=fake_extract(root))
    run = fetched(make_run(), tmp_path)
    assert not bundle_trusts(run.ctx, PEM)
    result = CaTrust().run(run)
    assert result.id == "CA_TRUST" and result.status == Status.CHANGED
    assert result.summary == "added the Katello CA to the system trust store"
    assert "ran chroot %s update-ca-trust extract" % root in result.detail
    assert fake_runner.calls == [extract_argv(root)]
    assert (root / ANCHOR.lstrip("/")).read_text() == PEM
    assert bundle_trusts(run.ctx, PEM)


def test_the_originals_are_in_the_backup_store_before_the_command(make_run, trust_store,
                                                                  fake_runner, tmp_path):
    root = trust_store
    run = fetched(make_run(), tmp_path)
    seen = []
    fake_runner.expect(extract_argv(root), effect=fake_extract(root, seen, run.ctx))
    CaTrust().run(run)
    assert len(seen) == 1
    assert (ANCHOR, True) in seen[0]  # it did not exist
    assert (BUNDLE, False) in seen[0]
    assert backup.read_backup(run.ctx, BUNDLE) == SYSTEM_BUNDLE.encode()


def test_undo_puts_back_the_extracted_bundles_and_removes_the_anchor(make_run, trust_store,
                                                                    fake_runner, tmp_path):
    root = trust_store
    before = tree(root, "/etc/pki/ca-trust")
    fake_runner.expect(extract_argv(root), effect=fake_extract(root))
    run = fetched(make_run(), tmp_path)
    assert CaTrust().run(run).status == Status.CHANGED
    assert tree(root, "/etc/pki/ca-trust") != before
    done, failed = run.ctx.undo.rollback()
    assert failed == []
    assert done == ["put back the extracted trust bundles", "restore %s" % ANCHOR]
    assert tree(root, "/etc/pki/ca-trust") == before  # bytes and modes; the new bundle is gone
    assert not bundle_trusts(run.ctx, PEM)


def test_a_correct_anchor_and_bundle_change_nothing(make_run, trust_store, fake_runner,
                                                   tmp_path):
    root = trust_store
    seed_host(root, {ANCHOR: PEM, BUNDLE: SYSTEM_BUNDLE + "\n# Katello\n" + PEM})
    run = fetched(make_run(), tmp_path)
    result = CaTrust().run(run)
    assert result.status == Status.UNCHANGED
    assert result.summary == "the system trust store trusts the Katello CA (%s)" % ANCHOR
    assert fake_runner.calls == []
    assert len(run.ctx.undo) == 0 and run.ctx.snapshot is None


def test_a_bundle_that_lacks_the_ca_is_extracted_again(make_run, trust_store, fake_runner,
                                                       tmp_path):
    # A run killed between writing the anchor and extracting.
    root = trust_store
    seed_host(root, {ANCHOR: PEM})
    fake_runner.expect(extract_argv(root), effect=fake_extract(root))
    run = fetched(make_run(), tmp_path)
    result = CaTrust().run(run)
    assert result.status == Status.CHANGED
    assert result.summary.startswith("extracted the system bundles again")
    assert fake_runner.calls == [extract_argv(root)]
    assert bundle_trusts(run.ctx, PEM)
    # Extracted once, the next run has nothing to do.
    assert CaTrust().run(run).status == Status.UNCHANGED
    assert len(fake_runner.calls) == 1


def test_a_missing_bundle_is_extracted(make_run, trust_store, fake_runner, tmp_path):
    root = trust_store
    seed_host(root, {ANCHOR: PEM})
    os.unlink(real(root, BUNDLE))
    fake_runner.expect(extract_argv(root), effect=fake_extract(root))
    run = fetched(make_run(), tmp_path)
    assert CaTrust().run(run).status == Status.CHANGED
    assert bundle_trusts(run.ctx, PEM)
    run.ctx.undo.rollback()
    assert not os.path.exists(real(root, BUNDLE))


def test_the_bundle_is_compared_by_certificate_not_by_text(make_run, trust_store, fake_runner,
                                                           tmp_path):
    root = trust_store
    broken = "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n"
    seed_host(root, {ANCHOR: PEM,
                     BUNDLE: broken + SYSTEM_BUNDLE + "\n# Katello\r\n" + PEM.replace(
                         "\n", "\r\n")})
    run = fetched(make_run(), tmp_path)
    assert bundle_trusts(run.ctx, PEM) and bundle_trusts(run.ctx, OTHER_CA)
    assert CaTrust().run(run).status == Status.UNCHANGED
    assert fake_runner.calls == []


def test_without_update_ca_trust_the_anchor_is_written_with_a_warning(make_run, trust_store,
                                                                      fake_runner, tmp_path):
    root = trust_store
    os.unlink(real(root, "/usr/bin/update-ca-trust"))
    run = fetched(make_run(), tmp_path)
    result = CaTrust().run(run)
    assert result.status == Status.WARNING
    assert "/usr/bin/update-ca-trust is not installed" in result.summary
    assert "ca-certificates" in result.remediation
    assert (root / ANCHOR.lstrip("/")).read_text() == PEM
    assert fake_runner.calls == []


def test_a_failing_extract_is_a_warning_and_is_still_undone(make_run, trust_store, fake_runner,
                                                           tmp_path):
    root = trust_store
    before = tree(root, "/etc/pki/ca-trust")

    def half_done(argv):
        fake_extract(root)(argv)
        os.unlink(real(root, TRUST_BUNDLE))

    fake_runner.expect(extract_argv(root), 1, "", "p11-kit: couldn't write file", half_done)
    run = fetched(make_run(), tmp_path)
    result = CaTrust().run(run)
    assert result.status == Status.WARNING
    assert "failed (exit 1)" in result.summary and "couldn't write file" in result.summary
    assert result.remediation == "run update-ca-trust extract by hand to see why"
    assert run.ctx.undo.rollback()[1] == []
    assert tree(root, "/etc/pki/ca-trust") == before


def test_dry_run_would_write_the_anchor_and_extract(root, trust_store, tmp_path):
    from lbenroll.context import Context
    from lbenroll.steps.base import Run
    from tests.conftest import FakeRunner
    from tests.steps.conftest import make_options
    runner = FakeRunner(dry_run=True)
    run = fetched(Run(make_options(), Context(root=str(root), runner=runner)), tmp_path)
    before = tree(root, "/etc/pki/ca-trust")
    result = CaTrust().run(run)
    assert result.status == Status.CHANGED
    assert "would run: chroot %s update-ca-trust extract" % root in result.detail
    assert runner.would_run == ["chroot %s update-ca-trust extract" % root]
    assert tree(root, "/etc/pki/ca-trust") == before
    assert backup.backups(run.ctx) == []
    assert run.ctx.snapshot is None


def test_the_anchor_of_another_ca_is_replaced_and_extracted(make_run, trust_store, fake_runner,
                                                           tmp_path):
    root = trust_store
    seed_host(root, {ANCHOR: OTHER_CA, BUNDLE: SYSTEM_BUNDLE + "# old Katello\n" + OTHER_CA})
    fake_runner.expect(extract_argv(root), effect=fake_extract(root))
    run = fetched(make_run(), tmp_path)
    result = CaTrust().run(run)
    assert result.status == Status.CHANGED
    assert result.summary == "added the Katello CA to the system trust store"
    assert ANCHOR + ": replaced: it held another certificate" in result.detail
    assert bundle_trusts(run.ctx, PEM)


def test_a_failed_enrollment_leaves_the_trust_store_as_it_was(make_run, trust_store, fake_runner,
                                                              tmp_path):
    root = trust_store
    fake_runner.expect(extract_argv(root), effect=fake_extract(root))
    before = tree(root, "/etc")

    class Installed(Step):
        id = "INSTALL_CONSUMER_RPM"

        def run(self, run):
            from lbenroll.results import Result
            return Result(self.id, Status.UNCHANGED, "installed")

    class Fails(Step):
        id = "RHSM_CONF"

        def run(self, run):
            raise UnavailableError("the balancer went away")

    run = fetched(make_run(), tmp_path)
    results = engine.execute(run, [Installed, KatelloServerCa, KatelloDefaultCa, CaTrust, Fails])
    assert [r.status for r in results[:4]] == [Status.UNCHANGED, Status.CHANGED, Status.CHANGED,
                                               Status.CHANGED]
    rollback = results[-1]
    assert rollback.status == Status.CHANGED and "the host is as it was" in rollback.summary
    assert tree(root, "/etc") == before
