"""GoferKatelloWriter: an explicit broker URL moves to the balancer; the empty default stays."""
import pytest

from lbenroll.results import Status
from lbenroll.writers.gofer import GoferKatelloWriter
from tests.writers.golden import assert_cycle, crlf, data, render_text, sprinkle

BALANCER = "smartproxy.example.test"


def golden():
    return data("gofer", "katello.conf"), data("gofer", "katello.expected.conf")


def test_golden():
    before, after = golden()
    text, notes = GoferKatelloWriter(BALANCER).render(before)
    assert text == after
    assert notes == ["messaging.url: proxy+amqps://proxy02.example.test:5647 -> "
                     "proxy+amqps://smartproxy.example.test:5647"]


def test_plan_apply_plan(ctx, root):
    assert_cycle(GoferKatelloWriter(BALANCER), ctx, root, *golden())


def test_empty_url_is_the_default_and_left_alone(ctx, root):
    default = data("gofer", "default.conf")
    assert GoferKatelloWriter(BALANCER).render(default) == (default, [])
    assert_cycle(GoferKatelloWriter(BALANCER), ctx, root, default, default)


def test_ipv6_broker_gets_the_balancer_name():
    text = "[messaging]\nurl = amqps://[fd00::12]:5647\n"
    assert render_text(GoferKatelloWriter(BALANCER), text) == (
        "[messaging]\nurl = amqps://smartproxy.example.test:5647\n")


def test_crlf_and_missing_final_newline():
    before, after = golden()
    assert render_text(GoferKatelloWriter(BALANCER), crlf(before)) == crlf(after)
    assert render_text(GoferKatelloWriter(BALANCER), before.rstrip("\n")) == after.rstrip("\n")


def test_missing_file_is_left_alone(ctx, root):
    assert GoferKatelloWriter(BALANCER).render(None) is None
    assert GoferKatelloWriter(BALANCER).run(ctx).status == Status.SKIPPED


@pytest.mark.parametrize("seed_value", range(20))
def test_random_unrelated_lines_survive(seed_value):
    before, after = sprinkle(*golden(), seed_value=seed_value)
    assert render_text(GoferKatelloWriter(BALANCER), before) == after
