"""PROXY_REX_CA: the SSH CA each proxy publishes at :9090/ssh/ca_pubkey, compared between the
proxies and with the CA this host trusts (/etc/ssh/foreman-user-ca.pub, lbenroll REX_CA)."""
from lbenroll import host, ports
from lbenroll.sshkeys import fingerprint
from lbenroll.diagnose.fetch import answer, failure, https_get
from lbenroll.diagnose.proxies import transport_fix
from lbenroll.diagnose.verdicts import failed, listing, passed, short, warned
from lbenroll.writers.rex_user_ca import MAX_CA_KEY, NotACaKey, keys_in, parse_ca_key

PATH = "/ssh/ca_pubkey"
SAME_CA_FIX = ("give every proxy behind the balancer the same SSH CA (foreman-installer "
               "--foreman-proxy-plugin-remote-execution-script-ssh-user-ca-public-key-file), "
               "then refresh the proxies in Foreman")


def start(known, proxy):
    return known.submit(fetch_ca, proxy, known.balancer, known.katello_ca, known.timeout)


def judge(known, proxies, answers):
    return ca_results(proxies, answers, trusted_keys(known.facts))


def fetch_ca(proxy, balancer, katello_ca, timeout):
    """(CaKey or None, None, None), or (None, why not, fix) from GET /ssh/ca_pubkey on 9090.
    None without a problem: the proxy publishes no CA (an empty answer, or a proxy older than
    the endpoint: 404)."""
    probe = https_get(balancer, ports.SMART_PROXY_API, PATH, katello_ca.pem, timeout,
                      address=proxy.address, limit=MAX_CA_KEY + 1)
    got = answer(probe)
    where = proxy.where(ports.SMART_PROXY_API)
    fix = "check that foreman-proxy runs on %s" % proxy.name
    if got is None:
        return None, failure(probe, where), transport_fix(probe, balancer, fix)
    if got.status == 404:
        return None, None, None
    if got.status != 200:
        return None, "%s%s answered %s" % (where, PATH, got), fix
    try:
        return parse_ca_key(got.body), None, None
    except NotACaKey as exc:
        return None, "%s%s is not an SSH CA key: %s" % (where, PATH, exc), (
            "check ssh_user_ca_public_key_file in remote_execution_ssh.yml on %s: one public "
            "key line" % proxy.name)


def trusted_keys(facts):
    """The CA keys of /etc/ssh/foreman-user-ca.pub (hostconf read it), or None when this host
    has no such file."""
    return None if facts.rex_user_ca is None else keys_in(facts.rex_user_ca)


def _name(key):
    return "CA %s" % fingerprint(key) if key is not None else "no CA"


def ca_results(proxies, found, trusted):
    """{proxy name: PROXY_REX_CA}. found[proxy name] is what fetch_ca returned; trusted the
    host's CA keys (None: the host trusts no CA file of Foreman's)."""
    published = {name: key for name, (key, problem, _) in found.items() if problem is None}
    kinds = {_name(key) for key in published.values()}
    trusted_ids = None if trusted is None else {(k.type, k.blob) for k in trusted}
    results = {}
    for proxy in proxies:
        key, problem, fix = found[proxy.name]
        if problem is not None:
            results[proxy.name] = failed("PROXY_REX_CA", proxy.name, problem, fix)
            continue
        data = {"ca": None if key is None else fingerprint(key)}
        if key is not None and trusted_ids is not None and (key.type, key.blob) not in \
                trusted_ids:
            results[proxy.name] = failed(
                "PROXY_REX_CA", proxy.name, "this host does not trust %s's %s (%s holds %s): "
                "remote execution jobs through %s are refused" % (
                    short(proxy.name), _name(key), host.REX_USER_CA,
                    listing(_name(k) for k in trusted) or "no key", short(proxy.name)),
                "lbenroll repair (with --rex recorded) writes the CAs the proxies publish",
                **data)
            continue
        if len(kinds) > 1:
            others = sorted("%s: %s" % (short(name), _name(other))
                            for name, other in published.items() if name != proxy.name
                            and _name(other) != _name(key))
            results[proxy.name] = warned(
                "PROXY_REX_CA", proxy.name, "%s publishes %s, the other proxies something else "
                "(%s): a host set up through one proxy may refuse jobs from another" % (
                    short(proxy.name), _name(key), "; ".join(others)), SAME_CA_FIX, **data)
            continue
        if key is None:
            results[proxy.name] = passed("PROXY_REX_CA", proxy.name, "publishes no SSH CA, like "
                                         "the other proxies: hosts need its key in "
                                         "authorized_keys", **data)
        elif trusted_ids is None:
            results[proxy.name] = passed("PROXY_REX_CA", proxy.name, "publishes the same %s as "
                                         "the other proxies; this host does not trust it (no "
                                         "%s) and needs the proxy's key in authorized_keys" % (
                                             _name(key), host.REX_USER_CA), **data)
        else:
            results[proxy.name] = passed("PROXY_REX_CA", proxy.name, "publishes the same %s as "
                                         "the other proxies, and this host trusts it" % (
                                             _name(key)), **data)
    return results
