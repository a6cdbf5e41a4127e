"""RPM version ordering (rpm's rpmvercmp) and NVR strings: which of two builds is newer."""
import string

# rpm's risalnum() is ASCII-only, unlike str.isalnum().
ALNUM = frozenset(string.ascii_letters + string.digits)


def _alnum(char):
    return char in ALNUM


def _segment(text, start, numeric):
    end = start
    while end < len(text) and _alnum(text[end]) and text[end].isdigit() == numeric:
        end += 1
    return text[start:end], end


def vercmp(a, b):
    """-1, 0 or 1 as version (or release) string a sorts before, with or after b.

    The algorithm of rpm's rpmvercmp(): alternating numeric and alphabetic segments, other
    characters separate; numbers compare as numbers and beat letters; '~' sorts before
    everything, even the end of the string, '^' after the end but before anything else.
    """
    if a == b:
        return 0
    i = j = 0
    while i < len(a) or j < len(b):
        while i < len(a) and not _alnum(a[i]) and a[i] not in "~^":
            i += 1
        while j < len(b) and not _alnum(b[j]) and b[j] not in "~^":
            j += 1
        one, two = a[i:i + 1], b[j:j + 1]
        if "~" in (one, two):
            if one != "~":
                return 1
            if two != "~":
                return -1
            i, j = i + 1, j + 1
            continue
        if "^" in (one, two):
            if not one:
                return -1
            if not two:
                return 1
            if one != "^":
                return 1
            if two != "^":
                return -1
            i, j = i + 1, j + 1
            continue
        if not (one and two):
            break
        numeric = one.isdigit()
        first, i = _segment(a, i, numeric)
        second, j = _segment(b, j, numeric)
        if not second:
            # A number against letters: the number is newer.
            return 1 if numeric else -1
        if numeric:
            first, second = first.lstrip("0"), second.lstrip("0")
            if len(first) != len(second):
                return 1 if len(first) > len(second) else -1
        if first != second:
            return 1 if first > second else -1
    if i >= len(a) and j >= len(b):
        return 0
    return -1 if i >= len(a) else 1


def split_nvr(nvr):
    """(name, version, release) of "name-version-release"; only the name may contain '-'."""
    name, version, release = nvr.rsplit("-", 2)
    return name, version, release


def older(version_release, than):
    """Whether (version, release) sorts before `than` (epochs are not compared)."""
    order = vercmp(version_release[0], than[0]) or vercmp(version_release[1], than[1])
    return order < 0


def evrcmp(a, b):
    """-1, 0 or 1 as (epoch, version, release) a sorts before, with or after b, as rpm orders
    builds: the epoch first, as a number (none is 0), then version and release by vercmp."""
    epochs = int(a[0] or 0), int(b[0] or 0)
    if epochs[0] != epochs[1]:
        return -1 if epochs[0] < epochs[1] else 1
    return vercmp(a[1], b[1]) or vercmp(a[2], b[2])


def nevra(name, evr, arch):
    """'foo-1.2-3.el9.noarch', with the epoch as dnf shows it when it is not 0: 'foo-1:1.2-3...'."""
    epoch, version, release = evr
    epoch = "%s:" % epoch if epoch and epoch != "0" else ""
    return "%s-%s%s-%s.%s" % (name, epoch, version, release, arch)
