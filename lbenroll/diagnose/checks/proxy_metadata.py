"""PROXY_METADATA: each proxy publishes the newest revision of every enabled repository that the
proxies serve (the repomd.xml fetched for PROXY_CONTENT, compared across the proxies).

A client that gets repomd.xml from one proxy and, within the same dnf run, the files it lists
from another (a failover, or a non-sticky 443) asks for files by the names the first proxy
published; the other answers 404 when its publication differs. The revision tells an older
publication; the checksums of the listed files tell metadata generated separately.
"""
from lbenroll.diagnose.metadata import Publication
from lbenroll.diagnose.proxies import start_repomds
from lbenroll.diagnose.verdicts import failed, listing, passed, short, skipped

start = start_repomds
STALE_FIX = ("synchronize the proxies to the same content view version: hammer capsule content "
             "synchronize --name %s (or Infrastructure > Smart Proxies > %s > Synchronize), and "
             "give it the same lifecycle environments as the other proxies")


CONSEQUENCE = ("a failover or a non-sticky request gets repomd.xml from one proxy and asks "
               "another for the files it lists: HTTP 404 for repodata files, and dnf fails")


def judge(known, proxies, answers):
    found = {(name, repo_id): got for name, repos in answers.items()
             for repo_id, got in repos.items()}
    return metadata_results(proxies, known.facts.repos, found)


def _newer(a, b):
    """Whether revision a is newer than b: numbers (createrepo_c's default is the publication
    time, in seconds) compare as numbers, anything else as text."""
    if (a or "").isdigit() and (b or "").isdigit():
        return int(a) > int(b)
    return (a or "") > (b or "")


def _newest(revisions):
    best = None
    for revision in revisions:
        if best is None or _newer(revision, best):
            best = revision
    return best


def metadata_results(proxies, repos, found):
    """{proxy name: PROXY_METADATA}: each proxy publishes the newest revision of every enabled
    repository the proxies serve.

    found[(proxy name, repository id)] is fetch_repomd's (kind, detail); detail is a
    Publication when kind is "ok". Repositories a proxy lacks are PROXY_CONTENT's business.
    """
    published = {}  # repository id: {proxy name: Publication}
    for repo in repos:
        published[repo.id] = {p.name: found[(p.name, repo.id)][1] for p in proxies
                              if found[(p.name, repo.id)][0] == "ok"
                              and isinstance(found[(p.name, repo.id)][1], Publication)}
    return {proxy.name: _result(proxy, repos, published) for proxy in proxies}


def _result(proxy, repos, published):
    name = proxy.name
    if not repos:
        return skipped("PROXY_METADATA", name, "no enabled repository to compare")
    compared = [r for r in repos if name in published[r.id] and len(published[r.id]) > 1]
    if not compared:
        return skipped("PROXY_METADATA", name, "nothing to compare: no repository that %s "
                       "and another proxy both serve" % short(name))
    older, regenerated, revisions = [], [], {}
    for repo in compared:
        mine = published[repo.id][name]
        newest = _newest(p.revision for p in published[repo.id].values())
        revisions[repo.id] = mine.revision
        if mine.revision != newest:
            having = sorted(short(n) for n, p in published[repo.id].items()
                            if p.revision == newest)
            older.append((repo, mine.revision, newest, having))
        elif any(p.checksums != mine.checksums for n, p in published[repo.id].items()
                 if n != name and p.revision == mine.revision):
            regenerated.append(repo)
    data = {"revisions": revisions}
    if older:
        data["older"] = {repo.id: {"revision": mine, "newest": newest, "proxies": having}
                         for repo, mine, newest, having in older}
        return failed(
            "PROXY_METADATA", name, "%s publishes an older revision of %s: %s; %s" % (
                name, listing(repo.id for repo, _, _, _ in older),
                "; ".join("%s revision %s, %s revision %s" % (
                    repo.id, mine, ", ".join(having), newest)
                          for repo, mine, newest, having in older), CONSEQUENCE),
            STALE_FIX % (name, name),
            detail=["%s: %s has revision %s, %s has %s" % (repo.id, short(name), mine,
                                                          ", ".join(having), newest)
                    for repo, mine, newest, having in older], **data)
    summary = "the same revision of %s as the other proxies" % listing(r.id for r in compared)
    detail = []
    if regenerated:
        # Each proxy's Pulp generates its own metadata unless the repository is mirrored, so
        # the same content has other checksums: only a client that changes proxy within one
        # dnf run notices, and BALANCER_STICKY checks that it does not.
        summary += "; the checksums of the files listed for %s differ (metadata generated on " \
                   "each proxy): harmless while 443 keeps a client on one proxy" % listing(
                       r.id for r in regenerated)
        detail = ["%s: %s" % (r.id, CONSEQUENCE) for r in regenerated]
    return passed("PROXY_METADATA", name, summary, detail=detail, **data)
