"""REX_KEYS: the keys of every proxy behind the balancer, --rex-proxies, --rex-urlkeyfile."""
import os
import stat
import types

import pytest

from lbenroll import fileio
from lbenroll.results import Status
from lbenroll.steps import rex
from tests.conftest import seed
from tests.steps.conftest import BALANCER, CA
from tests.writers.test_authorized_keys import ONE, THREE, TWO, ssh_key

AUTHORIZED_KEYS = "/root/.ssh/authorized_keys"
BALANCED_URL = "https://%s:9090/ssh/pubkey" % BALANCER
PASSWD = ("root:x:0:0:root:/root:/bin/bash\n"
          "alice:x:1001:1002:Alice:/home/alice:/bin/bash\n"
          "nohome:x:1003:1003::/home/nohome:/bin/bash\n")


class FakeFetchers(object):
    """Stands in for rex.KeyFetcher: answers per URL, in turn (cycling), an exception is raised.

    Records the fetchers made (ca_pem, timeout, trust_system) and every URL fetched.
    """

    def __init__(self, answers):
        self.answers = answers
        self.made = []
        self.urls = []

    def __call__(self, ca_pem, timeout, directory, trust_system=False):
        assert os.path.isdir(directory)
        self.made.append((ca_pem, timeout, trust_system))
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False

    def fetch(self, url):
        answers = self.answers[url]
        answer = answers[sum(1 for u in self.urls if u == url) % len(answers)]
        self.urls.append(url)
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def fetchers(monkeypatch):
    def install(answers):
        fake = FakeFetchers(answers)
        monkeypatch.setattr(rex, "KeyFetcher", fake)
        return fake
    return install


@pytest.fixture
def rex_run(make_run, root, tmp_path):
    """A run with --rex after the consumer RPM step: the host has root and alice."""
    seed(root, {"/etc/passwd": PASSWD})
    os.makedirs(os.path.join(str(root), "root"))
    os.makedirs(os.path.join(str(root), "home/alice"))

    def factory(**given):
        run = make_run(remote_exec=True, **given)
        run.consumer = types.SimpleNamespace(server_ca_pem=CA)
        run.tmpdir = str(tmp_path)
        return run
    return factory


def text(ctx, path=AUTHORIZED_KEYS):
    data = fileio.read_bytes(ctx, path)
    return None if data is None else data.decode()


def real(root, path):
    return os.path.join(str(root), path.lstrip("/"))


# through the balancer


def test_balancer_keys_of_every_proxy_are_installed(rex_run, fetchers, ctx, root):
    fake = fetchers({BALANCED_URL: [ONE + "\n", TWO + "\n", THREE + "\n"]})
    result = rex.RexKeys().run(rex_run())
    assert result.status == Status.CHANGED
    assert text(ctx) == "%s\n%s\n%s\n" % (ONE, TWO, THREE)
    # 3 new keys, then 4 fetches without one.
    assert fake.urls == [BALANCED_URL] * 7
    assert fake.made == [(CA, 900, False)]
    assert result.summary == ("added 3 of 3 keys to /root/.ssh/authorized_keys; the balancer "
                              "answered with 3 different keys (one per proxy): installed all")
    assert result.detail[0] == "keys from %s (7 fetches)" % BALANCED_URL
    assert stat.S_IMODE(os.stat(real(root, AUTHORIZED_KEYS)).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(real(root, "/root/.ssh")).st_mode) == 0o700


def test_second_run_changes_nothing(rex_run, fetchers, ctx):
    fetchers({BALANCED_URL: [ONE, TWO, THREE]})
    rex.RexKeys().run(rex_run())
    result = rex.RexKeys().run(rex_run())
    assert result.status == Status.UNCHANGED
    assert result.summary.startswith("all 3 keys are already in /root/.ssh/authorized_keys; ")
    assert text(ctx) == "%s\n%s\n%s\n" % (ONE, TWO, THREE)


def test_a_key_already_present_is_kept_and_only_the_others_added(rex_run, fetchers, ctx, root):
    seed(root, {AUTHORIZED_KEYS: "# mine\n%s\n%s" % (ssh_key(9, "admin"), TWO)})
    fetchers({BALANCED_URL: [ONE, TWO, THREE]})
    result = rex.RexKeys().run(rex_run())
    assert result.summary.startswith("added 2 of 3 keys to ")
    assert text(ctx) == "# mine\n%s\n%s\n%s\n%s\n" % (ssh_key(9, "admin"), TWO, ONE, THREE)


def test_one_key_only_says_it_may_be_one_proxys_and_suggests_rex_proxies(rex_run, fetchers):
    fake = fetchers({BALANCED_URL: [ONE]})
    result = rex.RexKeys().run(rex_run())
    assert result.status == Status.CHANGED
    assert len(fake.urls) == 5
    assert "one key in 5 fetches: it may be one proxy's only" in result.summary
    assert "--rex-proxies" in result.summary


def test_fetches_are_bounded(rex_run, fetchers):
    # A balancer that always answers a new key (none repeats within 40).
    fake = fetchers({BALANCED_URL: [ssh_key(n) for n in range(40)]})
    rex.RexKeys().run(rex_run())
    assert len(fake.urls) == rex.MAX_FETCHES == 32


