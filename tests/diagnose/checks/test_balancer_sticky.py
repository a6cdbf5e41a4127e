import itertools

from lbenroll.diagnose.checks import balancer_sticky
from lbenroll.diagnose.hostconf import Repo
from lbenroll.diagnose.trust import KatelloCa
from tests.diagnose.conftest import CA, LB, fake_probe, http_probe


def sticky(monkeypatch, answers):
    sequence = iter(answers)
    monkeypatch.setattr(balancer_sticky, "https_get", lambda *args, **kwargs: next(sequence))
    repo = Repo("hello", "https://%s/pulp/content/hello" % LB, 443,
                "/pulp/content/hello/repodata/repomd.xml", None)
    return balancer_sticky.check_sticky(LB, KatelloCa(CA, "served"), repo, 4, 5)


def test_443_answered_by_several_proxies_is_not_sticky_and_explains_the_404s(monkeypatch):
    proxies = itertools.cycle(["proxy01.example.test", "proxy02.example.test"])
    result = sticky(monkeypatch, [http_probe(443, 200, b"<repomd %d/>" % n, proxy=next(proxies))
                                  for n in range(4)])
    assert result.status.value == "failed"
    assert "answered by proxy01, proxy02 with 4 different answers" in result.summary
    assert "404s" in result.summary
    assert "balance source" in result.remediation


def test_443_answered_by_one_proxy_with_one_answer_is_sticky(monkeypatch):
    result = sticky(monkeypatch, [http_probe(443, 200, b"<repomd/>") for _ in range(4)])
    assert result.status.value == "unchanged"
    assert "all answered by proxy01, identical" in result.summary


def test_stickiness_is_not_judged_when_443_gives_no_answer(monkeypatch):
    result = sticky(monkeypatch, [fake_probe(443, names=["proxy09.example.test"])])
    assert result.status.value == "skipped"
    assert "proxy09.example.test, not %s" % LB in result.summary
