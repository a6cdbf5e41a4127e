"""REX_KEYS: the keys of every proxy behind the balancer, --rex-proxies, --rex-urlkeyfile,
--rex-apikeys."""
import os
import ssl
import stat
import types

import pytest

from lbenroll import credentials, enroll
from lbenroll import engine, fileio, foreman, options
from lbenroll.errors import ExitCode, UsageError
from lbenroll.results import Result, Status
from tests import fake_foreman
from tests.conftest import seed
from tests.lab.foreman import BALANCED_PROXY_NAMES, PASSWORD, seed_world
from tests.steps.conftest import BALANCER, CA
from tests.writers.test_authorized_keys import ONE, THREE, TWO, ssh_key
from lbenroll.steps import rex_keys
from lbenroll.webget import BadCa, GetError, TooLarge
from lbenroll.smartproxies import MAX_ROUNDS, QUIET_ROUNDS, SMART_PROXIES
from lbenroll.steps.rex_keys import KeyFetcher, MAX_KEY_FILE, RexKeys

AUTHORIZED_KEYS = "/root/.ssh/authorized_keys"
BALANCED_URL = "https://%s:9090/ssh/pubkey" % BALANCER
PASSWD = ("root:x:0:0:root:/root:/bin/bash\n"
          "alice:x:1001:1002:Alice:/home/alice:/bin/bash\n"
          "nohome:x:1003:1003::/home/nohome:/bin/bash\n")


def parsed(values, **kwargs):
    """What the command line makes of values: validated, then completed from the machine."""
    return enroll.complete(options.validate(values, **kwargs))


class FakeFetchers(object):
    """Stands in for KeyFetcher: answers per URL, in turn (cycling), an exception is raised.

    Records the fetchers made (ca_pem, timeout, trust_system) and every URL fetched.
    """

    def __init__(self, answers):
        self.answers = answers
        self.made = []
        self.urls = []

    def __call__(self, ca_pem, timeout, trust_system=False):
        self.made.append((ca_pem, timeout, trust_system))
        return self

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
        monkeypatch.setattr(rex_keys, "KeyFetcher", fake)
        return fake
    return install


@pytest.fixture
def rex_run(make_run, root, tmp_path):
    """A run with --rex after the consumer RPM step: the host has root and alice."""
    seed(root, {"/etc/passwd": PASSWD})
    os.makedirs(os.path.join(str(root), "root"))
    os.makedirs(os.path.join(str(root), "home/alice"))

    def factory(**given):
        run = make_run(**dict({"remote_exec": True}, **given))
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
    result = RexKeys().run(rex_run())
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


def test_the_balancers_keys_are_begun_early_and_taken_once(rex_run, fetchers, ctx):
    fake = fetchers({BALANCED_URL: [ONE, TWO, THREE]})
    run = rex_run()
    RexKeys().early(run)
    assert run.early.pending() == 1
    assert RexKeys().run(run).status == Status.CHANGED
    assert run.early.pending() == 0 and len(fake.urls) == 7  # fetched once, early


@pytest.mark.parametrize("given, seeded", [
    ({}, {"/etc/ssh/foreman-user-ca.pub": ssh_key(21, "ca") + "\n"}),  # REX_CA's likely
    ({"remote_exec_proxies": "proxy01.example.test"}, {}),             # not the balancer
    ({"remote_exec": False}, {})])
def test_nothing_is_begun_early_where_the_balancer_is_not_likely_asked(rex_run, fetchers, root,
                                                                     given, seeded):
    fake = fetchers({BALANCED_URL: [ONE]})
    seed(root, seeded)
    run = rex_run(**given)
    RexKeys().early(run)
    assert run.early.pending() == 0 and fake.urls == []


