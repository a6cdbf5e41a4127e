"""fileio.write_file with a plan's content: stale plans write nothing, Spliced data is written
piece by piece and byte for byte."""
import pytest

from lbenroll import backup, fileio
from lbenroll.errors import WriteError
from lbenroll.writers.base import Spliced, Target
from tests.conftest import seed

TARGET = Target("/etc/example/big.conf", 0o644, "root", "root", "example")


def test_spliced_data_is_written_exactly(ctx, root):
    base = b"".join(b"line %06d\n" % n for n in range(300000))  # several write blocks
    edits = [(base.index(b"line %06d" % n), base.index(b"line %06d" % n) + 11, b"LINE %06d" % n)
             for n in (0, 1, 150000, 299999)]
    seed(root, {TARGET.path: base})
    wanted = Spliced(base, edits)
    assert fileio.write_file(ctx, TARGET, wanted, planned_from=base) is True
    expected = wanted.join()
    assert expected.count(b"LINE") == 4 and len(expected) == len(base)
    assert fileio.read_bytes(ctx, TARGET.path) == expected
    with open(backup.backup_path(ctx, TARGET.path), "rb") as f:
        assert f.read() == base


def test_a_file_changed_since_the_plan_is_not_written(ctx, root):
    seed(root, {TARGET.path: b"what the plan read\n"})
    planned_from = fileio.read_bytes(ctx, TARGET.path)
    seed(root, {TARGET.path: b"what an admin wrote meanwhile\n"})
    with pytest.raises(WriteError) as error:
        fileio.write_file(ctx, TARGET, b"new\n", planned_from=planned_from)
    assert "changed while lbenroll was working on it" in error.value.message
    assert fileio.read_bytes(ctx, TARGET.path) == b"what an admin wrote meanwhile\n"


def test_a_file_created_since_the_plan_is_not_overwritten(ctx, root):
    seed(root, {TARGET.path: b"appeared\n"})
    with pytest.raises(WriteError):
        fileio.write_file(ctx, TARGET, b"new\n", planned_from=None)
    assert fileio.read_bytes(ctx, TARGET.path) == b"appeared\n"


def test_same_length_different_bytes_is_a_change_since_the_plan(ctx, root):
    seed(root, {TARGET.path: b"abcd\n"})
    with pytest.raises(WriteError):
        fileio.write_file(ctx, TARGET, b"new\n", planned_from=b"abce\n")


def test_an_unchanged_plan_writes_nothing(ctx, root):
    seed(root, {TARGET.path: b"same\n"})
    assert fileio.write_file(ctx, TARGET, Spliced(b"same\n", []), planned_from=b"same\n") is False


def test_spliced_equality_and_pieces():
    base = b"a = 1\nb = 2\n"
    changed = Spliced(base, [(4, 5, b"9")])
    assert changed.join() == b"a = 9\nb = 2\n"
    assert changed == b"a = 9\nb = 2\n" and changed != base
    assert Spliced(base, []) == base and not (Spliced(base, []) != base)
    assert Spliced(base, []) != b"other"
    assert [bytes(c) for c in changed.chunks()] == [b"a = ", b"9", b"\nb = 2\n"]
