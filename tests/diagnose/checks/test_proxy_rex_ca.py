"""PROXY_REX_CA: the SSH CA each proxy publishes, compared between the proxies and with the CA
this host trusts."""
import types

from lbenroll.diagnose.checks import proxy_rex_ca
from lbenroll.diagnose.hostconf import read_host
from lbenroll.writers.rex_user_ca import parse_ca_key
from tests.conftest import seed
from tests.diagnose.conftest import CA, NAMES, http_probe, states, verdicts
from tests.writers.test_authorized_keys import ssh_key

CA1 = parse_ca_key(ssh_key(31, "ca-one").encode())
CA2 = parse_ca_key(ssh_key(32, "ca-two").encode())


def found(*keys):
    return {name: (key, None, None) for name, key in zip(NAMES, keys)}


def test_the_same_ca_everywhere_trusted_by_the_host_passes():
    results = proxy_rex_ca.ca_results(states(), found(CA1, CA1, CA1), [CA1])
    assert verdicts(results) == dict.fromkeys(NAMES, "unchanged")
    assert "this host trusts it" in results[NAMES[0]].summary


def test_no_ca_anywhere_passes():
    results = proxy_rex_ca.ca_results(states(), found(None, None, None), None)
    assert verdicts(results) == dict.fromkeys(NAMES, "unchanged")


def test_proxies_publishing_different_cas_are_named():
    results = proxy_rex_ca.ca_results(states(), found(CA1, CA2, None), None)
    assert verdicts(results) == dict.fromkeys(NAMES, "warning")
    assert "proxy02: CA SHA256:" in results[NAMES[0]].summary
    assert "proxy03: no CA" in results[NAMES[0]].summary
    assert "same SSH CA" in results[NAMES[0]].remediation


def test_a_ca_the_host_does_not_trust_fails():
    results = proxy_rex_ca.ca_results(states(), found(CA2, CA2, CA2), [CA1])
    assert verdicts(results) == dict.fromkeys(NAMES, "failed")
    assert "this host does not trust proxy01's CA SHA256:" in results[NAMES[0]].summary
    assert "lbenroll repair" in results[NAMES[0]].remediation


def test_a_proxy_that_did_not_answer_fails_alone():
    answers = found(CA1, CA1, CA1)
    answers[NAMES[1]] = (None, "proxy02:9090: connection refused", "start foreman-proxy")
    results = proxy_rex_ca.ca_results(states(), answers, [CA1])
    assert verdicts(results) == {NAMES[0]: "unchanged", NAMES[1]: "failed",
                                 NAMES[2]: "unchanged"}


def _fetch(monkeypatch, status, body):
    monkeypatch.setattr(proxy_rex_ca, "https_get",
                        lambda *args, **kwargs: http_probe(9090, status, body))
    return proxy_rex_ca.fetch_ca(states()[0], "smartproxy.example.test",
                                 types.SimpleNamespace(pem=CA), 5)


def test_fetch_reads_a_key_nothing_a_404_and_refuses_anything_else(monkeypatch):
    assert _fetch(monkeypatch, 200, ssh_key(31, "ca-one").encode()) == (CA1, None, None)
    assert _fetch(monkeypatch, 200, b"") == (None, None, None)
    assert _fetch(monkeypatch, 404, b"Not Found") == (None, None, None)
    key, problem, fix = _fetch(monkeypatch, 200, b"<html>oops</html>")
    assert key is None and "is not an SSH CA key" in problem and "ssh_user_ca" in fix
    key, problem, _ = _fetch(monkeypatch, 500, b"")
    assert key is None and "answered" in problem


def test_trusted_keys_reads_the_hosts_ca_file(ctx, root):
    assert proxy_rex_ca.trusted_keys(read_host(ctx)) is None
    seed(root, {"/etc/ssh/foreman-user-ca.pub": ssh_key(31, "ca-one") + "\n"})
    assert proxy_rex_ca.trusted_keys(read_host(ctx)) == [CA1]


def test_judge_reads_the_facts_of_this_host(ctx, root):
    seed(root, {"/etc/ssh/foreman-user-ca.pub": ssh_key(31, "ca-one") + "\n"})
    known = types.SimpleNamespace(facts=read_host(ctx))
    results = proxy_rex_ca.judge(known, states(), found(CA2, CA2, CA2))
    assert verdicts(results) == dict.fromkeys(NAMES, "failed")
