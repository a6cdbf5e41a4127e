import os

import pytest

from lbenroll.diagnose import metadata, proxies
from lbenroll.diagnose.metadata import Publication, parse_repomd
from tests.conftest import DATA
from tests.diagnose import test_primary
from tests.diagnose.conftest import HELLO, states

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


def test_fetch_repomd_returns_the_publication(monkeypatch):
    from tests.diagnose.conftest import http_probe

    class Ca(object):
        pem = "x"
    body = REPOMD % (b"5", b"aaaa", b"aaaa")
    monkeypatch.setattr(proxies, "https_get", lambda *a, **k: http_probe(443, 200, body))
    kind, found = proxies.fetch_repomd(states()[0], "lb", Ca(), HELLO, 1.0)
    assert kind == "ok" and isinstance(found, Publication) and found.revision == "5"
    assert len(found.sha256) == 64


def test_repomd_gives_the_primary_checksum_and_open_checksum():
    with open(os.path.join(DATA, "diagnose", "repomd-gz.xml"), "rb") as f:
        found = parse_repomd(f.read())
    kind, checksum = found.primary_checksum
    assert kind == "sha256" and found.files["primary"][0] == checksum
    assert found.primary_open[0] == "sha256" and found.primary_open[1] != checksum


@pytest.mark.parametrize("body", [test_primary.LAUGHS, test_primary.EXTERNAL],
                         ids=["billion-laughs", "external-entity"])
def test_a_repomd_with_a_document_type_is_refused_before_any_entity_is_expanded(body):
    body = body.replace(b"<metadata", b"<repomd").replace(b"</metadata", b"</repomd")
    with pytest.raises(metadata.NotRepomd, match="repomd.xml has a document type declaration"):
        parse_repomd(body)