def test_second_run_changes_nothing(rex_run, fetchers, ctx):
    fake = fetchers({BALANCED_URL: [ONE, TWO, THREE]})
    RexKeys().run(rex_run())
    result = RexKeys().run(rex_run())
    assert result.status == Status.UNCHANGED
    assert result.summary.startswith("all 3 keys are already in /root/.ssh/authorized_keys; ")
    assert text(ctx) == "%s\n%s\n%s\n" % (ONE, TWO, THREE)
    # The keys the file holds are no news: 4 quiet fetches, not 3 new and 4 quiet.
    assert len(fake.urls) == 7 + 4


def test_keys_the_file_holds_never_hide_a_proxy_whose_key_it_lacks(rex_run, fetchers, ctx, root):
    seed(root, {AUTHORIZED_KEYS: "%s\n%s\n" % (ONE, TWO)})
    fake = fetchers({BALANCED_URL: [ONE, TWO, ssh_key(9, "admin"), ONE, THREE]})
    result = RexKeys().run(rex_run())
    # 2 quiet, a new key, 1 quiet, a new key, 4 quiet.
    assert len(fake.urls) == 9
    assert result.summary.startswith("added 2 of 4 keys to ")
    assert text(ctx) == "%s\n%s\n%s\n%s\n" % (ONE, TWO, ssh_key(9, "admin"), THREE)


def test_an_answer_begun_early_is_not_used_once_the_file_changed(rex_run, fetchers, ctx, root):
    seed(root, {AUTHORIZED_KEYS: ONE + "\n"})
    fake = fetchers({BALANCED_URL: [TWO]})  # one answer: the count does not hang on timing
    run = rex_run()
    RexKeys().early(run)
    assert run.early.pending() == 1
    seed(root, {AUTHORIZED_KEYS: "%s\n%s\n" % (ONE, TWO)})  # someone added a key meanwhile
    result = RexKeys().run(run)
    assert result.status == Status.UNCHANGED
    # Early: new, 4 quiet (5); asked again with the file as it is now: 4 quiet.
    assert len(fake.urls) == 5 + 4


def test_a_key_already_present_is_kept_and_only_the_others_added(rex_run, fetchers, ctx, root):
    seed(root, {AUTHORIZED_KEYS: "# mine\n%s\n%s" % (ssh_key(9, "admin"), TWO)})
    fetchers({BALANCED_URL: [ONE, TWO, THREE]})
    result = RexKeys().run(rex_run())
    assert result.summary.startswith("added 2 of 3 keys to ")
    assert text(ctx) == "# mine\n%s\n%s\n%s\n%s\n" % (ssh_key(9, "admin"), TWO, ONE, THREE)


def test_one_key_only_says_it_may_be_one_proxys_and_suggests_rex_proxies(rex_run, fetchers):
    fake = fetchers({BALANCED_URL: [ONE]})
    result = RexKeys().run(rex_run())
    assert result.status == Status.CHANGED
    assert len(fake.urls) == 5
    assert "one key in 5 fetches: it may be one proxy's only" in result.summary
    assert "--rex-proxies" in result.summary


def test_fetches_are_bounded(rex_run, fetchers):
    # A balancer that always answers a new key (none repeats within 40).
    fake = fetchers({BALANCED_URL: [ssh_key(n) for n in range(40)]})
    RexKeys().run(rex_run())
    assert len(fake.urls) == MAX_ROUNDS == 32


def test_a_failing_proxy_is_a_warning_and_the_others_keys_are_installed(rex_run, fetchers, ctx):
    fetchers({BALANCED_URL: [ONE, GetError("HTTP 500", status=500), THREE]})
    result = RexKeys().run(rex_run())
    assert result.status == Status.WARNING
    assert text(ctx) == "%s\n%s\n" % (ONE, THREE)
    assert "%s: HTTP 500 (2 times)" % BALANCED_URL in result.detail
    assert result.remediation


def test_an_html_page_is_not_a_key(rex_run, fetchers, ctx):
    fetchers({BALANCED_URL: ["<html>Service Unavailable</html>"]})
    result = RexKeys().run(rex_run())
    assert result.status == Status.WARNING
    assert "no remote execution key could be downloaded" in result.summary
    assert "%s: not an SSH public key (4 times)" % BALANCED_URL in result.detail
    assert text(ctx) is None


