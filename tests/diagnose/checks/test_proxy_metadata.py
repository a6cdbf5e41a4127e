from lbenroll.diagnose.checks import proxy_metadata
from tests.diagnose.conftest import HELLO, NAMES, OTHER, states, verdicts
from tests.diagnose.test_metadata import publication


def test_a_proxy_with_an_older_publication_is_named_with_both_revisions():
    found = {(name, repo.id): ("ok", publication("1767225600")) for name in NAMES
             for repo in (HELLO, OTHER)}
    found[(NAMES[1], "hello")] = ("ok", publication("1766620800", primary="cccc"))
    results = proxy_metadata.metadata_results(states(), [HELLO, OTHER], found)
    assert verdicts(results) == {NAMES[0]: "unchanged", NAMES[1]: "failed",
                                 NAMES[2]: "unchanged"}
    stale = results[NAMES[1]]
    assert ("proxy02.example.test publishes an older revision of hello: hello revision "
            "1766620800, proxy01, proxy03 revision 1767225600") in stale.summary
    assert "404 for repodata files, and dnf fails" in stale.summary
    assert "same content view version" in stale.remediation
    assert "hammer capsule content synchronize --name proxy02.example.test" in stale.remediation
    assert stale.data["older"] == {"hello": {"revision": "1766620800",
                                             "newest": "1767225600",
                                             "proxies": ["proxy01", "proxy03"]}}


def test_two_proxies_each_with_another_revision_the_older_one_is_named():
    two = states()[:2]
    found = {(NAMES[0], "hello"): ("ok", publication("9")),
             (NAMES[1], "hello"): ("ok", publication("10"))}
    results = proxy_metadata.metadata_results(two, [HELLO], found)
    # Numbers compare as numbers: "9" is older than "10".
    assert verdicts(results) == {NAMES[0]: "failed", NAMES[1]: "unchanged"}


def test_the_same_revision_with_other_checksums_passes_and_says_so():
    found = {(name, "hello"): ("ok", publication("1767225600", primary=name[:7]))
             for name in NAMES}
    results = proxy_metadata.metadata_results(states(), [HELLO], found)
    assert set(verdicts(results).values()) == {"unchanged"}
    assert "checksums of the files listed for hello differ" in results[NAMES[0]].summary
    assert "443 keeps a client on one proxy" in results[NAMES[0]].summary


def test_identical_publications_pass():
    found = {(name, "hello"): ("ok", publication("1")) for name in NAMES}
    results = proxy_metadata.metadata_results(states(), [HELLO], found)
    assert set(verdicts(results).values()) == {"unchanged"}
    assert results[NAMES[0]].summary == "the same revision of hello as the other proxies"


def test_missing_or_unparsed_repositories_are_left_to_proxy_content():
    found = {(NAMES[0], "hello"): ("ok", publication("1")),
             (NAMES[1], "hello"): ("missing", "HTTP 404 Not Found"),
             (NAMES[2], "hello"): ("ok", "0123abcd")}  # a body that was not repomd.xml
    results = proxy_metadata.metadata_results(states(), [HELLO], found)
    assert set(verdicts(results).values()) == {"skipped"}
    assert "nothing to compare" in results[NAMES[0]].summary


def test_without_repositories_nothing_is_compared():
    results = proxy_metadata.metadata_results(states(), [], {})
    assert set(verdicts(results).values()) == {"skipped"}
