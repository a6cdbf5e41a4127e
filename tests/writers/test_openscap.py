"""OpenscapWriter: config.yaml's :server: and :port: lead to the balancer; nothing else moves."""
import pytest

from lbenroll.results import Status
from lbenroll.writers.openscap import OpenscapWriter, settings
from tests.writers.golden import assert_cycle, crlf, data, render_text, sprinkle

BALANCER = "smartproxy.example.test"


def golden():
    return data("openscap", "config.yaml"), data("openscap", "config.expected.yaml")


def test_golden():
    before, after = golden()
    text, notes = OpenscapWriter(BALANCER).render(before)
    assert text == after
    assert notes == [":server: proxy02.example.test -> smartproxy.example.test",
                     ":port: 8443 -> 9090"]


def test_plan_apply_plan(ctx, root):
    assert_cycle(OpenscapWriter(BALANCER), ctx, root, *golden())


def test_a_policy_key_named_server_is_not_the_client_setting():
    before, after = golden()
    assert "  :server: 'not-top-level.example.test'" in render_text(OpenscapWriter(BALANCER),
                                                                    before)


@pytest.mark.parametrize("line, expected", [
    (":server: proxy01.example.test\n", ":server: smartproxy.example.test\n"),
    (':server: "proxy01.example.test"  # the OpenSCAP proxy\n',
     ':server: "smartproxy.example.test"  # the OpenSCAP proxy\n'),
    (":server:\t'PROXY01.example.test'\r\n", ":server:\t'smartproxy.example.test'\r\n"),
    (":port: '8443'\n", ":port: '9090'\n"),
    (":port: 9090\n", ":port: 9090\n"),
    (":server: 'SmartProxy.Example.Test.'\n", ":server: 'SmartProxy.Example.Test.'\n"),
])
def test_each_quoting_is_kept(line, expected):
    assert render_text(OpenscapWriter(BALANCER), line) == expected


def test_a_value_this_parser_cannot_read_is_left_with_a_note():
    text = ":server: &proxy proxy01.example.test\n:port: 9090\n"
    rendered, notes = OpenscapWriter(BALANCER).render(text)
    assert rendered == text
    assert notes == [":server: not a single value this parser reads; left as it is"]


def test_missing_keys_are_not_added():
    text = ":timeout: 60\n"
    rendered, notes = OpenscapWriter(BALANCER).render(text)
    assert rendered == text
    assert notes == [":server: is not set; left as it is", ":port: is not set; left as it is"]


def test_settings_reads_what_the_client_reads():
    before, after = golden()
    assert settings(before) == {":server:": "proxy02.example.test", ":port:": "8443"}
    assert settings(":server:\n:server: 'a.example.test'\n") == {":server:": "a.example.test"}
    assert settings(":server:\n") == {":server:": None}


def test_crlf_and_missing_final_newline():
    before, after = golden()
    assert render_text(OpenscapWriter(BALANCER), crlf(before)) == crlf(after)
    assert render_text(OpenscapWriter(BALANCER), before.rstrip("\n")) == after.rstrip("\n")


def test_missing_file_is_left_alone(ctx, root):
    assert OpenscapWriter(BALANCER).render(None) is None
    assert OpenscapWriter(BALANCER).run(ctx).status == Status.SKIPPED


@pytest.mark.parametrize("seed_value", range(20))
def test_random_unrelated_lines_survive(seed_value):
    before, after = sprinkle(*golden(), seed_value=seed_value)
    assert render_text(OpenscapWriter(BALANCER), before) == after
