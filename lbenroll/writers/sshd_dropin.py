"""60-foreman-user-ca.conf in sshd_config.d: `TrustedUserCAKeys /etc/ssh/foreman-user-ca.pub`, the
drop-in Global Registration writes, for hosts whose sshd_config includes that directory."""
from lbenroll import host
from lbenroll.writers.base import Directory, Target, Writer

DIRECTIVE = "TrustedUserCAKeys %s" % host.REX_USER_CA

# 0600 and a 0700 directory, as EL9's openssh-server ships sshd_config.d/50-redhat.conf.
TARGET = Target(host.REX_USER_CA_DROPIN, 0o600, "root", "root",
                "With --rex, when the Smart Proxies publish an SSH CA and sshd_config includes "
                "sshd_config.d (EL9 and later): the drop-in that has sshd trust it",
                Directory(0o700, "root", "root"))

CONTENT = ("# Written by lbenroll: remote execution logins signed by the Smart Proxies' SSH CA\n"
           "%s\n" % DIRECTIVE)


def directives(text):
    """The lines of a sshd configuration that are not blank or comments, stripped."""
    return [line.strip() for line in (text or "").splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


class SshdDropinWriter(Writer):
    """A drop-in whose only directive is already ours (Global Registration's file has the line
    alone, without lbenroll's comment) is left as it is."""

    id = "SSHD_DROPIN"
    target = TARGET

    def render(self, current_text):
        if current_text is not None and [" ".join(line.split()) for line in
                                         directives(current_text)] == [DIRECTIVE]:
            return current_text, []
        return CONTENT, []
