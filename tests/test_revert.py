"""The line-based three-way revert: lbenroll's edits out, everyone else's kept, or None."""
from lbenroll.revert import revert

BASE = b"""# Red Hat Subscription Manager Configuration File:

[server]
# Server hostname:
hostname = subscription.rhsm.redhat.com
port = 443

[rhsm]
baseurl = https://cdn.redhat.com
repo_ca_cert = %(ca_cert_dir)sredhat-uep.pem
"""

# What lbenroll writes: two values changed, one key added.
OURS = BASE.replace(b"hostname = subscription.rhsm.redhat.com", b"hostname = lb.example.com") \
    .replace(b"baseurl = https://cdn.redhat.com", b"baseurl = https://lb.example.com/pulp") \
    .replace(b"port = 443\n", b"port = 443\nprefix = /rhsm\n")


def test_a_file_nobody_else_edited_goes_back_exactly():
    assert revert(BASE, OURS, OURS) == BASE


def test_an_admins_comment_and_key_stay_and_lbenrolls_edits_go():
    theirs = OURS.replace(b"[server]\n", b"[server]\n# the admin's note\n") \
        + b"server_timeout = 300\n"
    assert revert(BASE, OURS, theirs) == BASE.replace(
        b"[server]\n", b"[server]\n# the admin's note\n") + b"server_timeout = 300\n"


def test_a_line_added_right_next_to_lbenrolls_line_stays():
    theirs = OURS.replace(b"hostname = lb.example.com\n",
                          b"hostname = lb.example.com\nproxy_hostname = squid\n")
    assert revert(BASE, OURS, theirs) == BASE.replace(
        b"port = 443\n", b"proxy_hostname = squid\nport = 443\n")


def test_a_value_lbenroll_set_and_someone_changed_cannot_be_reverted():
    theirs = OURS.replace(b"hostname = lb.example.com", b"hostname = other.example.com")
    assert revert(BASE, OURS, theirs) is None


def test_a_line_lbenroll_wrote_that_someone_removed_cannot_be_reverted():
    assert revert(BASE, OURS, OURS.replace(b"prefix = /rhsm\n", b"")) is None


def test_a_line_lbenroll_removed_comes_back_between_its_neighbours():
    ours = BASE.replace(b"port = 443\n", b"")
    theirs = ours + b"# added later\n"
    assert revert(BASE, ours, theirs) == BASE + b"# added later\n"


def test_a_removed_line_whose_neighbours_were_split_cannot_be_put_back():
    ours = BASE.replace(b"port = 443\n", b"")
    theirs = ours.replace(b"hostname = subscription.rhsm.redhat.com\n",
                          b"hostname = subscription.rhsm.redhat.com\nport = 8443\n")
    assert revert(BASE, ours, theirs) is None


def test_edits_of_others_far_from_lbenrolls_are_kept_in_a_long_file():
    # Over 200 lines, where difflib's autojunk would ignore the frequent lines.
    base = b"".join(b"[repo%d]\nenabled = 1\n\n" % n for n in range(300))
    ours = base.replace(b"[repo7]\nenabled = 1\n", b"[repo7]\nenabled = 0\n")
    theirs = ours.replace(b"[repo250]\nenabled = 1\n", b"[repo250]\nenabled = 0\n")
    assert revert(base, ours, theirs) == base.replace(b"[repo250]\nenabled = 1\n",
                                                      b"[repo250]\nenabled = 0\n")


def test_bytes_of_any_encoding_come_back_unchanged():
    base = b"# caf\xe9\nkey = 1\n"
    ours = b"# caf\xe9\nkey = 2\n"
    theirs = b"# caf\xe9\nkey = 2\n# \xff\xfe\n"
    assert revert(base, ours, theirs) == b"# caf\xe9\nkey = 1\n# \xff\xfe\n"


def test_a_last_line_without_its_line_break_is_not_run_into_the_next():
    base = b"a = 1"
    ours = b"a = 1\nb = 2\n"
    assert revert(base, ours, ours + b"c = 3\n") is None
    assert revert(base, ours, ours) == base


def test_reverting_the_result_again_changes_nothing_more():
    theirs = OURS + b"# admin\n"
    once = revert(BASE, OURS, theirs)
    assert revert(once, once, once) == once
