"""--rex end to end: every proxy's foreman-proxy key through the balancer, idempotently."""
import json
import os
import stat
import sys
import time
import urllib.parse

from tests.e2e.test_enroll import ENROLL, REPO, enroll, statuses
from tests.lab.foreman import LOGIN, PASSWORD
from tests.lab.lab import BALANCED_PROXIES, BALANCER

AUTHORIZED_KEYS = "/root/.ssh/authorized_keys"
# A system user whose home is under an overlaid directory (/home is not overlaid).
REX_USER = "rexuser"
REX_UID, REX_GID = 1234, 1235
REX_HOME = "/var/lib/rexuser"


def proxy_key(lab, name):
    return lab.proxies[name].ssh_pubkey.strip()


def key_lines(box, path=AUTHORIZED_KEYS):
    return [line for line in box.read_text(path).splitlines() if line.strip()]


def metadata(box, path):
    """Mode, uid and gid of the file in the sandbox's upper dir, where the run wrote it."""
    st = os.stat(box.host_path(path))
    return stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid


def result(report, step_id="REX_KEYS"):
    return [r for r in report["results"] if r["id"] == step_id][0]


def key_fetches(lab):
    return [e["proxy"] for e in lab.requests() if e["path"] == "/ssh/pubkey"]


def test_keys_of_all_proxies_behind_the_balancer_are_installed_once(lab, sandbox):
    box = sandbox()
    assert not box.exists(AUTHORIZED_KEYS)
    fetched_before = len(key_fetches(lab))
    report = enroll(box, "--rex")

    rex = result(report)
    assert rex["status"] == "changed", rex
    assert "the balancer answered with 3 different keys (one per proxy): installed all" \
        in rex["summary"]
    assert sorted(key_lines(box)) == sorted(proxy_key(lab, name) for name in BALANCED_PROXIES)
    assert box.read_text(AUTHORIZED_KEYS).endswith("\n")
    assert metadata(box, AUTHORIZED_KEYS) == (0o600, 0, 0)
    assert metadata(box, "/root/.ssh") == (0o700, 0, 0)
    # Through the balancer only, and each proxy answered.
    assert set(key_fetches(lab)[fetched_before:]) == set(
        "%s.example.test" % name for name in BALANCED_PROXIES)

    before = box.snapshot([AUTHORIZED_KEYS])
    again = enroll(box, "--rex")
    assert statuses(again)["REX_KEYS"] == "unchanged"
    assert not again["changed"], statuses(again)
    assert box.snapshot([AUTHORIZED_KEYS]) == before  # bytes and mtime


def test_rex_proxies_installs_exactly_that_proxys_key(lab, sandbox):
    box = sandbox()
    report = enroll(box, "--rex", "--rex-proxies", "proxy01.example.test")
    assert result(report)["status"] == "changed"
    assert key_lines(box) == [proxy_key(lab, "proxy01")]


def test_keys_already_there_are_kept_and_not_repeated(lab, sandbox):
    box = sandbox()
    own = "# the admin's own key\n%s\n" % proxy_key(lab, "proxy09")
    box.seed(AUTHORIZED_KEYS, own + proxy_key(lab, "proxy02") + "  \n", mode=0o600)
    enroll(box, "--rex")
    text = box.read_text(AUTHORIZED_KEYS)
    assert text.startswith(own + proxy_key(lab, "proxy02") + "  \n")
    assert sorted(key_lines(box)[3:]) == sorted([proxy_key(lab, "proxy01"),
                                                 proxy_key(lab, "proxy03")])


def test_rex_user_owns_the_ssh_dir_and_the_key_file(lab, sandbox):
    box = sandbox()
    box.seed("/etc/passwd", box.read_text("/etc/passwd") + "%s:x:%d:%d::%s:/bin/sh\n" % (
        REX_USER, REX_UID, REX_GID, REX_HOME))
    box.seed("/etc/group", box.read_text("/etc/group") + "%s:x:%d:\n" % (REX_USER, REX_GID))
    box.seed(REX_HOME + "/.profile", "")  # the home directory
    report = enroll(box, "--rex", "--rex-user", REX_USER)

    path = REX_HOME + "/.ssh/authorized_keys"
    assert result(report)["status"] == "changed"
    assert len(key_lines(box, path)) == len(BALANCED_PROXIES)
    assert metadata(box, path) == (0o600, REX_UID, REX_GID)
    assert metadata(box, REX_HOME + "/.ssh") == (0o700, REX_UID, REX_GID)
    assert not box.exists(AUTHORIZED_KEYS)


