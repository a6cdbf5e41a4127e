"""A line-based INI editor: changes only the values asked for, keeps every other byte as it was."""
import collections
import re
import sys

# Why not a library: configparser drops comments and interpolates `%(name)s`; configobj rewrites
# formatting. rhsm.conf, redhat.repo and puppet.conf carry comments and admin spacing that must
# survive, so lines are kept as text and only the value part of a line being changed is rebuilt.
#
# Rules, chosen to match how the owners of these files read them:
# - `key = value` and `key: value`; the first `=` or `:` separates; no inline comments (a `#` or
#   `;` after a value is part of it, as for configparser's defaults, iniparse and Puppet).
# - Keys are case-insensitive (subscription-manager lower-cases them); section names are not.
# - A repeated key: the last one wins on read and is the one `set` edits (configparser).
# - A repeated section reads as one section (iniparse merges them).
# - With `continuation=True` a line indented deeper than a key line continues its value
#   (configparser, yum); Puppet has no continuation lines and indents keys freely.
#
# Lines are stored as plain strings (not objects) so that a 20,000-section redhat.repo parses in
# linear time: strings are not tracked by the cyclic garbage collector.

_HEADER_LINE = re.compile(r"^[^\S\n]*\[([^\]\n]+)\][^\n]*\n", re.M)
_LINE = re.compile(r"[^\n]*\n")
# One match per line: (indentation, key and the space after it) of a key line, ("", "") for any
# other line. Greedy, not lazy: this runs over every line of a file and lazy is much slower.
_LINE_KEY = re.compile(r"(?:([ \t]*)([^\s=:\[#;][^=:\n]*)[=:])?[^\n]*\n")
# indent, key, space before the separator, separator, space after it; the value follows.
# The key runs greedily to the first separator and gives back only its trailing blanks: a
# lazy key (tried one character longer at each step, with the blanks after it) takes
# quadratic time on a line of many blanks.
_OPTION = re.compile(r"([ \t]*)([^\s=:\[#;](?:[^=:]*[^ \t=:])?)([ \t]*)([=:])([ \t]*)")

_DEFAULT_STYLE = ("", " ", "=", " ")
_CONTINUATION_INDENT = "    "


def _split_eol(line):
    """Every stored line ends with "\n" (see _parse); split off "\r\n" or "\n"."""
    eol = "\r\n" if line.endswith("\r\n") else "\n"
    return line[:-len(eol)], eol


def _indent(text):
    return text[:len(text) - len(text.lstrip(" \t"))]


def _key(raw):
    """A key as the index holds it: lower-cased, and interned because a 20,000-section
    redhat.repo repeats the same dozen keys 240,000 times (15 MiB as separate strings)."""
    return sys.intern(raw.rstrip().lower())


def _continues(line, indent):
    """Whether line continues the value of a key line indented by `indent` characters."""
    content = line.rstrip("\r\n")
    stripped = content.lstrip(" \t")
    return bool(stripped) and stripped[0] not in "#;" and len(content) - len(stripped) > indent


class _Section(object):
    """A header line and the raw lines up to the next header."""

    __slots__ = ("name", "header", "lines", "index")

    def __init__(self, name, header):
        self.name = name
        self.header = header  # the header line as written; None for lines before any header
        self.lines = []
        self.index = {}  # lower-cased key -> position of its last key line