def test_unreachable_balancer_is_a_warning_and_writes_nothing(rex_run, fetchers, ctx):
    fake = fetchers({BALANCED_URL: [GetError("connection refused")]})
    result = RexKeys().run(rex_run())
    assert result.status == Status.WARNING
    assert len(fake.urls) == QUIET_ROUNDS
    assert text(ctx) is None
    assert len(ctx.undo) == 0


def test_dry_run_writes_nothing(rex_run, fetchers, ctx):
    fetchers({BALANCED_URL: [ONE, TWO]})
    ctx.runner.dry_run = True
    result = RexKeys().run(rex_run())
    assert result.status == Status.CHANGED
    assert result.summary.startswith("would add 2 of 2 keys to ")
    assert ONE in result.diff
    assert text(ctx) is None


# other sources


def test_rex_proxies_fetches_each_proxy_once(rex_run, fetchers, ctx):
    fake = fetchers({"https://proxy01.example.test:9090/ssh/pubkey": [ONE],
                     "https://proxy02.example.test:9090/ssh/pubkey": [TWO]})
    result = RexKeys().run(rex_run(
        remote_exec_proxies="proxy01.example.test, proxy02.example.test,"))
    assert fake.urls == ["https://proxy01.example.test:9090/ssh/pubkey",
                         "https://proxy02.example.test:9090/ssh/pubkey"]
    assert text(ctx) == "%s\n%s\n" % (ONE, TWO)
    assert result.summary == "added 2 of 2 keys to /root/.ssh/authorized_keys"
    assert result.detail[0] == "keys from --rex-proxies proxy01.example.test, proxy02.example.test"


def test_rex_proxies_come_before_the_url_key_file(rex_run, fetchers):
    fake = fetchers({"https://proxy01.example.test:9090/ssh/pubkey": [ONE]})
    RexKeys().run(rex_run(remote_exec_proxies="proxy01.example.test",
                              remote_exec_url="https://keys.example.test/keys"))
    assert fake.urls == ["https://proxy01.example.test:9090/ssh/pubkey"]


def test_url_key_file_may_hold_several_keys_and_trusts_system_cas(rex_run, fetchers, ctx):
    url = "https://keys.example.test/rex.pub"
    fake = fetchers({url: ["# REX keys\n%s\n%s\n" % (ONE, TWO)]})
    result = RexKeys().run(rex_run(remote_exec_url=url, timeout="30"))
    assert fake.urls == [url] and fake.made == [(CA, 30, True)]
    assert text(ctx) == "%s\n%s\n" % (ONE, TWO)
    assert result.status == Status.CHANGED


def test_plain_http_url_key_file_is_not_fetched(rex_run, fetchers, ctx):
    fake = fetchers({})
    result = RexKeys().run(rex_run(remote_exec_url="http://keys.example.test/rex.pub"))
    assert result.status == Status.WARNING and "not an https URL" in result.summary
    assert fake.urls == [] and text(ctx) is None


# users and paths


def test_rex_user_gets_a_key_file_in_a_0700_ssh_dir_of_their_own(rex_run, fetchers, ctx, root):
    fetchers({BALANCED_URL: [ONE]})
    result = RexKeys().run(rex_run(remote_exec_user="alice"))
    path = "/home/alice/.ssh/authorized_keys"
    assert text(ctx, path) == ONE + "\n"
    assert result.data["path"] == path and result.data["user"] == "alice"
    for name, mode in ((path, 0o600), ("/home/alice/.ssh", 0o700)):
        st = os.stat(real(root, name))
        assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (mode, 1001, 1002)


