"""PROXY_METADATA: each proxy serves the newest build of every package that the other proxies
serve in each enabled repository (the repomd.xml fetched for PROXY_CONTENT, then, where the
proxies' primary files differ, the packages those list).

What the proxies serve is judged, not how they label it: each proxy's Pulp generates its own
metadata, with its own revision (the time of publication) and its own checksums, for the same
packages. Equal primary checksums (or open-checksums) are the same packages; otherwise each
distinct primary.xml is read (primary.py, bounded) and the newest build of every name.arch is
compared. A proxy is behind only where it lacks a newer build that another proxy serves; one
with newer or more packages is not (the others are, or lack packages). See
docs/katello-client-facts.md, "Repository metadata on the proxies".
"""
from lbenroll.diagnose import primary
from lbenroll.diagnose.metadata import Publication
from lbenroll.diagnose.primary import Packages
from lbenroll.diagnose.proxies import start_repomds
from lbenroll.diagnose.verdicts import failed, listing, passed, short, skipped, warned
from lbenroll.rpmversion import evrcmp, nevra

start = start_repomds
STALE_FIX = ("synchronize the proxies to the same content view version: hammer capsule content "
             "synchronize --name %s (or Infrastructure > Smart Proxies > %s > Synchronize), and "
             "give it the same lifecycle environments as the other proxies")
ABSENT_FIX = ("synchronize %s (hammer capsule content synchronize --name %s); if the packages "
              "were removed from the content view on purpose, synchronize the proxies that still "
              "serve them instead")
BROKEN_FIX = ("synchronize %s again so that it republishes the repository (hammer capsule "
              "content synchronize --name %s)")
CONSEQUENCE = ("a host the balancer sends there does not get these builds (dnf sees no update), "
               "and a failover within one dnf run asks it for files it lacks (HTTP 404)")
ABSENT_CONSEQUENCE = "a host the balancer sends there cannot install them"
REGENERATED = ("the checksums of the files listed for %s differ (metadata generated on each "
               "proxy): harmless while 443 keeps a client on one proxy")
FAILOVER = ("a failover or a non-sticky request gets repomd.xml from one proxy and asks another "
            "for the files it lists: HTTP 404 for repodata files, and dnf fails")
MAX_NAMED = 50  # packages named in the detail of one repository


def judge(known, proxies, answers):
    found = {(name, repo_id): got for name, repos in answers.items()
             for repo_id, got in repos.items()}

    def read_packages(asks):
        futures = [known.submit(primary.fetch_packages, proxy, known.balancer, known.katello_pem,
                                repo, publication, known.timeout)
                   for proxy, repo, publication in asks]
        return [future.result() for future in futures]
    return metadata_results(proxies, known.facts.repos, found, read_packages)


def metadata_results(proxies, repos, found, read_packages):
    """{proxy name: PROXY_METADATA}.

    found[(proxy name, repository id)] is fetch_repomd's (kind, detail); detail is a
    Publication when kind is "ok". Repositories a proxy lacks are PROXY_CONTENT's business.
    read_packages([(proxy, repo, publication)]) returns a primary.Packages or primary.Unread for
    each, in order; it is asked once, for one proxy of each distinct primary file.
    """
    published = {}  # repository id: {proxy name: Publication}
    for repo in repos:
        published[repo.id] = {p.name: found[(p.name, repo.id)][1] for p in proxies
                              if found[(p.name, repo.id)][0] == "ok"
                              and isinstance(found[(p.name, repo.id)][1], Publication)}
    groups = {repo.id: _groups([p.name for p in proxies if p.name in published[repo.id]],
                               published[repo.id])
              for repo in repos if len(published[repo.id]) > 1}
    by_name = {p.name: p for p in proxies}
    asks = [(repo, group) for repo in repos if len(groups.get(repo.id, ())) > 1
            for group in groups[repo.id]]
    read = read_packages([(by_name[group[0]], repo, published[repo.id][group[0]])
                          for repo, group in asks]) if asks else []
    packages = {(repo.id, name): got for (repo, group), got in zip(asks, read)
                for name in group}
    return {proxy.name: _result(proxy, repos, published, groups, packages) for proxy in proxies}


def _groups(names, publications):
    """The proxies in groups that list the same primary file, in the order of names."""
    groups = []
    for name in names:
        joined = [g for g in groups if any(publications[name].same_packages(publications[other])
                                           for other in g)]
        merged = [n for g in joined for n in g] + [name]
        groups = [g for g in groups if g not in joined] + [merged]
    order = {name: i for i, name in enumerate(names)}
    return sorted((sorted(g, key=order.get) for g in groups), key=lambda g: order[g[0]])


class _Comparison(object):
    """One proxy against the others in one repository."""

    def __init__(self, repo, same=False, behind=(), absent=(), unread=None, broken=None,
                 others_unread=()):
        self.repo = repo
        self.same = same                    # the same primary file as every other proxy
        self.behind = list(behind)          # (NEVRA elsewhere, [proxies serving it])
        self.absent = list(absent)          # the same, for names it does not serve at all
        self.unread = unread                # why its packages could not be compared
        self.broken = broken                # its own publication is inconsistent: why
        self.others_unread = list(others_unread)  # "proxy: reason" of others not read