def test_a_sticky_key_port_shows_one_key_and_says_so(lab, sandbox):
    # bootstrap.py's gap (reference §14): a balancer that pins this client to one proxy hands
    # out one proxy's key only; the run says so and names the way out.
    lab.set_balance(9090, "source")
    box = sandbox()
    rex = result(enroll(box, "--rex"))
    assert len(key_lines(box)) == 1
    assert "one key in 5 fetches: it may be one proxy's only" in rex["summary"]
    assert "--rex-proxies" in rex["summary"]


# --rex-apikeys: the keys Foreman's API lists, every page, through the balancer


def enroll_with_api_keys(box, env_password=True):
    """The real lbenroll with --rex --rex-apikeys and --skip foreman; the password (if any)
    comes from the environment, never from argv."""
    argv = [sys.executable, "-m", "lbenroll"] + ENROLL + [
        "--json", "--verbose", "--rex", "--rex-apikeys", "-l", LOGIN]
    env = {"PYTHONPATH": REPO}
    if env_password:
        env["LBENROLL_PASSWORD"] = PASSWORD
    return box.run(argv, env=env, timeout=300)


def index_requests(lab, since):
    """(page asked for, proxy that forwarded it) of each smart_proxies index request."""
    return [(r["query"].get("page"), r["proxy"]) for r in lab.foreman.requests()[since:]
            if r["path"].rstrip("/") == "/api/v2/smart_proxies"]


def index_connections(lab, since_ts):
    """The TLS name and Host header of each smart_proxies request the stand-ins received."""
    return [(e["sni"], e["host"]) for e in lab.requests() if e["ts"] > since_ts
            and urllib.parse.urlsplit(e["path"]).path.rstrip("/") == "/api/v2/smart_proxies"]


def test_rex_apikeys_installs_the_key_of_every_smart_proxy_on_every_page(lab, sandbox):
    box = sandbox()
    since, start = len(lab.foreman.requests()), time.time()
    fetched_before = len(key_fetches(lab))
    first = enroll_with_api_keys(box)
    assert first.returncode == 0, first.stdout + first.stderr

    rex = result(json.loads(first.stdout))
    assert rex["status"] == "changed", rex
    # Exactly the keys the proxies serve; proxy03's record is only on the second page.
    assert sorted(key_lines(box)) == sorted(proxy_key(lab, name) for name in BALANCED_PROXIES)
    assert metadata(box, AUTHORIZED_KEYS) == (0o600, 0, 0)
    assert rex["data"]["smart_proxies"] == 101
    [keyless] = [line for line in rex["detail"] if line.startswith("no remote_execution_pubkey")]
    assert "capsule00.remote.example.test" in keyless and "proxy0" not in keyless
    # Both pages from Foreman's API, asked through the balancer; no key fetched from :9090.
    pages = index_requests(lab, since)
    assert [page for page, _ in pages] == ["1", "2"]
    assert {proxy for _, proxy in pages} <= set("%s.example.test" % n for n in BALANCED_PROXIES)
    assert {sni for sni, _ in index_connections(lab, start)} == {BALANCER}
    assert len(key_fetches(lab)) == fetched_before

    before = box.snapshot([AUTHORIZED_KEYS])
    since = len(lab.foreman.requests())
    again = enroll_with_api_keys(box)
    assert again.returncode == 0, again.stdout + again.stderr
    assert result(json.loads(again.stdout))["status"] == "unchanged"
    assert box.snapshot([AUTHORIZED_KEYS]) == before  # bytes and mtime
    assert [page for page, _ in index_requests(lab, since)] == ["1", "2"]

    for proc in (first, again):
        assert PASSWORD not in proc.stdout + proc.stderr
    assert PASSWORD not in box.read_text("/var/log/lbenroll.log")


def test_rex_apikeys_without_a_password_is_refused_before_anything_runs(lab, sandbox):
    box = sandbox()
    since = len(lab.foreman.requests())
    proc = enroll_with_api_keys(box, env_password=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "--rex-apikeys needs the Foreman API password" in proc.stderr
    assert lab.foreman.requests()[since:] == [] and not box.exists(AUTHORIZED_KEYS)
