"""--force-content-source: each claim its help makes is one behaviour of FOREMAN_HOST, checked
here against the lab's Foreman, so the help (and the man page made from it) cannot drift from
the code again."""
import pytest

from lbenroll import options
from lbenroll.steps import foreman_host
from tests.steps.conftest import BALANCER
from tests.steps.test_foreman_host import host_run, session  # noqa: F401 (fixtures)

HELP = " ".join(options.help_text(options.BY_DEST["force_content_source"]).split())
NAMED = "the Smart Proxy named like --server"
LOWEST = ("the lowest-id Smart Proxy whose URL, registration URL or template URL names "
          "--server")
NONE_FOUND = "none found: a note, and the content source is left as it is"
ELSEWHERE = "https://elsewhere.example.test:9090"


def registered_elsewhere(foreman, *ids):
    for proxy_id in ids:
        foreman.set_smart_proxy(proxy_id, registration_url=ELSEWHERE)


def named_like_the_balancer(foreman):
    # A lower id (1..3) is registered through the balancer too: the name wins.
    foreman.set_smart_proxy(150, name=BALANCER)


def first_balanced_proxy_moved(foreman):
    registered_elsewhere(foreman, 1)


def only_a_url_names_the_balancer(foreman):
    registered_elsewhere(foreman, 1, 2, 3)
    foreman.set_smart_proxy(140, url="https://%s:9090" % BALANCER)
    foreman.set_smart_proxy(120, url="https://%s:9090" % BALANCER)


def only_a_template_url_names_the_balancer(foreman):
    registered_elsewhere(foreman, 1, 2, 3)
    foreman.set_smart_proxy(130, template_url="http://%s:8000" % BALANCER)


def nothing_names_the_balancer(foreman):
    registered_elsewhere(foreman, 1, 2, 3)


@pytest.mark.parametrize("claim, world, content_source", [
    (NAMED, named_like_the_balancer, 150),
    (LOWEST, first_balanced_proxy_moved, 2),
    (LOWEST, only_a_url_names_the_balancer, 120),
    (LOWEST, only_a_template_url_names_the_balancer, 130),
    (NONE_FOUND, nothing_names_the_balancer, None),
], ids=["named", "lowest-id", "url", "template-url", "none"])
def test_help_says_what_the_step_does(host_run, session, claim, world,  # noqa: F811
                                      content_source):
    assert claim in HELP
    world(session.foreman)
    result = foreman_host.ForemanHost().run(host_run(force_content_source=True))
    [record] = session.foreman.hosts()
    if content_source is None:
        assert "content_facet_attributes" not in record
        assert any(line.startswith("no Smart Proxy for %s" % BALANCER) for line in result.detail)
    else:
        assert record["content_facet_attributes"] == {"content_source_id": content_source}
        assert "(id %d)" % content_source in " ".join(result.detail)


def test_help_no_longer_says_there_is_usually_none():
    assert "usually none" not in HELP
