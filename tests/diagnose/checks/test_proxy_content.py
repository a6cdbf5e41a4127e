from lbenroll.diagnose.checks import proxy_content
from tests.diagnose.conftest import HELLO, NAMES, OTHER, states, verdicts


def test_a_repository_missing_on_one_proxy_is_not_synchronized_there():
    found = {(name, repo.id): ("ok", "digest-%s" % name) for name in NAMES
             for repo in (HELLO, OTHER)}
    found[("proxy02.example.test", "hello")] = ("missing", "HTTP 404 Not Found")
    results = proxy_content.content_results(states(), [HELLO, OTHER], found, [])
    assert verdicts(results) == {NAMES[0]: "unchanged", NAMES[1]: "failed",
                                 NAMES[2]: "unchanged"}
    failure = results[NAMES[1]]
    assert ("proxy02.example.test lacks repomd.xml of hello, which proxy01, proxy03 serve "
            "(HTTP 404): the content is not synchronized to proxy02.example.test") in (
        failure.summary)
    assert "hammer capsule content synchronize --name proxy02.example.test" in (
        failure.remediation)
    assert failure.data["missing"] == ["hello"]


def test_a_repository_no_proxy_serves_is_a_warning_about_the_content_view():
    found = {(name, "hello"): ("missing", "HTTP 404 Not Found") for name in NAMES}
    results = proxy_content.content_results(states(), [HELLO], found, [])
    assert set(verdicts(results).values()) == {"warning"}
    assert "subscription-manager refresh" in results[NAMES[0]].remediation


def test_a_refused_entitlement_certificate_fails():
    found = {(name, "hello"): ("ok", "d") for name in NAMES}
    found[(NAMES[2], "hello")] = ("refused", "HTTP 403 Forbidden")
    results = proxy_content.content_results(states(), [HELLO], found, [])
    assert verdicts(results)[NAMES[2]] == "failed"
    assert "refuses this host's entitlement certificate" in results[NAMES[2]].summary


def test_without_repositories_content_is_skipped_with_the_reasons():
    results = proxy_content.content_results(states(), [], {}, ["x: baseurl is not https"])
    assert set(verdicts(results).values()) == {"skipped"}
    assert results[NAMES[0]].detail == ["x: baseurl is not https"]