def _compare(name, repo, groups, packages):
    if len(groups) == 1:
        return _Comparison(repo, same=True)
    mine = packages[(repo.id, name)]
    if not isinstance(mine, Packages):
        if mine.broken:
            return _Comparison(repo, broken=mine.reason)
        return _Comparison(repo, unread=mine.reason)
    elsewhere, others_unread = {}, []
    for group in groups:
        if name in group:
            continue
        theirs = packages[(repo.id, group[0])]
        if not isinstance(theirs, Packages):
            others_unread.append("%s: %s" % (", ".join(short(n) for n in group), theirs.reason))
            continue
        for key, evr in theirs.newest.items():
            best = elsewhere.get(key)
            order = evrcmp(evr, best[0]) if best else 1
            if order > 0:
                elsewhere[key] = (evr, list(group))
            elif order == 0:
                best[1].extend(group)
    if not elsewhere and others_unread:
        return _Comparison(repo, unread="the other proxies' packages could not be read (%s)"
                           % "; ".join(others_unread))
    behind, absent = [], []
    for key in sorted(elsewhere):
        evr, serving = elsewhere[key]
        have = mine.newest.get(key)
        if have is None:
            absent.append((nevra(key[0], evr, key[1]), serving))
        elif evrcmp(have, evr) < 0:
            behind.append((nevra(key[0], evr, key[1]), serving))
    return _Comparison(repo, behind=behind, absent=absent, others_unread=others_unread)


def _result(proxy, repos, published, groups, packages):
    name = proxy.name
    if not repos:
        return skipped("PROXY_METADATA", name, "no enabled repository to compare")
    compared = [r for r in repos if name in published[r.id] and len(published[r.id]) > 1]
    if not compared:
        return skipped("PROXY_METADATA", name, "nothing to compare: no repository that %s "
                       "and another proxy both serve" % short(name))
    found = [_compare(name, repo, groups[repo.id], packages) for repo in compared]
    data = {"revisions": {r.id: published[r.id][name].revision for r in compared}}
    behind = [c for c in found if c.behind]
    broken = [c for c in found if c.broken]
    absent = [c for c in found if c.absent]
    unread = [c for c in found if c.unread]
    notes = ["%s: packages not compared: %s" % (c.repo.id, c.unread) for c in unread] + [
        "%s: not compared with %s" % (c.repo.id, other) for c in found
        for other in c.others_unread]
    if absent:
        data["absent"] = {c.repo.id: [n for n, _ in c.absent] for c in absent}
    if behind or broken:
        return _failure(name, behind, broken, notes, data)
    if absent:
        return warned("PROXY_METADATA", name, "%s lacks packages that other proxies serve: "
                      "%s; %s" % (name, "; ".join(_missing(c.absent, c.repo.id) for c in absent),
                                  ABSENT_CONSEQUENCE),
            ABSENT_FIX % (name, name), detail=_named(absent, "absent") + notes, **data)
    judged = [c for c in found if not c.unread]
    if not judged:
        return skipped("PROXY_METADATA", name, "packages not compared: %s" % "; ".join(
            "%s: %s" % (c.repo.id, c.unread) for c in unread), detail=notes, **data)
    summary = "the newest build of every package that the other proxies serve in %s" % listing(
        c.repo.id for c in judged)
    detail = ["%s: %s" % (c.repo.id, _how(c, name, published[c.repo.id])) for c in judged]
    regenerated = [c.repo for c in judged if any(
        p.checksums != published[c.repo.id][name].checksums
        for n, p in published[c.repo.id].items() if n != name)]
    if regenerated:
        # Each proxy's Pulp generates its own metadata unless the repository is mirrored, so
        # the same content has other checksums: only a client that changes proxy within one
        # dnf run notices, and BALANCER_STICKY checks that it does not.
        summary += "; " + REGENERATED % listing(r.id for r in regenerated)
        detail += ["%s: %s" % (r.id, FAILOVER) for r in regenerated]
    return passed("PROXY_METADATA", name, summary, detail=detail + notes, **data)


def _how(comparison, name, publications):
    """How a repository was found in step, with the revisions, which tell nothing."""
    revisions = ", ".join("%s %s" % (short(n), p.revision) for n, p in sorted(
        publications.items()))
    if comparison.same:
        return "the same primary.xml on every proxy (revisions %s)" % revisions
    return "other primary files with the same newest builds (revisions %s)" % revisions


def _missing(lacking, repo_id):
    """'in hello lab-hello-1.0-2.noarch, which proxy01, proxy03 serve'."""
    serving = sorted({short(n) for _, names in lacking for n in names})
    return "in %s %s, which %s serve%s" % (repo_id, listing(n for n, _ in lacking), ", ".join(
        serving), "s" if len(serving) == 1 else "")


def _named(comparisons, attribute):
    return ["%s: %s on %s" % (c.repo.id, package, ", ".join(short(n) for n in names))
            for c in comparisons for package, names in getattr(c, attribute)[:MAX_NAMED]]


def _failure(name, behind, broken, notes, data):
    parts, fixes = [], []
    if behind:
        data["behind"] = {c.repo.id: [n for n, _ in c.behind] for c in behind}
        parts.append("%s lacks newer builds that other proxies serve: %s; %s" % (
            name, "; ".join(_missing(c.behind, c.repo.id) for c in behind), CONSEQUENCE))
        fixes.append(STALE_FIX % (name, name))
    if broken:
        data["broken"] = {c.repo.id: c.broken for c in broken}
        parts.append("%s serves an inconsistent publication of %s: %s; dnf fails there" % (
            name, listing(c.repo.id for c in broken), "; ".join(
                "%s: %s" % (c.repo.id, c.broken) for c in broken)))
        fixes.append(BROKEN_FIX % (name, name))
    return failed("PROXY_METADATA", name, "; ".join(parts), "; ".join(fixes),
                  detail=_named(behind, "behind") + notes, **data)
