"""Repository metadata as a proxy publishes it: what one repomd.xml says."""
import xml.etree.ElementTree as ElementTree

REPO_NS = "{http://linux.duke.edu/metadata/repo}"


class Publication(object):
    """What one repomd.xml says: its revision and {data type: (checksum, location href)}."""

    def __init__(self, revision, files, sha256):
        self.revision = revision
        self.files = files
        self.sha256 = sha256

    @property
    def checksums(self):
        return {kind: checksum for kind, (checksum, _) in self.files.items()}

    def __repr__(self):
        return "Publication(%r, %d files)" % (self.revision, len(self.files))


class NotRepomd(ValueError):
    pass


def parse_repomd(body, sha256=None):
    """A Publication from repomd.xml bytes; NotRepomd when they are not one."""
    # The body is at most fetch's limit; ElementTree's expat refuses external entities.
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise NotRepomd("repomd.xml is not XML (%s)" % exc)
    if root.tag not in (REPO_NS + "repomd", "repomd"):
        raise NotRepomd("repomd.xml has no <repomd> element")
    revision = _text(root.find(REPO_NS + "revision")) or _text(root.find("revision"))
    files = {}
    for data in list(root.findall(REPO_NS + "data")) + list(root.findall("data")):
        checksum = data.find(REPO_NS + "checksum")
        location = data.find(REPO_NS + "location")
        files[data.get("type", "?")] = (
            _text(checksum), location.get("href") if location is not None else None)
    return Publication(revision, files, sha256)


def _text(element):
    return element.text.strip() if element is not None and element.text else None
