from lbenroll.diagnose import metadata, proxies
from lbenroll.diagnose.metadata import Publication, metadata_results, parse_repomd
from tests.diagnose.test_proxies import HELLO, NAMES, OTHER, states

REPOMD = b"""<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>%s</revision>
  <data type="primary">
    <checksum type="sha256">%s</checksum>
    <location href="repodata/%s-primary.xml.gz"/>
  </data>
  <data type="filelists">
    <checksum type="sha256">bbbb</checksum>
    <location href="repodata/bbbb-filelists.xml.gz"/>
  </data>
</repomd>
"""


def publication(revision, primary="aaaa"):
    return parse_repomd(REPOMD % (revision.encode(), primary.encode(), primary.encode()))


def verdicts(results):
    return {name: result.status.value for name, result in results.items()}


def test_repomd_gives_the_revision_and_each_listed_file():
    found = publication("1767225600")
    assert found.revision == "1767225600"
    assert found.files == {"primary": ("aaaa", "repodata/aaaa-primary.xml.gz"),
                           "filelists": ("bbbb", "repodata/bbbb-filelists.xml.gz")}


def test_what_is_not_repomd_is_refused():
    for body in (b"<html>404</html>", b"not xml at all"):
        try:
            parse_repomd(body)
        except metadata.NotRepomd:
            continue
        raise AssertionError("parsed %r" % body)


def test_a_proxy_with_an_older_publication_is_named_with_both_revisions():
    found = {(name, repo.id): ("ok", publication("1767225600")) for name in NAMES
             for repo in (HELLO, OTHER)}
    found[(NAMES[1], "hello")] = ("ok", publication("1766620800", primary="cccc"))
    results = metadata_results(states(), [HELLO, OTHER], found)
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
    results = metadata_results(two, [HELLO], found)
    # Numbers compare as numbers: "9" is older than "10".
    assert verdicts(results) == {NAMES[0]: "failed", NAMES[1]: "unchanged"}


def test_the_same_revision_with_other_checksums_passes_and_says_so():
    found = {(name, "hello"): ("ok", publication("1767225600", primary=name[:7]))
             for name in NAMES}
    results = metadata_results(states(), [HELLO], found)
    assert set(verdicts(results).values()) == {"unchanged"}
    assert "checksums of the files listed for hello differ" in results[NAMES[0]].summary
    assert "443 keeps a client on one proxy" in results[NAMES[0]].summary


def test_identical_publications_pass():
    found = {(name, "hello"): ("ok", publication("1")) for name in NAMES}
    results = metadata_results(states(), [HELLO], found)
    assert set(verdicts(results).values()) == {"unchanged"}
    assert results[NAMES[0]].summary == "the same revision of hello as the other proxies"


def test_missing_or_unparsed_repositories_are_left_to_proxy_content():
    found = {(NAMES[0], "hello"): ("ok", publication("1")),
             (NAMES[1], "hello"): ("missing", "HTTP 404 Not Found"),
             (NAMES[2], "hello"): ("ok", "0123abcd")}  # a body that was not repomd.xml
    results = metadata_results(states(), [HELLO], found)
    assert set(verdicts(results).values()) == {"skipped"}
    assert "nothing to compare" in results[NAMES[0]].summary


def test_without_repositories_nothing_is_compared():
    results = metadata_results(states(), [], {})
    assert set(verdicts(results).values()) == {"skipped"}


def test_fetch_repomd_returns_the_publication(monkeypatch):
    from tests.diagnose.conftest import http_probe

    class Ca(object):
        pem = "x"
    body = REPOMD % (b"5", b"aaaa", b"aaaa")
    monkeypatch.setattr(proxies, "https_get", lambda *a, **k: http_probe(443, 200, body))
    kind, found = proxies.fetch_repomd(states()[0], "lb", Ca(), HELLO, 1.0)
    assert kind == "ok" and isinstance(found, Publication) and found.revision == "5"
    assert len(found.sha256) == 64
