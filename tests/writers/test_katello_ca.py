"""The CA file writers: the PEM as the consumer RPM's script writes it, no churn for the same
certificate spelt with other spacing, another certificate replaced with a note."""
import os

import pytest

from lbenroll import fileio
from lbenroll.results import Status
from lbenroll.writers.katello_ca import (CaTrustAnchorWriter, KatelloDefaultCaWriter,
                                         KatelloServerCaWriter)
from tests.conftest import seed
from tests.steps.conftest import CA, OTHER_CA
from tests.writers.golden import assert_cycle

WRITERS = (KatelloServerCaWriter, KatelloDefaultCaWriter, CaTrustAnchorWriter)
# What `echo "$KATELLO_SERVER_CA_DATA"` writes: the certificate and one newline.
PEM = CA.strip() + "\n"


def test_targets_are_the_files_the_consumer_rpm_script_writes():
    assert [(w.id, w.target.path, w.target.mode) for w in WRITERS] == [
        ("KATELLO_SERVER_CA", "/etc/rhsm/ca/katello-server-ca.pem", 0o644),
        ("KATELLO_DEFAULT_CA", "/etc/rhsm/ca/katello-default-ca.pem", 0o644),
        ("CA_TRUST_ANCHOR", "/etc/pki/ca-trust/source/anchors/katello-server-ca.pem", 0o644)]


@pytest.mark.parametrize("writer_class", WRITERS)
def test_a_missing_file_is_created_with_the_pem(writer_class, ctx, root):
    writer = writer_class(PEM)
    assert writer.render(None) == (PEM, ["%s: created" % writer.target.path])
    result = assert_cycle(writer, ctx, root, None, PEM)
    assert result.status == Status.CHANGED
    assert result.summary == "created %s" % writer.target.path
    assert result.detail == ["%s: created" % writer.target.path]
    real = os.path.join(str(root), writer.target.path.lstrip("/"))
    assert oct(os.stat(real).st_mode & 0o777) == oct(0o644)


@pytest.mark.parametrize("writer_class", WRITERS)
def test_the_same_pem_is_unchanged(writer_class, ctx, root):
    assert_cycle(writer_class(PEM), ctx, root, PEM, PEM)


@pytest.mark.parametrize("spelling", [
    CA.strip(),  # no final newline
    CA.strip() + "\n\n\n",
    "\n" + CA.strip() + "\n",
    "  " + CA.strip() + "  \n",
])
def test_the_same_certificate_with_other_spacing_is_left_exactly(spelling, ctx, root):
    writer = KatelloServerCaWriter(PEM)
    assert writer.render(spelling) == (spelling, [])
    assert_cycle(writer, ctx, root, spelling, spelling)


@pytest.mark.parametrize("writer_class", WRITERS)
def test_another_certificate_is_replaced_with_a_note(writer_class, ctx, root):
    writer = writer_class(PEM)
    seed(root, {writer.target.path: OTHER_CA})
    result = writer.run(ctx)
    assert result.status == Status.CHANGED
    assert result.detail == ["%s: replaced: it held another certificate" % writer.target.path]
    assert fileio.read_bytes(ctx, writer.target.path) == PEM.encode()
    assert not writer.plan(fileio.read_bytes(ctx, writer.target.path)).changed
    assert writer.run(ctx).status == Status.UNCHANGED


def test_a_file_with_the_certificate_and_another_one_is_replaced(ctx, root):
    writer = KatelloServerCaWriter(PEM)
    both = PEM + OTHER_CA
    text, notes = writer.render(both)
    assert text == PEM
    assert notes == ["/etc/rhsm/ca/katello-server-ca.pem: replaced: it held another certificate"]


def test_a_file_without_a_certificate_is_replaced(ctx, root):
    writer = KatelloDefaultCaWriter(PEM)
    text, notes = writer.render("garbage\n")
    assert text == PEM and "replaced" in notes[0]


def test_an_existing_file_keeps_its_mode(ctx, root):
    writer = KatelloServerCaWriter(PEM)
    seed(root, {writer.target.path: OTHER_CA})
    real = os.path.join(str(root), writer.target.path.lstrip("/"))
    os.chmod(real, 0o600)
    assert writer.run(ctx).status == Status.CHANGED
    assert os.stat(real).st_mode & 0o777 == 0o600


def test_a_write_is_undoable(ctx, root):
    writer = CaTrustAnchorWriter(PEM)
    seed(root, {writer.target.path: OTHER_CA})
    writer.run(ctx)
    ctx.undo.rollback()
    assert fileio.read_bytes(ctx, writer.target.path) == OTHER_CA.encode()


def test_dry_run_writes_nothing(root):
    from lbenroll.context import Context
    from tests.conftest import FakeRunner
    ctx = Context(root=str(root), runner=FakeRunner(dry_run=True))
    result = KatelloServerCaWriter(PEM).run(ctx)
    assert result.status == Status.CHANGED
    assert result.summary == "would create /etc/rhsm/ca/katello-server-ca.pem"
    assert fileio.read_bytes(ctx, KatelloServerCaWriter.target.path) is None


def test_the_same_certificate_with_crlf_line_ends_is_left_exactly():
    spelling = PEM.replace("\n", "\r\n")
    assert KatelloServerCaWriter(PEM).render(spelling) == (spelling, [])
