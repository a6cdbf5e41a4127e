import json

from lbenroll.diagnose import report
from lbenroll.diagnose.diagnosis import Diagnosis
from lbenroll.diagnose.proxies import ProxyState
from lbenroll.diagnose.sources import DISCOVERY, ProxySource
from lbenroll.diagnose.trust import KatelloCa
from lbenroll.diagnose.verdicts import HOST, failed, passed, skipped, warned
from tests.diagnose.conftest import CA, LB

NAMES = ["proxy01.example.test", "proxy02.example.test"]


def diagnosis(*results):
    found = Diagnosis(LB)
    found.address = "127.0.1.10"
    found.source = ProxySource(DISCOVERY, NAMES, "discovered through the balancer in 6 rounds")
    found.proxies = [ProxyState(name, "127.0.2.%d" % n) for n, name in enumerate(NAMES, 1)]
    found.katello_ca = KatelloCa(CA, "served by proxy01, proxy02")
    found.results = list(results)
    found.duration = 1.25
    return found


HEALTHY = (passed("BALANCER_PORT", LB + ":443", "certificate names it", port=443),
           passed("PROXY_TLS", NAMES[0], "ok"), passed("PROXY_TLS", NAMES[1], "ok"),
           skipped("HOST_PUPPET_CONF", HOST, "no puppet.conf"))


def test_everything_passing_exits_0_and_shows_a_table_per_proxy():
    found = diagnosis(*HEALTHY)
    assert found.exit_code == 0
    text = report.as_text(found, "1.0")
    assert "balancer %s (127.0.1.10)" % LB in text
    assert "proxies (discovery): proxy01.example.test 127.0.2.1, proxy02.example.test" in text
    assert "  check      proxy01  proxy02\n  PROXY_TLS  pass     pass" in text
    assert "Problems" not in text
    assert text.endswith("result: 3 pass, 0 fail, 0 warn, 1 skip in 1.2 s; exit 0")


def test_a_failure_is_listed_with_its_cause_and_fix_and_exits_1():
    bad = failed("PROXY_TLS", NAMES[1], "the certificate of proxy02 names proxy02 only",
                 "generate it with --foreman-proxy-cname", detail=["names: proxy02"])
    found = diagnosis(HEALTHY[0], HEALTHY[1], bad, HEALTHY[3])
    assert found.exit_code == 1
    text = report.as_text(found, "1.0")
    assert "  PROXY_TLS  pass     FAIL" in text
    assert ("  FAIL  PROXY_TLS  proxy02.example.test\n"
            "        the certificate of proxy02 names proxy02 only\n"
            "        names: proxy02\n"
            "        fix: generate it with --foreman-proxy-cname") in text


def test_warnings_alone_exit_3():
    found = diagnosis(HEALTHY[0], warned("HOST_PUPPET_CONF", HOST, "ca_port", "set it"))
    assert found.exit_code == 3


def test_json_has_verdicts_targets_the_source_and_the_exit_code():
    bad = failed("PROXY_TLS", NAMES[1], "bad", "fix it")
    data = json.loads(report.as_json(diagnosis(HEALTHY[0], bad), "1.0"))
    assert data["exit_code"] == 1 and data["balancer"] == LB
    assert data["source"]["kind"] == DISCOVERY and data["source"]["names"] == NAMES
    assert data["counts"] == {"pass": 1, "fail": 1, "warn": 0, "skip": 0}
    assert data["results"][1] == {"id": "PROXY_TLS", "status": "fail", "target": NAMES[1],
                                  "summary": "bad", "detail": [], "remediation": "fix it"}
    assert data["results"][0]["data"] == {"port": 443}
