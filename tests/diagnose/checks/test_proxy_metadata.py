from lbenroll.diagnose.checks import proxy_metadata
from lbenroll.diagnose.metadata import Publication
from lbenroll.diagnose.primary import Packages, Unread
from lbenroll.rpmversion import evrcmp
from tests.diagnose.conftest import HELLO, NAMES, OTHER, states, verdicts


def publication(revision, primary="aaaa", open_checksum=None, filelists="bbbb"):
    """A Publication as parse_repomd gives it: the primary file's checksums, another file's."""
    files = {"primary": (primary, "repodata/%s-primary.xml.gz" % primary),
             "filelists": (filelists, "repodata/%s-filelists.xml.gz" % filelists)}
    return Publication(revision, files, None, ("sha256", primary),
                       ("sha256", open_checksum) if open_checksum else None)


def packages(*nevras):
    """Packages from ("name", "epoch", "version", "release", "arch") tuples."""
    newest = {}
    for name, epoch, version, release, arch in nevras:
        known = newest.get((name, arch))
        if known is None or evrcmp((epoch, version, release), known) > 0:
            newest[(name, arch)] = (epoch, version, release)
    return Packages(newest, len(nevras))


HELLO_1 = ("lab-hello", "0", "1.0", "1", "noarch")
HELLO_2 = ("lab-hello", "0", "1.0", "2", "noarch")
PUPPET = ("puppet-agent", "0", "7.23.0", "1.lab", "noarch")


class Reader(object):
    """read_packages for metadata_results: the packages of each proxy, and who was asked."""

    def __init__(self, served):
        self.served = served
        self.asked = []

    def __call__(self, asks):
        self.asked += [(proxy.name, repo.id) for proxy, repo, _ in asks]
        return [self.served[proxy.name] for proxy, _, _ in asks]


def never(asks):
    raise AssertionError("primary.xml read for %r" % [(p.name, r.id) for p, r, _ in asks])


def test_equal_primary_checksums_are_in_sync_whatever_the_revisions():
    # Each proxy published on its own, so each has another revision; the old check named
    # proxy01 and proxy02 "older". No primary.xml is read.
    found = {(name, repo.id): ("ok", publication(revision, filelists=name[:7]))
             for name, revision in zip(NAMES, ("1767225600", "1767229200", "1766620800"))
             for repo in (HELLO, OTHER)}
    results = proxy_metadata.metadata_results(states(), [HELLO, OTHER], found, never)
    assert set(verdicts(results).values()) == {"unchanged"}
    assert results[NAMES[0]].summary.startswith(
        "the newest build of every package that the other proxies serve in hello, other")
    assert ("hello: the same primary.xml on every proxy (revisions proxy01 1767225600, proxy02 "
            "1767229200, proxy03 1766620800)") in results[NAMES[0]].detail


def test_equal_open_checksums_are_in_sync_whatever_the_compression():
    found = {(name, "hello"): ("ok", publication(str(n), primary=name[:7], open_checksum="cccc"))
             for n, name in enumerate(NAMES)}
    results = proxy_metadata.metadata_results(states(), [HELLO], found, never)
    assert set(verdicts(results).values()) == {"unchanged"}
    assert "checksums of the files listed for hello differ" in results[NAMES[0]].summary
    assert "443 keeps a client on one proxy" in results[NAMES[0]].summary


def test_other_primary_files_with_the_same_packages_are_in_sync():
    found = {(name, "hello"): ("ok", publication(str(9 - n), primary=name[:7]))
             for n, name in enumerate(NAMES)}
    read = Reader({name: packages(HELLO_1, PUPPET) for name in NAMES})
    results = proxy_metadata.metadata_results(states(), [HELLO], found, read)
    assert set(verdicts(results).values()) == {"unchanged"}
    assert sorted(read.asked) == [(name, "hello") for name in NAMES]
    assert ("hello: other primary files with the same newest builds (revisions proxy01 9, "
            "proxy02 8, proxy03 7)") in results[NAMES[2]].detail


def test_one_primary_file_is_read_for_each_group_of_proxies_that_list_the_same():
    found = {(NAMES[0], "hello"): ("ok", publication("1", primary="aaaa")),
             (NAMES[1], "hello"): ("ok", publication("2", primary="aaaa")),
             (NAMES[2], "hello"): ("ok", publication("3", primary="dddd"))}
    read = Reader({NAMES[0]: packages(HELLO_1, HELLO_2), NAMES[2]: packages(HELLO_1)})
    results = proxy_metadata.metadata_results(states(), [HELLO], found, read)
    assert read.asked == [(NAMES[0], "hello"), (NAMES[2], "hello")]
    assert verdicts(results) == {NAMES[0]: "unchanged", NAMES[1]: "unchanged",
                                 NAMES[2]: "failed"}


