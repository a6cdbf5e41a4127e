"""PROXY_CONTENT: every proxy serves repomd.xml of every repository this host has enabled."""
from lbenroll.diagnose.proxies import start_repomds
from lbenroll.diagnose.verdicts import failed, listing, passed, plural, short, skipped, warned

start = start_repomds
SYNC_FIX = ("synchronize %s (hammer capsule content synchronize --name %s, or Infrastructure > "
            "Smart Proxies > Synchronize) and give it the same lifecycle environments as the "
            "other proxies")


def judge(known, proxies, answers):
    found = {(name, repo_id): got for name, repos in answers.items()
             for repo_id, got in repos.items()}
    return content_results(proxies, known.facts.repos, found, known.facts.repo_notes)


def content_results(proxies, repos, found, notes):
    """PROXY_CONTENT per proxy from found[(proxy name, repository id)] = (kind, detail)."""
    results = {}
    served_by = {repo.id: [p.name for p in proxies if found[(p.name, repo.id)][0] == "ok"]
                 for repo in repos}
    for proxy in proxies:
        results[proxy.name] = _content_result(proxy, repos, found, served_by, notes)
    return results


def _content_result(proxy, repos, found, served_by, notes):
    if not repos:
        return skipped("PROXY_CONTENT", proxy.name, "no enabled repository with a client "
                       "certificate in redhat.repo to check", detail=notes)
    kinds = {}
    for repo in repos:
        kind, detail = found[(proxy.name, repo.id)]
        kinds.setdefault(kind, []).append((repo, detail))
    unsynced = [repo for repo, _ in kinds.get("missing", ()) if served_by[repo.id]]
    nowhere = [repo for repo, _ in kinds.get("missing", ()) if not served_by[repo.id]]
    detail = ["%s: %s" % (repo.id, d) for kind in ("refused", "error") for repo, d in
              kinds.get(kind, ())] + list(notes)
    if unsynced:
        others = sorted({short(n) for repo in unsynced for n in served_by[repo.id]})
        return failed("PROXY_CONTENT", proxy.name, "%s lacks repomd.xml of %s, which %s serve "
                      "(HTTP 404): the content is not synchronized to %s" % (
                          proxy.name, listing(r.id for r in unsynced), ", ".join(others),
                          proxy.name), SYNC_FIX % (proxy.name, proxy.name),
                      detail=["%s: %s" % (r.id, r.repomd_path) for r in unsynced] + detail,
                      missing=[r.id for r in unsynced])
    if kinds.get("refused"):
        return failed("PROXY_CONTENT", proxy.name, "%s refuses this host's entitlement certificate "
                      "for %s" % (proxy.name, listing(r.id for r, _ in kinds["refused"])),
                      "check the certificate is current (subscription-manager refresh) and that "
                      "%s uses the Katello CA" % proxy.name, detail=detail)
    if kinds.get("error"):
        return failed("PROXY_CONTENT", proxy.name, "cannot fetch repomd.xml of %s from %s" % (
            listing(r.id for r, _ in kinds["error"]), proxy.name),
            "see the other checks of %s (PROXY_TLS first)" % proxy.name, detail=detail)
    if nowhere:
        return warned("PROXY_CONTENT", proxy.name, "no proxy serves repomd.xml of %s" % listing(
            r.id for r in nowhere), "publish and promote the content view, then "
            "`subscription-manager refresh` on this host", detail=detail)
    return passed("PROXY_CONTENT", proxy.name, "repomd.xml of %s present" % plural(
        len(repos), "enabled repository", "enabled repositories"), detail=list(notes))
