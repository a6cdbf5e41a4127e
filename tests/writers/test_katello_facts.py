"""KatelloFactsWriter: bootstrap.py's katello.facts, with the keys others own kept."""
import json

import pytest

from lbenroll.writers.katello_facts import KatelloFactsWriter, NotFactsFile
from tests.writers.golden import assert_cycle, render_text

FQDN = "client01.example.test"


def writer():
    return KatelloFactsWriter(FQDN)


def test_a_missing_file_is_created_as_bootstrap_py_writes_it(ctx, root):
    result = assert_cycle(writer(), ctx, root, None,
                          '{"network.hostname-override": "client01.example.test"}\n')
    assert result.detail == ["network.hostname-override: (unset) -> client01.example.test"]
    assert (root / "etc/rhsm/facts/katello.facts").stat().st_mode & 0o777 == 0o644


def test_other_keys_are_kept_in_their_order(ctx, root):
    before = '{"site": "lab", "network.hostname-override": "old.example.test", "z": [1, 2]}\n'
    after = '{"site": "lab", "network.hostname-override": "client01.example.test", "z": [1, 2]}\n'
    assert_cycle(writer(), ctx, root, before, after)


@pytest.mark.parametrize("text", [
    '{"network.hostname-override":"client01.example.test"}\n',  # bootstrap.py's own bytes
    '{\n  "a": 1,\n  "network.hostname-override": "client01.example.test"\n}',
])
def test_a_right_file_is_left_byte_for_byte_whatever_its_layout(text):
    assert render_text(writer(), text) == text


@pytest.mark.parametrize("text", ["", "not json", "[1, 2]", '"a string"'])
def test_a_file_that_is_no_json_object_is_refused_not_replaced(text):
    with pytest.raises(NotFactsFile):
        writer().render(text)


def test_the_written_file_reads_back_as_subscription_manager_reads_it():
    text = render_text(writer(), '{"a": "b"}')
    assert json.loads(text) == {"a": "b", "network.hostname-override": FQDN}
