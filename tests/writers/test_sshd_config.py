"""sshd_config read as sshd reads it (Include, Match, first value wins), and SshdConfigWriter: the
TrustedUserCAKeys line at the top of an sshd_config that does not include sshd_config.d."""
import pytest

from lbenroll.results import Status
from lbenroll.writers.sshd_config import (DIRECTIVE, MARK, SshdConfigWriter, foreign,
                                          read_trust)
from tests.conftest import seed
from tests.writers.golden import assert_cycle, render_text

EL9 = """\
# This is the sshd server system-wide configuration file.
Include /etc/ssh/sshd_config.d/*.conf
#Port 22
PermitRootLogin yes
Match User anoncvs
\tX11Forwarding no
"""
EL8 = """\
#Port 22
HostKey /etc/ssh/ssh_host_rsa_key
SyslogFacility AUTHPRIV
PermitRootLogin yes
Match User anoncvs
\tX11Forwarding no
"""


def test_el9_includes_the_drop_in(ctx, root):
    seed(root, {"/etc/ssh/sshd_config": EL9,
                "/etc/ssh/sshd_config.d/50-redhat.conf": "SyslogFacility AUTHPRIV\n"})
    trust = read_trust(ctx)
    assert trust.includes_dropin and trust.readable and trust.trust == []


def test_el8_does_not(ctx, root):
    seed(root, {"/etc/ssh/sshd_config": EL8})
    assert not read_trust(ctx).includes_dropin


@pytest.mark.parametrize("line", [
    "Include sshd_config.d/*.conf", "include=/etc/ssh/sshd_config.d/6*",
    'Include "/etc/ssh/sshd_config.d/*.conf" /etc/ssh/other'])
def test_relative_quoted_and_equals_includes_count(ctx, root, line):
    seed(root, {"/etc/ssh/sshd_config": line + "\n"})
    assert read_trust(ctx).includes_dropin


def test_an_include_inside_match_does_not(ctx, root):
    seed(root, {"/etc/ssh/sshd_config": "Match User bob\nInclude /etc/ssh/sshd_config.d/*.conf\n"})
    assert not read_trust(ctx).includes_dropin


def test_another_ca_in_a_drop_in_or_the_main_file_is_foreign(ctx, root):
    seed(root, {"/etc/ssh/sshd_config": EL9 + "TrustedUserCAKeys /etc/ssh/late.pub\n",
                "/etc/ssh/sshd_config.d/10-admin.conf": "TrustedUserCAKeys=/etc/ssh/admin-ca.pub\n",
                "/etc/ssh/sshd_config.d/60-foreman-user-ca.conf":
                    "TrustedUserCAKeys /etc/ssh/foreman-user-ca.pub\n"})
    trust = read_trust(ctx)
    # Before the Match only; lbenroll's own drop-in is not counted.
    assert trust.trust == [("/etc/ssh/sshd_config.d/10-admin.conf", "/etc/ssh/admin-ca.pub")]
    assert foreign(trust) == trust.trust


def test_lbenrolls_own_line_and_none_are_not_foreign(ctx, root):
    seed(root, {"/etc/ssh/sshd_config": "%s\n%s\nTrustedUserCAKeys none\n%s" % (
        MARK, DIRECTIVE, EL8)})
    assert foreign(read_trust(ctx)) == []


def test_el8_gets_the_line_at_the_top_before_any_match(ctx, root):
    assert render_text(SshdConfigWriter(), EL8) == "%s\n%s\n%s" % (MARK, DIRECTIVE, EL8)
    assert_cycle(SshdConfigWriter(), ctx, root, EL8, "%s\n%s\n%s" % (MARK, DIRECTIVE, EL8))


def test_a_line_already_there_is_left_alone_but_not_one_inside_match():
    already = "PermitRootLogin no\nTrustedUserCAKeys /etc/ssh/foreman-user-ca.pub\n"
    assert render_text(SshdConfigWriter(), already) == already
    in_match = "Match User x\nTrustedUserCAKeys /etc/ssh/foreman-user-ca.pub\n"
    assert render_text(SshdConfigWriter(), in_match).startswith(MARK)


def test_no_sshd_config_is_left_alone(ctx):
    assert render_text(SshdConfigWriter(), None) is None
    assert SshdConfigWriter().run(ctx).status == Status.SKIPPED
