"""AuthorizedKeysWriter: keys added once each, every existing line kept, 0600 in a 0700 ~/.ssh."""
import base64
import os
import stat
import struct

import pytest

from lbenroll.results import Status
from lbenroll.writers.authorized_keys import (AuthorizedKeysWriter, User, find_user, fingerprint,
                                              parse_key, parse_keys, target_for)
from lbenroll.writers.base import Directory
from tests.conftest import seed
from tests.writers.golden import assert_cycle, render_text
from tools import docs

# ssh-keygen -l prints SHA256:ZkAslGjFiUHdGf/WUL8rQvkib4PTvQatUV0OUQSncCA for this key.
KNOWN = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f "
         "test@example")
PASSWD = "root:x:0:0:root:/root:/bin/bash\nalice:x:1001:1002:Alice:/home/alice:/bin/bash\n"


def ssh_key(number, comment="", key_type="ssh-ed25519"):
    """A well-formed public key line; the number makes its blob unique."""
    def string(data):
        return struct.pack(">I", len(data)) + data
    blob = string(key_type.encode()) + string(bytes([number]) * 32)
    return " ".join(part for part in (key_type, base64.b64encode(blob).decode(), comment) if part)


def keys(*lines):
    return [parse_key(line) for line in lines]


ONE, TWO, THREE = (ssh_key(n, "foreman-proxy@proxy0%d.example.test" % n) for n in (1, 2, 3))


def writer(*lines):
    return AuthorizedKeysWriter(keys(*lines), target_for(User("root", 0, 0, "/root")))


# parsing


def test_parse_key_reads_type_blob_and_comment():
    key = parse_key("  %s  \n" % KNOWN)
    assert (key.type, key.comment, key.line) == ("ssh-ed25519", "test@example", KNOWN)
    assert key.blob == KNOWN.split()[1]


def test_parse_key_after_options_with_quoted_spaces():
    line = 'command="echo a b",no-pty %s' % ONE
    key = parse_key(line)
    assert key.blob == ONE.split()[1] and key.line == line


@pytest.mark.parametrize("line", [
    "<html><body>502 Bad Gateway</body></html>",
    "ssh-ed25519",
    "ssh-ed25519 not-base64!",
    "ssh-rsa %s" % ONE.split()[1],  # the blob names another type
    "ssh-ed25519 AAAA",  # too short to name a type
])
def test_not_a_key(line):
    assert parse_key(line) is None


def test_parse_keys_skips_comments_and_blank_lines_and_returns_the_rest():
    found, rejected = parse_keys("# keys\n\n%s\nnonsense here\n%s\n" % (ONE, TWO))
    assert [key.line for key in found] == [ONE, TWO]
    assert rejected == ["nonsense here"]


def test_fingerprint_is_openssh_sha256():
    assert fingerprint(parse_key(KNOWN)) == "SHA256:ZkAslGjFiUHdGf/WUL8rQvkib4PTvQatUV0OUQSncCA"


# render


def test_new_file_holds_each_key_on_its_own_line():
    assert render_text(writer(ONE, TWO), None) == "%s\n%s\n" % (ONE, TWO)


def test_existing_lines_comments_and_order_are_kept_and_new_keys_appended():
    before = "# admins\n%s\n\n# old\n%s\n" % (ssh_key(9, "admin"), ssh_key(8))
    assert render_text(writer(ONE, TWO), before) == before + "%s\n%s\n" % (ONE, TWO)


def test_a_key_present_with_other_comment_spacing_or_options_is_not_added_again():
    blob_one, blob_two = ONE.split()[1], TWO.split()[1]
    before = ("ssh-ed25519\t %s   renamed@elsewhere\n"
              'from="10.0.0.0/8",command="run x y" ssh-ed25519 %s\n') % (blob_one, blob_two)
    rendered = writer(ONE, TWO, THREE).render(before)
    assert rendered[0] == before + THREE + "\n"
    assert rendered[2]["added"] == [fingerprint(parse_key(THREE))]
    assert len(rendered[2]["present"]) == 2


def test_a_commented_out_key_is_not_present():
    before = "# %s\n" % ONE
    assert render_text(writer(ONE), before) == before + ONE + "\n"


def test_missing_final_newline_is_added_before_the_new_key():
    assert render_text(writer(TWO), ONE) == "%s\n%s\n" % (ONE, TWO)


def test_same_key_twice_is_added_once():
    assert render_text(writer(ONE, ssh_key(1, "same key, other comment")), None) == ONE + "\n"


def test_nothing_to_add_leaves_the_text_alone():
    before = "%s\n%s" % (ONE, TWO)  # even without a final newline
    plan = writer(TWO, ONE).plan(before.encode())
    assert not plan.changed


# apply


def test_plan_apply_plan_creates_0600_in_a_0700_ssh_dir(ctx, root):
    result = assert_cycle(writer(ONE, TWO), ctx, root, None, "%s\n%s\n" % (ONE, TWO))
    assert result.detail == ["added: ssh-ed25519 %s foreman-proxy@proxy0%d.example.test" % (
        fingerprint(parse_key(line)), n) for n, line in ((1, ONE), (2, TWO))]
    ssh_dir = os.path.join(str(root), "root", ".ssh")
    assert stat.S_IMODE(os.stat(ssh_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(os.path.join(ssh_dir, "authorized_keys")).st_mode) == 0o600


def test_existing_file_keeps_its_mode(ctx, root):
    seed(root, {"/root/.ssh/authorized_keys": ONE + "\n"})
    os.chmod(os.path.join(str(root), "root/.ssh/authorized_keys"), 0o644)
    result = writer(ONE, TWO).run(ctx)
    assert result.status == Status.CHANGED
    assert stat.S_IMODE(os.stat(os.path.join(str(root), "root/.ssh/authorized_keys")).st_mode) \
        == 0o644


# users and targets


def test_find_user_reads_the_managed_roots_passwd(ctx, root):
    seed(root, {"/etc/passwd": PASSWD})
    assert find_user(ctx, "alice") == User("alice", 1001, 1002, "/home/alice")
    assert find_user(ctx, "bob") is None


def test_find_user_without_passwd_is_none(ctx):
    assert find_user(ctx, "root") is None


def test_default_target_is_in_the_home_with_a_user_owned_ssh_dir():
    target = target_for(User("alice", 1001, 1002, "/home/alice"))
    assert target.path == "/home/alice/.ssh/authorized_keys"
    assert (target.mode, target.owner, target.group) == (0o600, "alice", 1002)
    assert target.parent == Directory(0o700, "alice", 1002)


def test_authpath_target_is_owned_by_the_user_and_its_directory_left_to_defaults():
    target = target_for(User("alice", 1001, 1002, "/home/alice"), "/etc/ssh/keys/alice")
    assert (target.path, target.owner, target.group, target.parent) == (
        "/etc/ssh/keys/alice", "alice", 1002, None)


def test_new_user_file_gets_the_users_ids(ctx, root):
    seed(root, {"/etc/passwd": PASSWD})
    os.makedirs(os.path.join(str(root), "home/alice"))
    target = target_for(find_user(ctx, "alice"))
    AuthorizedKeysWriter(keys(ONE), target).run(ctx)
    for path in ("home/alice/.ssh", "home/alice/.ssh/authorized_keys"):
        st = os.stat(os.path.join(str(root), path))
        assert (st.st_uid, st.st_gid) == (1001, 1002)


def test_the_man_page_lists_root_authorized_keys():
    assert AuthorizedKeysWriter.target in docs.writer_targets()
    assert "--rex-user" in AuthorizedKeysWriter.target.description