def test_rex_authpath_file_is_owned_by_the_user_in_a_root_directory(rex_run, fetchers, ctx, root):
    fetchers({BALANCED_URL: [ONE]})
    RexKeys().run(rex_run(remote_exec_user="alice",
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
    result = RexKeys().run(rex_run(**given))
    assert result.status == Status.WARNING and words in result.summary
    assert result.remediation and fake.urls == []


def test_a_symlinked_key_file_is_left_alone(rex_run, fetchers, root):
    os.makedirs(real(root, "/root/.ssh"))
    os.symlink("/etc/shadow", real(root, AUTHORIZED_KEYS))
    fetchers({})
    result = RexKeys().run(rex_run())
    assert result.status == Status.WARNING and "not a regular file" in result.summary


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a home to a user")
@pytest.mark.parametrize("link", ["/home/alice/.ssh", "/home/alice/.ssh/authorized_keys"])
def test_a_link_in_a_users_home_fails_the_step_and_follows_nothing(rex_run, fetchers, root,
                                                                    link):
    """Unlike root's own link above: alice made it, in her home, aimed at root's files."""
    os.makedirs(real(root, "/root/.ssh"))
    seed(root, {AUTHORIZED_KEYS: "root's\n"})
    os.makedirs(real(root, "/home/alice/.ssh"))
    os.chown(real(root, "/home/alice"), 1001, 1002)
    os.chown(real(root, "/home/alice/.ssh"), 1001, 1002)
    if link.endswith("/.ssh"):
        os.rmdir(real(root, link))
    os.symlink(real(root, AUTHORIZED_KEYS if link.endswith("keys") else "/root/.ssh"),
               real(root, link))
    fetchers({BALANCED_URL: [ONE]})
    result = engine._run_step(RexKeys(), rex_run(remote_exec_user="alice"))
    assert result.status == Status.FAILED and result.exit_code == ExitCode.CANTCREAT
    assert real(root, link) in result.summary and "symbolic link" in result.summary
    assert os.listdir(real(root, "/root/.ssh")) == ["authorized_keys"]
    with open(real(root, AUTHORIZED_KEYS)) as f:
        assert f.read() == "root's\n"


# when it runs, and what it trusts


def test_skipped_without_rex(make_run, fetchers):
    fake = fetchers({})
    result = RexKeys().run(make_run())
    assert result.status == Status.SKIPPED and fake.made == []


def test_installed_katello_ca_is_used_when_the_run_fetched_no_rpm(rex_run, fetchers, root):
    seed(root, {"/etc/rhsm/ca/katello-server-ca.pem": CA})
    fake = fetchers({BALANCED_URL: [ONE]})
    run = rex_run()
    run.consumer = None
    RexKeys().run(run)
    assert fake.made[0][0].strip() == CA.strip()


def test_without_a_katello_ca_nothing_is_fetched(rex_run, fetchers):
    fake = fetchers({})
    run = rex_run()
    run.consumer = None
    result = RexKeys().run(run)
    assert result.status == Status.WARNING and fake.made == []


def test_runs_right_after_the_puppet_steps_once_the_consumer_rpm_is_in():
    from lbenroll import engine
    ids = [step.id for step in engine.STEPS]
    last_puppet = max(index for index, step_id in enumerate(ids) if step_id.startswith("PUPPET_"))
    # REX_CA first: REX_KEYS reads whether every proxy signs with a CA the host trusts.
    assert ids.index("REX_CA") == last_puppet + 1
    assert ids.index("REX_KEYS") == last_puppet + 2
    assert RexKeys.requires == ("INSTALL_CONSUMER_RPM",)


# the fetcher, with webget.get stubbed (tests/lab/test_webget.py runs it against a real server)


@pytest.fixture
def web_get(monkeypatch):
    """webget.get answers outcome (bytes, or an exception raised); records each call."""
    calls = []

    def install(outcome):
        def get(url, timeout, tls, limit):
            calls.append((url, timeout, tls, limit))
            if isinstance(outcome, Exception):
                raise outcome
            return outcome
        monkeypatch.setattr(rex_keys.webget, "get", get)
        return calls
    return install


def test_fetcher_verifies_against_the_katello_ca_only(web_get):
    calls = web_get((ONE + "\n").encode())
    assert KeyFetcher(CA, 5).fetch(BALANCED_URL) == ONE + "\n"
    url, timeout, tls, limit = calls[0]
    assert (url, timeout, limit) == (BALANCED_URL, 5, MAX_KEY_FILE)
    assert len(tls.get_ca_certs()) == 1 and tls.check_hostname


def test_fetcher_for_a_url_key_file_also_trusts_the_system_cas(web_get):
    calls = web_get(b"")
    KeyFetcher(CA, 900, trust_system=True).fetch("https://keys.example.test/k")
    tls = calls[0][2]
    assert tls.check_hostname and tls.verify_mode == ssl.CERT_REQUIRED
    # The system's store is loaded as well: OpenSSL's default paths (capath entries are only
    # counted once used, so the file-based bundle is what get_ca_certs shows, when there is one).
    assert ssl.get_default_verify_paths().cafile is None or len(tls.get_ca_certs()) > 1


def test_a_ca_that_does_not_load_is_bad_ca():
    with pytest.raises(BadCa):
        KeyFetcher("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", 5)


@pytest.mark.parametrize("outcome, reason", [
    (GetError("HTTP 404", status=404), "HTTP 404"),
    (TooLarge("larger than 65536 bytes"), "larger than 65536 bytes: not a key file"),
    (GetError("TLS handshake failed: CERTIFICATE_VERIFY_FAILED", unverified=True),
     "CERTIFICATE_VERIFY_FAILED"),
    (GetError("timed out"), "timed out"),
])
def test_fetch_failures_say_why(web_get, outcome, reason):
    web_get(outcome)
    with pytest.raises(GetError) as caught:
        KeyFetcher(CA, 5).fetch(BALANCED_URL)
    assert reason in caught.value.reason


def test_a_ca_that_does_not_load_is_a_warning_that_changes_nothing(rex_run, web_get, ctx):
    calls = web_get(ONE.encode())
    run = rex_run()
    run.consumer = types.SimpleNamespace(
        server_ca_pem="-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    result = RexKeys().run(run)
    assert result.status == Status.WARNING and "does not load" in result.summary
    assert calls == [] and text(ctx) is None


# --rex-apikeys: the Foreman API (the lab's stand-in behind a fake HTTP layer)


@pytest.fixture
def api_session(monkeypatch, tmp_path):
    """A fresh lab Foreman whose proxy01..03 records carry the keys given (None: no key)."""
    def install(keys):
        for name, key in zip(BALANCED_PROXY_NAMES, keys):
            if key is not None:
                ssh_dir = tmp_path / "lab" / "proxies" / name / "ssh"
                ssh_dir.mkdir(parents=True)
                (ssh_dir / "id_foreman_proxy.pub").write_text(key + "\n")
        state = tmp_path / "lab" / "state"
        state.mkdir(parents=True)
        return fake_foreman.install(monkeypatch, state)
    return install


def api_run(rex_run, **given):
    return rex_run(remote_exec_apikeys=True, password=PASSWORD, **given)


def index_pages(session):
    return [call[3]["page"] for call in session.calls if call[2] == SMART_PROXIES]


def test_api_keys_of_every_page_are_installed(rex_run, api_session, ctx, tmp_path):
    # The stand-in lists 98 key-less capsules first: proxy03 is only on the second page.
    names = [p["name"] for p in seed_world(str(tmp_path / "lab" / "state"))["smart_proxies"]]
    assert names.index("proxy03.example.test") >= foreman.PER_PAGE
    assert names.index("proxy01.example.test") < foreman.PER_PAGE
    session = api_session([ONE, TWO, THREE])
    result = RexKeys().run(api_run(rex_run))
    assert result.status == Status.CHANGED
    assert text(ctx) == "%s\n%s\n%s\n" % (ONE, TWO, THREE)
    assert index_pages(session) == [1, 2]
    assert {call[4] for call in session.calls if call[2] == SMART_PROXIES} == {
        ("admin", PASSWORD)}
    assert result.summary == "added 3 of 3 keys to /root/.ssh/authorized_keys"
    assert result.detail[0] == (
        "keys from --rex-apikeys: remote_execution_pubkey of the 101 Smart Proxies Foreman lists "
        "(/api/v2/smart_proxies through %s)" % BALANCER)
    assert result.data["smart_proxies"] == 101


def test_api_proxies_without_a_key_are_named_not_an_error(rex_run, api_session, ctx):
    api_session([ONE, None, THREE])
    result = RexKeys().run(api_run(rex_run))
    assert result.status == Status.CHANGED
    assert text(ctx) == "%s\n%s\n" % (ONE, THREE)
    [keyless] = [line for line in result.detail if line.startswith("no remote_execution_pubkey")]
    assert "capsule00.remote.example.test, " in keyless
    assert keyless.endswith(", capsule97.remote.example.test, proxy02.example.test")


def test_api_without_any_key_is_a_warning_and_writes_nothing(rex_run, api_session, ctx):
    session = api_session([None, None, None])
    result = RexKeys().run(api_run(rex_run))
    assert result.status == Status.WARNING
    assert "no Smart Proxy in Foreman has a remote execution key" in result.summary
    assert any("proxy03.example.test" in line for line in result.detail)
    assert result.remediation and text(ctx) is None and len(ctx.undo) == 0
    assert index_pages(session) == [1, 2]


def test_api_second_run_changes_nothing(rex_run, api_session, ctx):
    api_session([ONE, TWO, THREE])
    RexKeys().run(api_run(rex_run))
    result = RexKeys().run(api_run(rex_run))
    assert result.status == Status.UNCHANGED
    assert result.summary == "all 3 keys are already in /root/.ssh/authorized_keys"


def test_api_refusing_the_login_is_a_warning_without_the_password(rex_run, api_session, ctx):
    api_session([ONE, TWO, THREE])
    result = RexKeys().run(rex_run(remote_exec_apikeys=True, password="Wr0ngPassw0rd"))
    assert result.status == Status.WARNING
    assert "refused the login 'admin' (HTTP 401)" in result.summary
    assert result.remediation == "check -l/--login and the password"
    assert "Wr0ngPassw0rd" not in " ".join([result.summary, result.remediation] + result.detail)
    assert text(ctx) is None


def test_api_not_a_key_in_a_record_is_a_warning(rex_run, api_session, ctx):
    api_session([ONE, "<html>not a key</html>", THREE])
    result = RexKeys().run(api_run(rex_run))
    assert result.status == Status.WARNING
    assert "Smart Proxy proxy02.example.test: not an SSH public key" in result.detail
    assert text(ctx) == "%s\n%s\n" % (ONE, THREE)


def test_api_dry_run_reads_and_writes_nothing(rex_run, api_session, ctx):
    session = api_session([ONE, TWO, THREE])
    ctx.runner.dry_run = True
    result = RexKeys().run(api_run(rex_run))
    assert result.summary.startswith("would add 3 of 3 keys to ")
    assert {call[0] for call in session.calls} == {"GET"} and text(ctx) is None


@pytest.mark.parametrize("given", [{"remote_exec_proxies": "proxy01.example.test"},
                                   {"remote_exec_url": "https://proxy01.example.test:9090/ssh/pubkey"}])
def test_rex_proxies_and_url_key_file_come_before_the_api(rex_run, api_session, fetchers, given):
    session = api_session([ONE, TWO, THREE])
    fake = fetchers({"https://proxy01.example.test:9090/ssh/pubkey": [ONE]})
    result = RexKeys().run(rex_run(remote_exec_apikeys=True, **given))
    assert session.calls == [] and fake.urls == ["https://proxy01.example.test:9090/ssh/pubkey"]
    assert result.status == Status.CHANGED


# --rex-apikeys: what validation asks for


@pytest.fixture
def no_password(monkeypatch):
    monkeypatch.delenv(options.PASSWORD_ENV, raising=False)
    monkeypatch.setattr(credentials.sys, "stdin", None)


def validate(**values):
    values.update(balancer=BALANCER, fqdn="client01.example.test", skip=["foreman"])
    return parsed(values)


def test_rex_apikeys_needs_the_password_even_with_skip_foreman(no_password):
    with pytest.raises(UsageError) as error:
        validate(remote_exec=True, remote_exec_apikeys=True)
    assert "--rex-apikeys needs the Foreman API password" in error.value.format_message()
    assert options.PASSWORD_ENV in error.value.format_message()


def test_rex_apikeys_reads_the_password_like_foreman_mode(monkeypatch):
    monkeypatch.setenv(options.PASSWORD_ENV, "FromEnv99")
    result = validate(remote_exec=True, remote_exec_apikeys=True, login="api")
    assert (result.login, result.password) == ("api", "FromEnv99")
    assert "FromEnv99" in result.secrets and result.warnings == []


@pytest.mark.parametrize("given, warning", [
    ({}, "--rex-apikeys does nothing without --rex"),
    ({"remote_exec": True, "remote_exec_proxies": "proxy01.example.test"},
     "--rex-apikeys is not used: --rex-proxies comes first"),
    ({"remote_exec": True, "remote_exec_url": "https://keys.example.test/k"},
     "--rex-apikeys is not used: --rex-urlkeyfile comes first"),
])
def test_an_unused_rex_apikeys_needs_no_password_and_says_so(no_password, given, warning):
    result = validate(remote_exec_apikeys=True, **given)
    assert result.password is None and result.warnings == [warning]


# --rex-apikeys and REX_CA: the key of a proxy that signs with a trusted SSH CA is left out

SIGNED = ["proxy01.example.test", "proxy03.example.test"]


@pytest.mark.parametrize("ca_status, left_out", [
    (Status.CHANGED, True), (Status.UNCHANGED, True),  # dry run: "would trust" is CHANGED
    (Status.WARNING, False), (Status.FAILED, False), (Status.SKIPPED, False), (None, False)])
def test_api_keys_of_proxies_with_a_ca_are_left_out_only_when_rex_ca_trusted_it(
        rex_run, api_session, ctx, ca_status, left_out):
    api_session([ONE, TWO, THREE])
    run = api_run(rex_run)
    if ca_status is not None:
        run.results["REX_CA"] = Result("REX_CA", ca_status, "", data={"ca_proxies": SIGNED})
    result = RexKeys().run(run)
    assert result.status == Status.CHANGED
    notes = [line for line in result.detail if line.startswith("left out the keys")]
    if left_out:
        assert text(ctx) == TWO + "\n"
        assert notes == ["left out the keys of 2 that sign with an SSH CA sshd trusts (their "
                         "remote_execution_ca_pubkey, REX_CA), as Foreman leaves them out of "
                         "remote_execution_ssh_keys: proxy01.example.test, proxy03.example.test"]
        assert result.data["left_out"] == SIGNED
    else:
        assert text(ctx) == "%s\n%s\n%s\n" % (ONE, TWO, THREE)
        assert notes == [] and result.data["left_out"] == []


def test_api_every_proxy_signed_with_a_bad_key_elsewhere_is_a_warning(rex_run, api_session, ctx):
    # proxy02 has no CA and a record whose key is no key: nothing to add, and that is named.
    api_session([ONE, "<html>not a key</html>", THREE])
    run = api_run(rex_run)
    run.results["REX_CA"] = Result("REX_CA", Status.UNCHANGED, "", data={"ca_proxies": SIGNED})
    result = RexKeys().run(run)
    assert result.status == Status.WARNING
    assert result.summary == ("2 Smart Proxies sign with the SSH CA sshd trusts (REX_CA); the "
                              "keys of the others are not SSH keys; /root/.ssh/authorized_keys "
                              "left as it was")
    assert "Smart Proxy proxy02.example.test: not an SSH public key" in result.detail
    assert result.remediation and text(ctx) is None
