"""lbenroll.truststore: one `update-ca-trust extract`, kept for the undo or not, as asked."""
import os

import pytest

from lbenroll import backup, truststore
from lbenroll.context import Context
from tests.conftest import FakeRunner, seed

BUNDLE = "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"
TRUST_BUNDLE = "/etc/pki/ca-trust/extracted/openssl/ca-bundle.trust.crt"
OLD = b"# the system CAs before\n"
NEW = b"# the system CAs and the Katello CA\n"


def real(root, path):
    return os.path.join(str(root), path.lstrip("/"))


@pytest.fixture
def trust_store(root):
    seed(root, {"/usr/bin/update-ca-trust": "#!/bin/sh\n", BUNDLE: OLD, TRUST_BUNDLE: OLD})
    return root


def argv(root):
    return ["chroot", str(root), "update-ca-trust", "extract"]


def extract_effect(root, ctx, seen):
    """update-ca-trust rewrites both bundles; seen gets the backup store as the command found it."""
    def effect(_argv):
        seen.append(backup.backups(ctx))
        for path in (BUNDLE, TRUST_BUNDLE):
            with open(real(root, path), "wb") as f:
                f.write(NEW)
    return effect


def read(root, path):
    with open(real(root, path), "rb") as f:
        return f.read()


def test_without_update_ca_trust_nothing_runs(ctx, root, fake_runner):
    seed(root, {BUNDLE: OLD})
    assert truststore.extract(ctx, undoable=True) is None
    assert truststore.extract(ctx) is None
    assert fake_runner.calls == [] and len(ctx.undo) == 0 and backup.backups(ctx) == []


def test_undoable_keeps_the_bundle_first_and_the_undo_puts_the_tree_back(ctx, trust_store,
                                                                         fake_runner):
    seen = []
    fake_runner.expect(argv(trust_store), 0, effect=extract_effect(trust_store, ctx, seen))
    extraction = truststore.extract(ctx, undoable=True)
    assert fake_runner.calls == [argv(trust_store)]
    assert seen == [[(BUNDLE, False)]]  # in the store before the command ran
    assert backup.read_backup(ctx, BUNDLE) == OLD
    assert not extraction.failed
    assert extraction.line == "ran chroot %s update-ca-trust extract" % trust_store
    assert read(trust_store, TRUST_BUNDLE) == NEW
    done, failed = ctx.undo.rollback()
    assert failed == []
    assert read(trust_store, BUNDLE) == OLD and read(trust_store, TRUST_BUNDLE) == OLD


def test_a_failure_says_the_command_its_status_and_output_and_is_still_undone(ctx, trust_store,
                                                                              fake_runner):
    seen = []
    fake_runner.expect(argv(trust_store), 1, "", "p11-kit: cannot write",
                       effect=extract_effect(trust_store, ctx, seen))
    extraction = truststore.extract(ctx, undoable=True)
    assert extraction.failed
    assert extraction.failure.startswith(
        "chroot %s update-ca-trust extract failed (exit 1): " % trust_store)
    assert "p11-kit: cannot write" in extraction.failure
    assert ctx.undo.rollback()[1] == []
    assert read(trust_store, TRUST_BUNDLE) == OLD


def test_not_undoable_keeps_nothing(ctx, trust_store, fake_runner):
    seen = []
    fake_runner.expect(argv(trust_store), 0, effect=extract_effect(trust_store, ctx, seen))
    extraction = truststore.extract(ctx)
    assert fake_runner.calls == [argv(trust_store)] and not extraction.failed
    assert seen == [[]] and backup.backups(ctx) == [] and len(ctx.undo) == 0
    assert read(trust_store, BUNDLE) == NEW


@pytest.mark.parametrize("undoable", [True, False])
def test_a_dry_run_only_says_what_it_would_run(trust_store, undoable):
    runner = FakeRunner(dry_run=True)
    ctx = Context(root=str(trust_store), runner=runner)
    extraction = truststore.extract(ctx, undoable=undoable)
    assert extraction.done is None and not extraction.failed
    assert extraction.line == "would run: chroot %s update-ca-trust extract" % trust_store
    assert runner.would_run == ["chroot %s update-ca-trust extract" % trust_store]
    assert backup.backups(ctx) == [] and len(ctx.undo) == 0 and ctx.snapshot is None
    assert read(trust_store, BUNDLE) == OLD