def test_a_failing_proxy_is_a_warning_and_the_others_keys_are_installed(rex_run, fetchers, ctx):
    fetchers({BALANCED_URL: [ONE, rex.FetchError("HTTP 500"), THREE]})
    result = rex.RexKeys().run(rex_run())
    assert result.status == Status.WARNING
    assert text(ctx) == "%s\n%s\n" % (ONE, THREE)
    assert "%s: HTTP 500 (2 times)" % BALANCED_URL in result.detail
    assert result.remediation


def test_an_html_page_is_not_a_key(rex_run, fetchers, ctx):
    fetchers({BALANCED_URL: ["<html>Service Unavailable</html>"]})
    result = rex.RexKeys().run(rex_run())
    assert result.status == Status.WARNING
    assert "no remote execution key could be downloaded" in result.summary
    assert "%s: not an SSH public key (4 times)" % BALANCED_URL in result.detail
    assert text(ctx) is None


def test_unreachable_balancer_is_a_warning_and_writes_nothing(rex_run, fetchers, ctx):
    fake = fetchers({BALANCED_URL: [rex.FetchError("cannot connect")]})
    result = rex.RexKeys().run(rex_run())
    assert result.status == Status.WARNING
    assert len(fake.urls) == rex.QUIET_FETCHES
    assert text(ctx) is None
    assert len(ctx.undo) == 0


def test_dry_run_writes_nothing(rex_run, fetchers, ctx):
    fetchers({BALANCED_URL: [ONE, TWO]})
    ctx.runner.dry_run = True
    result = rex.RexKeys().run(rex_run())
    assert result.status == Status.CHANGED
    assert result.summary.startswith("would add 2 of 2 keys to ")
    assert ONE in result.diff
    assert text(ctx) is None


# other sources


def test_rex_proxies_fetches_each_proxy_once(rex_run, fetchers, ctx):
    fake = fetchers({"https://proxy01.example.test:9090/ssh/pubkey": [ONE],
                     "https://proxy02.example.test:9090/ssh/pubkey": [TWO]})
    result = rex.RexKeys().run(rex_run(
        remote_exec_proxies="proxy01.example.test, proxy02.example.test,"))
    assert fake.urls == ["https://proxy01.example.test:9090/ssh/pubkey",
                         "https://proxy02.example.test:9090/ssh/pubkey"]
    assert text(ctx) == "%s\n%s\n" % (ONE, TWO)
    assert result.summary == "added 2 of 2 keys to /root/.ssh/authorized_keys"
    assert result.detail[0] == "keys from --rex-proxies proxy01.example.test, proxy02.example.test"


def test_rex_proxies_come_before_the_url_key_file(rex_run, fetchers):
    fake = fetchers({"https://proxy01.example.test:9090/ssh/pubkey": [ONE]})
    rex.RexKeys().run(rex_run(remote_exec_proxies="proxy01.example.test",
                              remote_exec_url="https://keys.example.test/keys"))
    assert fake.urls == ["https://proxy01.example.test:9090/ssh/pubkey"]


def test_url_key_file_may_hold_several_keys_and_trusts_system_cas(rex_run, fetchers, ctx):
    url = "https://keys.example.test/rex.pub"
    fake = fetchers({url: ["# REX keys\n%s\n%s\n" % (ONE, TWO)]})
    result = rex.RexKeys().run(rex_run(remote_exec_url=url, timeout="30"))
    assert fake.urls == [url] and fake.made == [(CA, 30, True)]
    assert text(ctx) == "%s\n%s\n" % (ONE, TWO)
    assert result.status == Status.CHANGED


def test_plain_http_url_key_file_is_not_fetched(rex_run, fetchers, ctx):
    fake = fetchers({})
    result = rex.RexKeys().run(rex_run(remote_exec_url="http://keys.example.test/rex.pub"))
    assert result.status == Status.WARNING and "not an https URL" in result.summary
    assert fake.urls == [] and text(ctx) is None


# users and paths


def test_rex_user_gets_a_key_file_in_a_0700_ssh_dir_of_their_own(rex_run, fetchers, ctx, root):
    fetchers({BALANCED_URL: [ONE]})
    result = rex.RexKeys().run(rex_run(remote_exec_user="alice"))
    path = "/home/alice/.ssh/authorized_keys"
    assert text(ctx, path) == ONE + "\n"
    assert result.data["path"] == path and result.data["user"] == "alice"
    for name, mode in ((path, 0o600), ("/home/alice/.ssh", 0o700)):
        st = os.stat(real(root, name))
        assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (mode, 1001, 1002)


def test_rex_authpath_file_is_owned_by_the_user_in_a_root_directory(rex_run, fetchers, ctx, root):
    fetchers({BALANCED_URL: [ONE]})
    rex.RexKeys().run(rex_run(remote_exec_user="alice",
                              remote_exec_authpath="/etc/ssh/keys/alice"))
    st = os.stat(real(root, "/etc/ssh/keys/alice"))
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o600, 1001, 1002)
    assert os.stat(real(root, "/etc/ssh/keys")).st_uid == 0


