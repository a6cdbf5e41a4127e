from lbenroll.diagnose.checks import host_gofer_conf
from tests.diagnose.test_hostconf import LB, PROXIES, enrolled

KATELLO_CONF = "/etc/gofer/plugins/katello.conf"


def test_goferd_must_name_the_balancer_unless_it_follows_rhsm_conf(root):
    on_a_proxy = "[messaging]\nurl = proxy+amqps://proxy03.example.test:5647\n"
    found = host_gofer_conf.check_gofer(enrolled(root, **{KATELLO_CONF: on_a_proxy}), LB, PROXIES)
    assert (found.status.value, found.summary) == ("failed", "%s: [messaging] url names "
                                                   "proxy03.example.test, one of the proxies, "
                                                   "directly, not the balancer" % KATELLO_CONF)
    following = host_gofer_conf.check_gofer(enrolled(root, **{KATELLO_CONF: "[messaging]\nurl=\n"}),
                                            LB, PROXIES)
    assert following.status.value == "unchanged" and "follows rhsm.conf" in following.summary
