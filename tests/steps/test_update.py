"""UPDATE: --update, and its failure."""
import pytest

from lbenroll.errors import LbenrollError
from lbenroll.results import Status
from lbenroll.steps.update import Update
from tests.steps.conftest import dnf

pytestmark = pytest.mark.usefixtures("dnf_host")


def test_update_reports_nothing_to_do(make_run, fake_runner, root):
    fake_runner.expect(dnf(root, "update"), 0, "Dependencies resolved.\nNothing to do.\n")
    assert Update().run(make_run(update=True)).status == Status.UNCHANGED
    assert Update().run(make_run()).status == Status.SKIPPED


def test_failed_update_is_fatal(make_run, fake_runner, root):
    fake_runner.expect(dnf(root, "update"), 1, "", "Error: Transaction test error")
    with pytest.raises(LbenrollError):
        Update().run(make_run(update=True))
