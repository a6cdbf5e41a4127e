"""PuppetConfWriter: only the [agent] keys lbenroll owns change; a missing file is created."""
import os
import stat

import pytest

from lbenroll.results import Status
from lbenroll.writers.puppet_conf import PuppetConfWriter
from tests.conftest import seed
from tests.writers.golden import assert_cycle, crlf, data, render_text, sprinkle

BALANCER = "smartproxy.example.test"


def golden(name):
    return data("puppet_conf", name + ".conf"), data("puppet_conf", name + ".expected.conf")


def site_writer():
    return PuppetConfWriter(BALANCER, BALANCER, ca_port=8141, certname="client01.example.test")


def test_golden():
    before, after = golden("puppet")
    assert render_text(site_writer(), before) == after


def test_plan_apply_plan(ctx, root):
    before, after = golden("puppet")
    result = assert_cycle(site_writer(), ctx, root, before, after)
    assert result.detail == [
        "agent.server: proxy02.example.test -> smartproxy.example.test",
        "agent.ca_server: proxy01.example.test -> smartproxy.example.test",
        "agent.ca_port: (unset) -> 8141",
    ]


def test_indented_keys_and_hash_in_value_kept_new_section_follows_their_style():
    before, after = golden("indented")
    writer = PuppetConfWriter(BALANCER, BALANCER, certname="Client01.Example.TEST", noop=True)
    assert render_text(writer, before) == after


def test_missing_file_is_created_with_only_agent_keys(ctx, root):
    result = assert_cycle(site_writer(), ctx, root, None,
                          data("puppet_conf", "created.expected.conf"))
    assert result.summary == "created /etc/puppetlabs/puppet/puppet.conf"
    st = os.stat(str(root / "etc/puppetlabs/puppet/puppet.conf"))
    assert stat.S_IMODE(st.st_mode) == 0o644 and (st.st_uid, st.st_gid) == (0, 0)


def test_existing_ca_port_and_noop_are_left_when_not_asked_for():
    text = "[agent]\nserver = %s\nca_server = %s\nca_port = 8140\nnoop = true\n" % (
        BALANCER, BALANCER)
    assert PuppetConfWriter(BALANCER, BALANCER).render(text) == (text, [])


def test_ca_port_given_replaces_the_existing_one():
    text = "[agent]\nserver = %s\nca_server = %s\nca_port = 8140\n" % (BALANCER, BALANCER)
    new, notes = PuppetConfWriter(BALANCER, BALANCER, ca_port=8141).render(text)
    assert new == text.replace("8140", "8141")
    assert notes == ["agent.ca_port: 8140 -> 8141"]


def test_main_section_server_is_not_touched():
    before, _ = golden("indented")
    new = render_text(PuppetConfWriter(BALANCER, BALANCER), before)
    assert "\n    server = proxy02.example.test\n" in new  # [main] is not lbenroll's


def test_crlf_is_kept():
    before, after = golden("puppet")
    assert render_text(site_writer(), crlf(before)) == crlf(after)


def test_missing_final_newline_stays_missing():
    before, after = golden("puppet")
    assert render_text(site_writer(), before.rstrip("\n")) == after.rstrip("\n")


@pytest.mark.parametrize("seed_value", range(30))
def test_random_unrelated_lines_survive(seed_value):
    before, after = golden("puppet")
    writer = PuppetConfWriter(BALANCER, BALANCER, certname="client01.example.test")
    # Without ca_port both texts have the same number of lines.
    after = after.replace("ca_port         = 8141\n", "")
    before, after = sprinkle(before, after, seed_value=seed_value)
    assert render_text(writer, before) == after


def test_existing_file_keeps_its_mode_and_owner(ctx, root):
    before, after = golden("puppet")
    seed(root, {"/etc/puppetlabs/puppet/puppet.conf": before})
    path = str(root / "etc/puppetlabs/puppet/puppet.conf")
    os.chmod(path, 0o640)
    os.chown(path, 0, 52)
    assert site_writer().run(ctx).status == Status.CHANGED
    st = os.stat(path)
    assert (stat.S_IMODE(st.st_mode), st.st_gid) == (0o640, 52)


def test_ca_port_of_the_old_ca_server_is_removed_when_it_moves():
    text = "[agent]\nserver = %s\nca_server = %s\nca_port = 8141\ncertname = c1\n" % (
        BALANCER, BALANCER)
    new, notes = PuppetConfWriter("lb2.example.test", "lb2.example.test").render(text)
    assert new == ("[agent]\nserver = lb2.example.test\nca_server = lb2.example.test\n"
                   "certname = c1\n")
    assert notes[-1] == ("agent.ca_port: 8141 -> (removed: the port of the old CA server %s)"
                         % BALANCER)
    assert PuppetConfWriter("lb2.example.test", "lb2.example.test").render(new) == (new, [])


def test_ca_port_follows_ca_server_defaulting_to_server():
    text = "[agent]\nserver = %s\nca_port = 8141\n" % BALANCER
    new, _ = PuppetConfWriter(BALANCER, "lb2.example.test").render(text)
    assert "ca_port" not in new
    new, _ = PuppetConfWriter(BALANCER, BALANCER.upper()).render(text)
    assert "ca_port = 8141" in new  # the same CA server, spelled differently


def test_ca_port_given_with_a_moved_ca_server_is_set():
    text = "[agent]\nserver = %s\nca_server = %s\nca_port = 8141\n" % (BALANCER, BALANCER)
    new, _ = PuppetConfWriter("lb2.example.test", "lb2.example.test", ca_port=8142).render(text)
    assert "ca_port = 8142" in new


def test_a_move_without_a_port_removes_it_even_to_the_same_ca_server():
    text = "[agent]\nserver = %s\nca_server = %s\nca_port = 8141\n" % (BALANCER, BALANCER)
    new, notes = PuppetConfWriter(BALANCER, BALANCER, drop_ca_port=True).render(text)
    assert "ca_port" not in new
    assert notes == ["agent.ca_port: 8141 -> (removed: a move without --puppet-ca-port)"]
    assert PuppetConfWriter(BALANCER, BALANCER).render(text) == (text, [])  # not a move: kept
