"""A failed run that replaced the consumer package puts the previous one back (from the copy
lbenroll kept when it installed it), or says it cannot and what to run; "the host is as it
was" is never claimed while the consumer packages in the rpm database differ from before."""
import os

from tests.e2e.test_enroll import ENROLL, enroll, lbenroll
from tests.e2e.test_repair import installed_consumer

KEPT = "/var/lib/lbenroll/consumer-rpm"


def failing_registration(box):
    """A run that installs the served consumer package, then fails at REGISTER (exit 76)."""
    args = list(ENROLL)
    args[args.index("-o") + 1] = "NoSuchOrg"
    return lbenroll(box, *args)


def test_a_failed_run_reinstalls_the_consumer_package_it_upgraded(lab, sandbox):
    box = sandbox()
    proxy = enroll(box)["answering_proxy"]
    [first] = installed_consumer(box)
    assert box.exists("%s/%s.noarch.rpm" % (KEPT, first))
    assert box.run(["subscription-manager", "clean"]).returncode == 0  # must register again
    name = proxy.split(".")[0]
    lab.rebuild_consumer_rpm(name, release=2)
    lab.haproxy.route_only(443, name)
    proc = failing_registration(box)
    assert proc.returncode == 76, proc.stdout + proc.stderr
    assert "INSTALL_CONSUMER_RPM" in proc.stdout and "-1.0-2" in proc.stdout
    assert installed_consumer(box) == [first]  # the rpm database as before the run
    assert "the host is as it was" in proc.stdout, proc.stdout
    assert box.run(["rpm", "-V", first.rsplit("-", 2)[0]]).returncode == 0  # and its file


def test_without_a_kept_copy_the_rollback_says_what_to_run(lab, sandbox):
    box = sandbox()
    proxy = lab.proxies["proxy01"]
    genuine = "katello-ca-consumer-%s-1.0-1.noarch.rpm" % proxy.fqdn
    with open(os.path.join(proxy.pub_dir, "current", genuine), "rb") as f:
        box.seed("/root/" + genuine, f.read())
    # Installed by hand (as bootstrap.py or a kickstart would), so lbenroll kept no copy.
    assert box.run(["rpm", "-i", "--noscripts", "--nodeps", "/root/" + genuine]).returncode == 0
    [before] = installed_consumer(box)
    lab.rebuild_consumer_rpm("proxy01", release=2)
    lab.haproxy.route_only(443, "proxy01")
    lab.haproxy.route_only(80, "proxy01")
    proc = failing_registration(box)
    assert proc.returncode not in (0, 3), proc.stdout + proc.stderr
    assert "the host is as it was" not in proc.stdout
    assert "no copy of %s is kept" % before in proc.stdout
    assert "rpm -U --oldpackage" in proc.stdout
    assert "NOT as it was: the rpm database" in proc.stdout
