"""SshdDropinWriter: 60-foreman-user-ca.conf holds TrustedUserCAKeys for lbenroll's CA file."""
import os
import stat

from lbenroll.results import Status
from lbenroll.writers.sshd_dropin import CONTENT, SshdDropinWriter
from tests.conftest import seed
from tests.writers.golden import assert_cycle, render_text

DROPIN = "/etc/ssh/sshd_config.d/60-foreman-user-ca.conf"


def test_created_0600_in_a_0700_directory(ctx, root):
    result = SshdDropinWriter().run(ctx)
    assert result.status == Status.CHANGED
    real = os.path.join(str(root), DROPIN.lstrip("/"))
    assert open(real).read().splitlines()[-1] == \
        "TrustedUserCAKeys /etc/ssh/foreman-user-ca.pub"
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(real)).st_mode) == 0o700


def test_an_existing_directory_keeps_its_mode(ctx, root):
    os.makedirs(os.path.join(str(root), "etc/ssh/sshd_config.d"), mode=0o755)
    os.chmod(os.path.join(str(root), "etc/ssh/sshd_config.d"), 0o755)
    SshdDropinWriter().run(ctx)
    assert stat.S_IMODE(os.stat(os.path.join(str(root), "etc/ssh/sshd_config.d")).st_mode) \
        == 0o755


def test_plan_apply_plan(ctx, root):
    assert_cycle(SshdDropinWriter(), ctx, root, "TrustedUserCAKeys /etc/ssh/other.pub\n", CONTENT)


def test_global_registrations_drop_in_is_left_as_it_is(ctx, root):
    # save_to_file('/etc/ssh/sshd_config.d/60-foreman-user-ca.conf', "TrustedUserCAKeys ...")
    theirs = "TrustedUserCAKeys  /etc/ssh/foreman-user-ca.pub"
    assert render_text(SshdDropinWriter(), theirs) == theirs
    seed(root, {DROPIN: theirs})
    assert SshdDropinWriter().run(ctx).status == Status.UNCHANGED
