"""URL host handling shared by the writers: read a URL's host, swap it, keep everything else."""
import re

# scheme://authority then the rest (path, query, fragment) taken verbatim.
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)([^/?#]*)(.*)\Z", re.S)


def _split(url):
    """(text before the host, host without brackets, text after the host), or None."""
    match = _URL.match(url)
    if match is None:
        return None
    scheme, authority, rest = match.groups()
    # rpartition: a password may not hold a raw "@", but the host never does.
    userinfo, at, hostport = authority.rpartition("@")
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            return None
        host, port = hostport[1:end], hostport[end + 1:]
    else:
        host, colon, port = hostport.partition(":")
        port = colon + port
    return scheme + userinfo + at, host, port + rest


def host_of(url):
    """The host of a URL as written (IPv6 without brackets); "" for file:///, None if not a URL."""
    parts = _split(url)
    return None if parts is None else parts[1]


def path_of(url):
    """What follows a URL's host and port ("/" when nothing does), or None if not a URL."""
    parts = _split(url)
    if parts is None:
        return None
    rest = parts[2]
    if rest.startswith(":"):
        rest = rest[1:].lstrip("0123456789")
    return rest if rest.startswith("/") else "/"


def userinfo_secrets(url):
    """What must never be shown of a URL's user information ("user:password@"): the password
    and the whole "user:password"; none when it has no password."""
    parts = _split(url or "")
    if parts is None:
        return []
    userinfo = parts[0].split("://", 1)[1].rstrip("@")
    _user, colon, password = userinfo.partition(":")
    return [password, userinfo] if colon and password else []


def port_of(url, default):
    """The port a URL names after its host, else default (no port, or not a URL)."""
    parts = _split(url)
    if parts is None or not parts[2].startswith(":"):
        return default
    digits = parts[2][1:]
    digits = digits[:len(digits) - len(digits.lstrip("0123456789"))]
    return int(digits) if digits else default


def same_host(a, b):
    """DNS names compare case-insensitively and a trailing root dot changes nothing."""
    if a is None or b is None:
        return False
    return a.rstrip(".").lower() == b.rstrip(".").lower()


def replace_host(url, new_host):
    """The URL with its host replaced by new_host; scheme, userinfo, port, path kept."""
    parts = _split(url)
    if parts is None or not parts[1]:
        raise ValueError("not a URL with a host: %r" % url)
    if ":" in new_host and not new_host.startswith("["):
        new_host = "[%s]" % new_host
    return parts[0] + new_host + parts[2]


def retarget(url, balancer):
    """The one rule for pointing a URL at the balancer: url with its host replaced by balancer
    (scheme, user:password@, port, path, query kept as written; an IPv6 balancer bracketed), or
    None when there is nothing to change: url names no host (not a URL, file:///) or already
    names the balancer (case and a trailing root dot aside).

    Every writer that moves a URL calls this (gofer, yggdrasil, redhat_repo, rhsm_conf); which
    URLs a writer moves, and what it writes for a URL with no host, stay the writer's own; so
    does rhsm_conf's baseurl under a consumer-RPM layout, which is a whole URL of the layout's
    making rather than the old URL moved (RhsmConfWriter._baseurl says why)."""
    url_host = host_of(url)
    if not url_host or same_host(url_host, balancer):
        return None
    return replace_host(url, balancer)