@pytest.mark.parametrize("given, words", [
    ({"remote_exec_user": "bob"}, "user bob not found"),
    ({"remote_exec_user": "nohome"}, "home directory /home/nohome of nohome does not exist"),
    ({"remote_exec_authpath": "keys"}, "not an absolute path"),
    ({"remote_exec_authpath": "/etc/ssh"}, "not a regular file"),
])
def test_no_usable_key_file_is_a_warning_and_nothing_is_fetched(rex_run, fetchers, root, given,
                                                                words):
    os.makedirs(real(root, "/etc/ssh"))
    fake = fetchers({})
    result = rex.RexKeys().run(rex_run(**given))
    assert result.status == Status.WARNING and words in result.summary
    assert result.remediation and fake.urls == []


def test_a_symlinked_key_file_is_left_alone(rex_run, fetchers, root):
    os.makedirs(real(root, "/root/.ssh"))
    os.symlink("/etc/shadow", real(root, AUTHORIZED_KEYS))
    fetchers({})
    result = rex.RexKeys().run(rex_run())
    assert result.status == Status.WARNING and "not a regular file" in result.summary


# when it runs, and what it trusts


def test_skipped_without_rex(make_run, fetchers):
    fake = fetchers({})
    result = rex.RexKeys().run(make_run())
    assert result.status == Status.SKIPPED and fake.made == []


def test_installed_katello_ca_is_used_when_the_run_fetched_no_rpm(rex_run, fetchers, root):
    seed(root, {"/etc/rhsm/ca/katello-server-ca.pem": CA})
    fake = fetchers({BALANCED_URL: [ONE]})
    run = rex_run()
    run.consumer = None
    rex.RexKeys().run(run)
    assert fake.made[0][0].strip() == CA.strip()


def test_without_a_katello_ca_nothing_is_fetched(rex_run, fetchers):
    fake = fetchers({})
    run = rex_run()
    run.consumer = None
    result = rex.RexKeys().run(run)
    assert result.status == Status.WARNING and fake.made == []


def test_runs_after_puppet_conf_once_the_consumer_rpm_is_in():
    from lbenroll import engine
    ids = [step.id for step in engine.STEPS]
    assert ids.index("REX_KEYS") == ids.index("PUPPET_CONF") + 1
    assert rex.RexKeys.requires == ("INSTALL_CONSUMER_RPM",)


# the fetcher, with requests' session stubbed


class FakeResponse(object):
    def __init__(self, status, body):
        self.status_code = status
        self.raw = types.SimpleNamespace(read=lambda size, decode_content: body[:size])

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False


@pytest.fixture
def session_get(monkeypatch):
    import requests
    calls = []

    def install(outcome):
        def get(session, url, **kwargs):
            with open(kwargs["verify"]) as f:
                calls.append((url, kwargs, dict(session.headers), f.read()))
            if isinstance(outcome, Exception):
                raise outcome
            return outcome
        monkeypatch.setattr(requests.Session, "get", get)
        return calls
    return install


def test_fetcher_verifies_against_the_katello_ca_only_on_a_new_connection(session_get, tmp_path):
    calls = session_get(FakeResponse(200, (ONE + "\n").encode()))
    with rex.KeyFetcher(CA, 5, str(tmp_path)) as fetcher:
        assert fetcher.fetch(BALANCED_URL) == ONE + "\n"
        ca_file = calls[0][1]["verify"]
    url, kwargs, headers, bundle = calls[0]
    assert bundle.strip() == CA.strip()
    assert kwargs["timeout"] == (5, 5) and headers["Connection"] == "close"
    assert not os.path.exists(ca_file)  # removed on leaving


def test_fetcher_for_a_url_key_file_also_trusts_the_default_bundle(session_get, tmp_path):
    calls = session_get(FakeResponse(200, b""))
    with rex.KeyFetcher(CA, 900, str(tmp_path), trust_system=True) as fetcher:
        fetcher.fetch("https://keys.example.test/k")
    url, kwargs, headers, bundle = calls[0]
    assert bundle.startswith(CA.strip()) and len(bundle) > len(CA) + 1000
    assert kwargs["timeout"] == (rex.CONNECT_TIMEOUT, 900)


@pytest.mark.parametrize("outcome, reason", [
    (FakeResponse(404, b"Not Found"), "HTTP 404"),
    (FakeResponse(200, b"x" * (rex.MAX_KEY_FILE + 1)), "not a key file"),
    ("SSLError", "TLS verification failed"),
    ("ConnectTimeout", "timed out"),
    ("ConnectionError", "cannot connect"),
])
def test_fetch_failures_say_why(session_get, tmp_path, outcome, reason):
    import requests
    if isinstance(outcome, str):
        outcome = getattr(requests.exceptions, outcome)("details")
    session_get(outcome)
    with rex.KeyFetcher(CA, 5, str(tmp_path)) as fetcher:
        with pytest.raises(rex.FetchError) as caught:
            fetcher.fetch(BALANCED_URL)
    assert reason in str(caught.value)
