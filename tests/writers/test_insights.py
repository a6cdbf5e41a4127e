"""InsightsWriter: an explicit base_url naming a proxy moves to the balancer; nothing else."""
import pytest

from lbenroll.results import Status
from lbenroll.writers.insights import InsightsWriter, auto_config_on, base_url_of
from tests.writers.golden import assert_cycle, crlf, render_text, sprinkle

BALANCER = "smartproxy.example.test"
BEFORE = """\
[insights-client]
# written by hand while proxy02 was the only Capsule
auto_config=False
base_url=proxy02.example.test:443/redhat_access/r/insights
#base_url=cert-api.access.redhat.com:443/r/insights
authmethod=CERT
"""
AFTER = BEFORE.replace("base_url=proxy02.example.test", "base_url=smartproxy.example.test")


def test_golden():
    text, notes = InsightsWriter(BALANCER).render(BEFORE)
    assert text == AFTER
    assert notes == ["base_url: proxy02.example.test:443/redhat_access/r/insights -> "
                     "smartproxy.example.test:443/redhat_access/r/insights"]


def test_plan_apply_plan(ctx, root):
    assert_cycle(InsightsWriter(BALANCER), ctx, root, BEFORE, AFTER)


@pytest.mark.parametrize("text", [
    "[insights-client]\n#base_url=proxy02.example.test:443/redhat_access/r/insights\n",
    "[insights-client]\nbase_url=cert-api.access.redhat.com:443/r/insights\n",
    "[insights-client]\nbase_url=console.redhat.com/api\n",
    "[insights-client]\nbase_url=SmartProxy.example.test.:443/redhat_access/r/insights\n",
    "[insights-client]\nbase_url=\n",
    "[other]\nbase_url=proxy02.example.test:443/redhat_access/r/insights\n",
])
def test_what_is_not_a_proxy_base_url_is_left_alone(text):
    assert InsightsWriter(BALANCER).render(text) == (text, [])


def test_the_old_section_name_is_read_too():
    text = "[redhat-access-insights]\nbase_url=proxy01.example.test/redhat_access/r/insights\n"
    assert render_text(InsightsWriter(BALANCER), text) == (
        "[redhat-access-insights]\nbase_url=smartproxy.example.test/redhat_access/r/insights\n")


def test_reading_base_url_and_auto_config():
    assert base_url_of(BEFORE) == ("proxy02.example.test:443/redhat_access/r/insights", "False")
    assert base_url_of("# nothing\n") == (None, None)
    assert not auto_config_on("False") and not auto_config_on(" no ")
    assert auto_config_on(None) and auto_config_on("True")


def test_crlf_and_missing_final_newline():
    assert render_text(InsightsWriter(BALANCER), crlf(BEFORE)) == crlf(AFTER)
    assert render_text(InsightsWriter(BALANCER), BEFORE.rstrip("\n")) == AFTER.rstrip("\n")


def test_missing_file_is_left_alone(ctx, root):
    assert InsightsWriter(BALANCER).render(None) is None
    assert InsightsWriter(BALANCER).run(ctx).status == Status.SKIPPED


@pytest.mark.parametrize("seed_value", range(20))
def test_random_unrelated_lines_survive(seed_value):
    before, after = sprinkle(BEFORE, AFTER, seed_value=seed_value)
    assert render_text(InsightsWriter(BALANCER), before) == after
