"""KATELLO_FACTS: katello.facts names the host by --fqdn on every run and repair."""
from lbenroll import fileio
from lbenroll.context import Context
from lbenroll.results import Status
from lbenroll.steps.katello_facts import KatelloFacts
from tests.conftest import FakeRunner, seed

FACTS = "/etc/rhsm/facts/katello.facts"


def test_the_fqdn_is_written_then_left_alone(make_run, ctx, root):
    run = make_run(fqdn="web01.example.test")
    result = KatelloFacts().run(run)
    assert (result.id, result.status) == ("KATELLO_FACTS", Status.CHANGED)
    assert fileio.read_bytes(ctx, FACTS) == \
        b'{"network.hostname-override": "web01.example.test"}\n'
    assert KatelloFacts().run(run).status == Status.UNCHANGED


def test_a_dry_run_writes_nothing(make_run, ctx, root):
    run = make_run()
    run.ctx = Context(root=str(root), runner=FakeRunner(dry_run=True))
    result = KatelloFacts().run(run)
    assert result.status == Status.CHANGED and result.summary.startswith("would create")
    assert fileio.read_bytes(ctx, FACTS) is None


def test_a_broken_file_is_a_warning_and_stays(make_run, ctx, root):
    seed(root, {FACTS: "{broken"})
    result = KatelloFacts().run(make_run())
    assert result.status == Status.WARNING and "not a JSON object" in result.summary
    assert fileio.read_bytes(ctx, FACTS) == b"{broken"