def test_a_proxy_without_the_newest_build_is_named_with_the_package_whatever_its_revision():
    # proxy02's publication has the newest revision, yet it lacks lab-hello-1.0-2.
    found = {(name, "hello"): ("ok", publication(revision, primary=name[:7]))
             for name, revision in zip(NAMES, ("1767225600", "1767830400", "1767225600"))}
    read = Reader({NAMES[0]: packages(HELLO_1, HELLO_2, PUPPET),
                   NAMES[1]: packages(HELLO_1, PUPPET),
                   NAMES[2]: packages(HELLO_2, HELLO_1, PUPPET)})
    results = proxy_metadata.metadata_results(states(), [HELLO], found, read)
    assert verdicts(results) == {NAMES[0]: "unchanged", NAMES[1]: "failed",
                                 NAMES[2]: "unchanged"}
    behind = results[NAMES[1]]
    assert behind.summary.startswith(
        "proxy02.example.test lacks newer builds that other proxies serve: in hello "
        "lab-hello-1.0-2.noarch, which proxy01, proxy03 serve; a host the balancer sends there "
        "does not get these builds")
    assert behind.data["behind"] == {"hello": ["lab-hello-1.0-2.noarch"]}
    assert behind.detail == ["hello: lab-hello-1.0-2.noarch on proxy01, proxy03"]
    assert "hammer capsule content synchronize --name proxy02.example.test" in (
        behind.remediation)


def test_a_proxy_with_newer_or_more_packages_is_not_behind_the_others_are():
    found = {(name, "hello"): ("ok", publication("1", primary=name[:7])) for name in NAMES}
    extra = ("lab-extra", "0", "1", "1", "x86_64")
    read = Reader({NAMES[0]: packages(HELLO_2, PUPPET, extra),
                   NAMES[1]: packages(HELLO_1, PUPPET),
                   NAMES[2]: packages(HELLO_2, PUPPET)})
    results = proxy_metadata.metadata_results(states(), [HELLO], found, read)
    assert verdicts(results) == {NAMES[0]: "unchanged", NAMES[1]: "failed",
                                 NAMES[2]: "warning"}
    # proxy02 lacks a newer build and a package; proxy03 only a package that proxy01 adds.
    assert results[NAMES[1]].data["behind"] == {"hello": ["lab-hello-1.0-2.noarch"]}
    assert results[NAMES[1]].data["absent"] == {"hello": ["lab-extra-1-1.x86_64"]}
    assert results[NAMES[2]].summary == (
        "proxy03.example.test lacks packages that other proxies serve: in hello "
        "lab-extra-1-1.x86_64, which proxy01 serves; a host the balancer sends there cannot "
        "install them")
    assert "removed from the content view on purpose" in results[NAMES[2]].remediation


def test_the_epoch_decides_before_the_version():
    found = {(name, "hello"): ("ok", publication("1", primary=name[:7])) for name in NAMES[:2]}
    read = Reader({NAMES[0]: packages(("foo", "1", "0.9", "1", "noarch")),
                   NAMES[1]: packages(("foo", "0", "2.0", "1", "noarch"))})
    results = proxy_metadata.metadata_results(states()[:2], [HELLO], found, read)
    assert verdicts(results) == {NAMES[0]: "unchanged", NAMES[1]: "failed"}
    assert results[NAMES[1]].data["behind"] == {"hello": ["foo-1:0.9-1.noarch"]}


def test_packages_that_cannot_be_read_are_not_compared_and_the_reason_is_given():
    found = {(name, "hello"): ("ok", publication("1", primary=name[:7])) for name in NAMES}
    zstd = Unread("repodata/x-primary.xml.zst is zstd-compressed, which Python's standard "
                  "library cannot read: its packages are not compared")
    read = Reader({NAMES[0]: packages(HELLO_1), NAMES[1]: zstd, NAMES[2]: packages(HELLO_1)})
    results = proxy_metadata.metadata_results(states(), [HELLO], found, read)
    assert verdicts(results) == {NAMES[0]: "unchanged", NAMES[1]: "skipped",
                                 NAMES[2]: "unchanged"}
    assert results[NAMES[1]].summary == "packages not compared: hello: " + zstd.reason
    assert "hello: not compared with proxy02: %s" % zstd.reason in results[NAMES[0]].detail


def test_a_primary_file_its_own_repomd_lists_but_it_does_not_serve_fails():
    found = {(name, "hello"): ("ok", publication("1", primary=name[:7])) for name in NAMES}
    missing = Unread("its repomd.xml lists /x/repodata/p-primary.xml.gz, which it answers with "
                     "HTTP 404", broken=True)
    read = Reader({NAMES[0]: packages(HELLO_1), NAMES[1]: missing, NAMES[2]: packages(HELLO_1)})
    results = proxy_metadata.metadata_results(states(), [HELLO], found, read)
    assert verdicts(results)[NAMES[1]] == "failed"
    assert results[NAMES[1]].summary == (
        "proxy02.example.test serves an inconsistent publication of hello: hello: " +
        missing.reason + "; dnf fails there")


def test_missing_or_unparsed_repositories_are_left_to_proxy_content():
    found = {(NAMES[0], "hello"): ("ok", publication("1")),
             (NAMES[1], "hello"): ("missing", "HTTP 404 Not Found"),
             (NAMES[2], "hello"): ("ok", "0123abcd")}  # a body that was not repomd.xml
    results = proxy_metadata.metadata_results(states(), [HELLO], found, never)
    assert set(verdicts(results).values()) == {"skipped"}
    assert "nothing to compare" in results[NAMES[0]].summary


def test_without_repositories_nothing_is_compared():
    results = proxy_metadata.metadata_results(states(), [], {}, never)
    assert set(verdicts(results).values()) == {"skipped"}
