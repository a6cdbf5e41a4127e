"""YggdrasilWriter: broker URLs move to the balancer keeping scheme and port; nothing else moves."""
import random

import pytest

from lbenroll.results import Status
from lbenroll.writers.yggdrasil import YggdrasilWriter, broker_urls
from tests.writers.golden import assert_cycle, crlf, data, render_text

BALANCER = "smartproxy.example.test"
GOLDEN = ("config", "multiline", "old-server")


def golden(name):
    return data("yggdrasil", name + ".toml"), data("yggdrasil", name + ".expected.toml")


@pytest.mark.parametrize("name", GOLDEN)
def test_golden(name):
    before, after = golden(name)
    assert render_text(YggdrasilWriter(BALANCER), before) == after


@pytest.mark.parametrize("name", GOLDEN)
def test_plan_apply_plan(ctx, root, name):
    before, after = golden(name)
    assert_cycle(YggdrasilWriter(BALANCER), ctx, root, before, after)


def test_notes():
    _, notes = YggdrasilWriter(BALANCER).render(data("yggdrasil", "config.toml"))
    assert notes == ["broker: mqtts://proxy02.example.test:1883 -> "
                     "mqtts://smartproxy.example.test:1883"]


def test_broker_urls():
    assert broker_urls(data("yggdrasil", "config.toml")) == ["mqtts://proxy02.example.test:1883"]
    # Top-level keys only: the `server` inside [tags] is not a broker.
    assert broker_urls(data("yggdrasil", "multiline.toml")) == [
        "mqtts://proxy01.example.test:1883", "mqtts://proxy02.example.test:1883",
        "mqtts://smartproxy.example.test:1883"]
    assert broker_urls(data("yggdrasil", "old-server.toml")) == ["mqtts://[fd00::12]:8883"]
    assert broker_urls('log-level = "error"\n') == []


def test_other_arrays_spanning_lines_are_skipped_whole():
    text = ('extra = [\n  ["mqtts://proxy01.example.test:1883"],\n]\n'
            'broker = ["mqtts://proxy02.example.test:1883"]  # [not a bracket]\n')
    assert broker_urls(text) == ["mqtts://proxy02.example.test:1883"]
    assert render_text(YggdrasilWriter(BALANCER), text) == text.replace(
        "proxy02.example.test", BALANCER)


@pytest.mark.parametrize("name", GOLDEN)
def test_crlf_is_kept(name):
    before, after = golden(name)
    assert render_text(YggdrasilWriter(BALANCER), crlf(before)) == crlf(after)


@pytest.mark.parametrize("name", GOLDEN)
def test_missing_final_newline_stays_missing(name):
    before, after = golden(name)
    assert render_text(YggdrasilWriter(BALANCER), before.rstrip("\n")) == after.rstrip("\n")


def test_missing_file_is_left_alone(ctx, root):
    writer = YggdrasilWriter(BALANCER)
    assert writer.render(None) is None
    assert writer.run(ctx).status == Status.SKIPPED
    assert not (root / "etc/yggdrasil").exists()


@pytest.mark.parametrize("seed_value", range(30))
def test_random_unrelated_lines_survive(seed_value):
    rng = random.Random(seed_value)
    before, after = golden("config")
    before_lines, after_lines = before.split("\n"), after.split("\n")
    for _ in range(8):
        word = "".join(rng.choice("abcdefghij-_") for _ in range(rng.randint(1, 8)))
        line = rng.choice(["# comment %s mqtts://proxy01.example.test:1883" % word, "",
                           'x%s = "mqtts://proxy01.example.test:1883"' % word,
                           "x%s = [1, 2, 3]" % word, "   "])
        at = rng.randint(0, len(before_lines) - 1)
        before_lines.insert(at, line)
        after_lines.insert(at, line)
    assert render_text(YggdrasilWriter(BALANCER), "\n".join(before_lines)) == "\n".join(after_lines)


def test_a_line_of_unclosed_quotes_is_read_in_linear_time():
    """Each quote of such a line used to start a scan to its end: 17 s for this 40 kB line."""
    import time
    text = 'broker = [' + '"\\' * 20000 + '\nserver = "mqtts://proxy01.example.test:1883"\n'
    started = time.monotonic()
    assert broker_urls(text) == ["mqtts://proxy01.example.test:1883"]
    assert time.monotonic() - started < 5