class IniDocument(object):
    """An INI text that can be read and edited by section and key, and turned back into text."""

    def __init__(self, text="", continuation=True):
        self._continuation = continuation
        self.newline = "\r\n" if re.match(r"[^\n]*\r\n", text) else "\n"
        # A file without a final newline keeps lacking it; the last line gets one while editing.
        self._no_final_eol = bool(text) and not text.endswith("\n")
        self._sections = [_Section(None, None)]
        self._by_name = collections.OrderedDict()  # dicts keep insertion order only from 3.7
        self._parse(text)

    # -- parsing --

    def _parse(self, text):
        if self._no_final_eol:
            text += self.newline
        section, pos = self._sections[0], 0
        # Whole-text regexes keep the per-line Python work small for very large files.
        for header in _HEADER_LINE.finditer(text):
            section.lines = _LINE.findall(text, pos, header.start())
            section = self._add_section(header.group(1), header.group(0))
            pos = header.end()
        section.lines = _LINE.findall(text, pos)
        for section in self._sections[1:]:
            self._reindex(section)

    def _add_section(self, name, header):
        section = _Section(name, header)
        self._sections.append(section)
        self._by_name.setdefault(name, []).append(section)
        return section

    def _key_lines(self, lines):
        """(lower-cased key, position) of every key line in order; continuation lines skipped."""
        text = "".join(lines)
        keys = _LINE_KEY.findall(text)
        if not self._continuation or not (text[:1] in " \t" or "\n " in text or "\n\t" in text):
            # No indented line, so no continuation line: the common case, done in one pass.
            return [(_key(key), pos) for pos, (_, key) in enumerate(keys) if key]
        found = []
        key_indent = None  # indentation of the key line an indented line may continue
        for pos, (indent, key) in enumerate(keys):
            if key_indent is not None and (len(indent) > key_indent if key
                                           else _continues(lines[pos], key_indent)):
                continue
            if not key:
                key_indent = None
                continue
            found.append((_key(key), pos))
            key_indent = len(indent)
        return found

    def _reindex(self, section):
        section.index = dict(self._key_lines(section.lines))  # the last duplicate wins

    def _end(self, lines, start):
        """The position after the key line at start and its continuation lines."""
        end = start + 1
        if self._continuation and end < len(lines) and lines[end][0] in " \t":
            indent = len(_indent(lines[start]))
            while end < len(lines) and lines[end][0] in " \t" and _continues(lines[end], indent):
                end += 1
        return end

    # -- reading --

    def sections(self):
        """Section names in order of first appearance."""
        return list(self._by_name)

    def _find(self, section, key):
        key = key.lower()
        for sect in reversed(self._by_name.get(section, ())):
            start = sect.index.get(key)
            if start is not None:
                return sect, (start, self._end(sect.lines, start))
        return None, None

    @staticmethod
    def _value(lines, start, end):
        line = lines[start]
        value = line[_OPTION.match(line).end():].rstrip()
        if end == start + 1:
            return value
        return "\n".join([value] + [line.strip() for line in lines[start + 1:end]])

    def get(self, section, key, default=None):
        """The raw value (never interpolated), or default when the section or key is absent."""
        sect, span = self._find(section, key)
        return default if sect is None else self._value(sect.lines, *span)

    def items(self, section):
        """(lower-cased key, value) pairs in order of first appearance; the last value wins."""
        keys = collections.OrderedDict()
        for sect in self._by_name.get(section, ()):
            for key, _ in self._key_lines(sect.lines):
                keys[key] = None
        return [(key, self.get(section, key)) for key in keys]

    # -- editing --

    def set(self, section, key, value):
        """Set a value; return True if the text changed.

        An existing key keeps its spelling and spacing and only its value is rewritten; a missing
        key goes after the last key of the section; a missing section is appended at the end.
        """
        sect, span = self._find(section, key)
        if sect is not None:
            start, end = span
            new_lines = self._rewrite(sect.lines[start:end], value)
            if new_lines == sect.lines[start:end]:
                return False
            sect.lines[start:end] = new_lines
            if end - start != len(new_lines):
                self._reindex(sect)
            return True
        sects = self._by_name.get(section)
        sect = sects[-1] if sects else self._append_section(section)
        last = max(sect.index.values()) if sect.index else None
        template = sect.lines[last] if last is not None else self._any_option_line()
        if template is None:
            indent, gap, sep, space = _DEFAULT_STYLE
        else:
            indent, template_key, gap, sep, space = _OPTION.match(template).groups()
            if len(gap) > 1 and not gap.strip(" "):
                # The admin aligned the separators in a column: keep the column.
                gap = " " * max(1, len(template_key) + len(gap) - len(key))
        first = indent + key + gap + sep + space + self.newline
        if last is not None:
            position = self._end(sect.lines, last)
        else:
            # After any indented lines that open the section: before them, the new key would
            # take them as its continuation lines.
            position = 0
            while (self._continuation and position < len(sect.lines)
                   and _continues(sect.lines[position], len(indent))):
                position += 1
        sect.lines[position:position] = self._rewrite([first], value)
        self._reindex(sect)
        return True

    def _rewrite(self, old_lines, value):
        """The lines of one setting (key line and continuations) with a new value."""
        content, eol = _split_eol(old_lines[0])
        match = _OPTION.match(content)
        indent, key, gap, sep, space = match.groups()
        old_value = content[match.end():].rstrip()
        trail = content[match.end() + len(old_value):]
        first, _, rest = value.partition("\n")
        if first and not old_value and not space and gap:
            space = gap  # `key =` given a value becomes `key = value`, not `key =value`
        new_lines = [indent + key + gap + sep + space + first + trail + eol]
        old_cont = old_lines[1:]
        for i, line in enumerate(rest.split("\n") if "\n" in value else ()):
            # Keep the indentation the admin used for the same continuation line.
            if old_cont:
                cont_indent = _indent(old_cont[min(i, len(old_cont) - 1)])
            else:
                cont_indent = indent + _CONTINUATION_INDENT
            new_lines.append(cont_indent + line.strip() + self.newline)
        return new_lines

    def remove(self, section, key):
        """Remove every line setting key in section; return True if there was one."""
        removed = False
        key = key.lower()
        for sect in self._by_name.get(section, ()):
            if key not in sect.index:
                continue
            # Earlier duplicates are not in the index, which keeps only the last: remove one at a
            # time until none is left.
            while key in sect.index:
                start = sect.index[key]
                del sect.lines[start:self._end(sect.lines, start)]
                self._reindex(sect)
            removed = True
        return removed

    def _any_option_line(self):
        for sect in self._sections[1:]:
            if sect.index:
                return sect.lines[min(sect.index.values())]
        return None

    def _append_section(self, name):
        last = self._sections[-1]
        tail = last.lines[-1] if last.lines else last.header
        if tail is not None and tail.strip():
            last.lines.append(self.newline)  # a blank line before the new header
        return self._add_section(name, "[%s]%s" % (name, self.newline))

    def text(self):
        out = []
        for sect in self._sections:
            if sect.header is not None:
                out.append(sect.header)
            out.extend(sect.lines)
        text = "".join(out)
        if self._no_final_eol and text.endswith(self.newline):
            text = text[:-len(self.newline)]
        return text


_COMMENT_OR_BLANK = re.compile(r"^[ \t]*([#;].*)?$")
_HEADER = re.compile(r"^[ \t]*\[[^\]]+\]")


def syntax_errors(text, continuation=True, keys_before_section=False):
    """[(line number, line)] of the lines the file's owner cannot parse, in order.

    iniparse (subscription-manager's parser) refuses a key line before the first [section]
    (MissingSectionHeaderError) and any line that is neither a header, a key line, a comment, a
    blank line nor, with continuation, an indented line after a key line (ParsingError).
    Puppet reads settings before the first section as [main] (keys_before_section=True) and has
    no continuation lines.
    """
    errors = []
    in_section = keys_before_section
    after_key = False
    for number, line in enumerate(text.splitlines(), 1):
        if _COMMENT_OR_BLANK.match(line):
            continue  # a blank or comment line inside a value does not end it (iniparse)
        if _HEADER.match(line):
            in_section, after_key = True, False
            continue
        if continuation and after_key and line[:1] in (" ", "\t"):
            continue
        if _OPTION.match(line) and in_section:
            after_key = True
            continue
        errors.append((number, line))
        after_key = False
    return errors
