"""RexUserCaWriter and parse_ca_key: the bytes a proxy serves at /ssh/ca_pubkey are one SSH public
key line of a CA type, or nothing; the CA file holds exactly the CA keys, each once."""
import os
import stat

import pytest

from lbenroll.results import Status
from lbenroll.sshkeys import fingerprint
from lbenroll.writers.rex_user_ca import (MAX_CA_KEY, CaKey, NotACaKey, RexUserCaWriter,
                                          keys_in, parse_ca_key)
from tests.conftest import seed
from tests.writers.golden import assert_cycle, render_text
from tests.writers.test_authorized_keys import ssh_key

CA_FILE = "/etc/ssh/foreman-user-ca.pub"
CA1 = ssh_key(11, "lab-rex-ca")
CA2 = ssh_key(12, "other-ca", key_type="ssh-rsa")


def key(line):
    return parse_ca_key(line.encode())


def test_one_key_line_is_a_ca_key():
    parsed = key(CA1 + "\n")
    assert parsed == CaKey("ssh-ed25519", CA1.split()[1], "lab-rex-ca")
    assert fingerprint(parsed).startswith("SHA256:")


def test_an_empty_answer_means_no_ca():
    # smart_proxy_remote_execution_ssh answers 200 with an empty body without a CA file.
    assert parse_ca_key(b"") is None
    assert parse_ca_key(b"\n  \n") is None


@pytest.mark.parametrize("data, why", [
    (b"<html><body>Service Unavailable</body></html>\n", "not one sshd takes as a CA"),
    ((CA1 + "\n" + CA2 + "\n").encode(), "2 lines, not one key"),
    (("ssh-ed25519 " + CA2.split()[1]).encode(), "not a ssh-ed25519 key"),
    (ssh_key(3, key_type="ssh-dss").encode(), "not one sshd takes as a CA"),
    (ssh_key(4, key_type="ssh-ed25519-cert-v01@openssh.com").encode(),
     "not one sshd takes as a CA"),
    (b"ssh-ed25519", "not an SSH public key line"),
    ((CA1 + " \x1b[2J").encode(), "printable ASCII"),
    (CA1.encode() + b"\xff", "not ASCII"),
    (b"#" * (MAX_CA_KEY + 1), "more than a CA key's"),
    (('command="/bin/sh" ' + CA1).encode(), "not one sshd takes as a CA"),
])
def test_anything_else_is_refused(data, why):
    with pytest.raises(NotACaKey, match=why):
        parse_ca_key(data)


def test_the_file_is_created_0644_root_with_the_keys_sorted(ctx, root):
    writer = RexUserCaWriter([key(CA2), key(CA1)])
    result = writer.run(ctx)
    assert result.status == Status.CHANGED
    real = os.path.join(str(root), CA_FILE.lstrip("/"))
    assert open(real).read() == "%s\n%s\n" % (CA1, CA2)  # ssh-ed25519 before ssh-rsa
    st = os.stat(real)
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o644, 0, 0)
    assert writer.run(ctx).status == Status.UNCHANGED


def test_plan_apply_plan(ctx, root):
    assert_cycle(RexUserCaWriter([key(CA1)]), ctx, root, "%s\n" % ssh_key(99), CA1 + "\n")


def test_global_registrations_file_with_the_same_key_is_left_as_it_is(ctx, root):
    # Global Registration's save_to_file: the key, whatever its comment, no lbenroll order.
    theirs = "%s registered-by-global-registration\n" % " ".join(CA1.split()[:2])
    assert render_text(RexUserCaWriter([key(CA1)]), theirs) == theirs
    seed(root, {CA_FILE: theirs})
    assert RexUserCaWriter([key(CA1)]).run(ctx).status == Status.UNCHANGED


def test_a_key_too_many_or_a_stray_line_is_rewritten():
    writer = RexUserCaWriter([key(CA1)])
    assert render_text(writer, "%s\n%s\n" % (CA1, CA2)) == CA1 + "\n"
    assert render_text(writer, "%s\nnot a key\n" % CA1) == CA1 + "\n"


def test_keys_in_reads_the_keys_of_a_file():
    assert keys_in("# comment\n%s\n\n%s\ngarbage\n" % (CA1, CA2)) == [key(CA1), key(CA2)]
    assert keys_in(None) == []
