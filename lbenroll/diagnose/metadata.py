"""Repository metadata as a proxy publishes it: what one repomd.xml says."""
import xml.etree.ElementTree as ElementTree
import xml.parsers.expat

REPO_NS = "{http://linux.duke.edu/metadata/repo}"


class Publication(object):
    """What one repomd.xml says: its revision, {data type: (checksum, location href)} and, for
    the primary file, its checksum and open-checksum as (type, value) pairs."""

    def __init__(self, revision, files, sha256, primary_checksum=None, primary_open=None):
        self.revision = revision
        self.files = files
        self.sha256 = sha256
        self.primary_checksum = primary_checksum
        self.primary_open = primary_open

    @property
    def checksums(self):
        return {kind: checksum for kind, (checksum, _) in self.files.items()}

    def same_packages(self, other):
        """Whether the two list the same primary file, compressed (checksum) or not
        (open-checksum): the same packages, whatever their revisions say."""
        return any(mine is not None and mine[1] and _same(mine, theirs)
                   for mine, theirs in ((self.primary_checksum, other.primary_checksum),
                                        (self.primary_open, other.primary_open)))

    def __repr__(self):
        return "Publication(%r, %d files)" % (self.revision, len(self.files))


def _same(mine, theirs):
    return theirs is not None and mine[0] == theirs[0] and mine[1].lower() == (
        theirs[1] or "").lower()


class NotRepomd(ValueError):
    pass


def _refuse_doctype(*args):
    # repomd.xml has no document type: one could declare entities that expand a few bytes into
    # gigabytes (expat before 2.4 sets no limit on that) or name external files.
    raise NotRepomd("repomd.xml has a document type declaration")


def parse_repomd(body, sha256=None):
    """A Publication from repomd.xml bytes; NotRepomd when they are not one."""
    # The body is at most fetch's limit; no document type declaration, so no entity, is taken.
    try:
        root = _tree(body)
    except xml.parsers.expat.ExpatError as exc:
        raise NotRepomd("repomd.xml is not XML (%s)" % exc)
    if root is None or root.tag not in (REPO_NS + "repomd", "repomd"):
        raise NotRepomd("repomd.xml has no <repomd> element")
    revision = _text(root.find(REPO_NS + "revision")) or _text(root.find("revision"))
    files, primary = {}, (None, None)
    for data in list(root.findall(REPO_NS + "data")) + list(root.findall("data")):
        ns = REPO_NS if data.tag.startswith(REPO_NS) else ""
        checksum = data.find(ns + "checksum")
        location = data.find(ns + "location")
        kind = data.get("type", "?")
        files[kind] = (_text(checksum), location.get("href") if location is not None else None)
        if kind == "primary":
            primary = (_typed(checksum), _typed(data.find(ns + "open-checksum")))
    return Publication(revision, files, sha256, *primary)


def _tree(body):
    """The root Element of body, parsed by expat with document types refused."""
    builder = ElementTree.TreeBuilder()
    parser = xml.parsers.expat.ParserCreate(namespace_separator="}")
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = lambda tag, attributes: builder.start(_clark(tag), attributes)
    parser.EndElementHandler = lambda tag: builder.end(_clark(tag))
    parser.CharacterDataHandler = builder.data
    parser.Parse(body, True)
    return builder.close()


def _clark(tag):
    """expat's "namespace}name" as ElementTree's "{namespace}name"."""
    return "{" + tag if "}" in tag else tag


def _typed(element):
    """(checksum type, value) of a <checksum> or <open-checksum> element, or None."""
    if element is None or not _text(element):
        return None
    return element.get("type"), _text(element)


def _text(element):
    return element.text.strip() if element is not None and element.text else None
