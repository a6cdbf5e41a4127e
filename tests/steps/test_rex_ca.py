"""REX_CA: the SSH CA the proxies publish at :9090/ssh/ca_pubkey, trusted by sshd through
Global Registration's files; checked bytes, sshd -t, a reload only on change; REX_KEYS and
REMOVE_REX_CA around it."""
import json
import os
import stat
import types

import pytest

from lbenroll import fileio, services, sshkeys, webget
from lbenroll.errors import LbenrollError
from lbenroll.results import Result, Status
from lbenroll.smartproxies import SMART_PROXIES
from lbenroll.steps import rex_ca
from lbenroll.steps.rex_ca import RexCa
from lbenroll.writers import rex_user_ca
from lbenroll.steps.rex_keys import RexKeys
from tests import fake_foreman
from tests.conftest import seed
from tests.lab.foreman import BALANCED_PROXY_NAMES, PASSWORD, Foreman
from tests.steps.conftest import BALANCER, CA, OTHER_CA
from tests.writers.test_authorized_keys import ssh_key

CA_FILE = "/etc/ssh/foreman-user-ca.pub"
DROPIN = "/etc/ssh/sshd_config.d/60-foreman-user-ca.conf"
SSHD_CONFIG = "/etc/ssh/sshd_config"
BALANCED = "https://%s:9090/ssh/ca_pubkey" % BALANCER
CA1 = ssh_key(21, "lab-rex-ca")
CA2 = ssh_key(22, "second-ca")
EL9 = "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin yes\n"
EL8 = "PermitRootLogin yes\nMatch User anoncvs\n\tX11Forwarding no\n"
PASSWD = "root:x:0:0:root:/root:/bin/bash\n"


@pytest.fixture
def served(monkeypatch):
    """webget.get answers each URL from a list, in turn (cycling): a text is a 200 answer, a
    (status, reason) tuple another status; records the URLs (the Katello CA alone verifies)."""
    urls, verified_by = [], []

    def install(answers):
        def get(url, timeout, tls, limit):
            assert len(tls.get_ca_certs()) == 1 and tls.check_hostname
            assert limit == rex_user_ca.MAX_CA_KEY
            verified_by.append(dict(sum(tls.get_ca_certs()[0]["subject"], ()))["commonName"])
            got = answers[url][sum(1 for u in urls if u == url) % len(answers[url])]
            urls.append(url)
            if isinstance(got, Exception):
                raise got
            if isinstance(got, tuple):
                raise webget.GetError("HTTP %d" % got[0], status=got[0])
            return got.encode()
        monkeypatch.setattr(rex_ca.webget, "get", get)
        return urls
    install.verified_by = verified_by  # the CA's common name, per fetch
    return install


@pytest.fixture
def ca_run(make_run, root, tmp_path):
    seed(root, {"/etc/passwd": PASSWD})
    os.makedirs(os.path.join(str(root), "root"))

    def factory(**given):
        run = make_run(remote_exec=True, **given)
        run.consumer = types.SimpleNamespace(server_ca_pem=CA)
        run.tmpdir = str(tmp_path)
        return run
    return factory


@pytest.fixture
def sshd(root, fake_runner):
    """A host with sshd: `sshd -t` (in the root) answers rc."""
    seed(root, {"/usr/sbin/sshd": ""})

    def install(rc=0, stderr=""):
        fake_runner.expect(["chroot", str(root), "/usr/sbin/sshd", "-t"], rc, "", stderr)
    return install


def text(ctx, path):
    data = fileio.read_bytes(ctx, path)
    return None if data is None else data.decode()


def mode(root, path):
    return stat.S_IMODE(os.stat(os.path.join(str(root), path.lstrip("/"))).st_mode)


def test_skipped_without_rex(make_run, served):
    urls = served({})
    assert RexCa().run(make_run()).status == Status.SKIPPED
    assert urls == []


def test_no_ca_published_changes_nothing(ca_run, served, ctx, root):
    seed(root, {SSHD_CONFIG: EL9})
    urls = served({BALANCED: [""]})
    result = RexCa().run(ca_run())
    assert result.status == Status.UNCHANGED
    assert "no Smart Proxy publishes an SSH CA" in result.summary
    # No CA file: "no CA" is what the host already reflects, so 4 quiet fetches and done.
    assert urls == [BALANCED] * 4
    assert text(ctx, CA_FILE) is None and text(ctx, DROPIN) is None


def test_an_answer_begun_early_is_not_used_once_the_run_installed_another_ca(ca_run, served,
                                                                            root):
    # Begun with the CA on the host at the start; the consumer RPM then brought another one
    # (--rotate-ca): the step asks again, verified against the new CA.
    seed(root, {SSHD_CONFIG: EL9, "/etc/rhsm/ca/katello-server-ca.pem": OTHER_CA})
    served({BALANCED: [""]})
    run = ca_run()
    run.consumer = None
    RexCa().early(run)
    question = RexCa()._question(run)
    run.consumer = types.SimpleNamespace(server_ca_pem=CA)
    assert RexCa().run(run).status == Status.UNCHANGED
    early = run.early.answer(rex_ca.ask, *question)  # waits for the early fetches
    assert early.fetches == 4
    other, katello = (dict(sum(webget.context(pem).get_ca_certs()[0]["subject"], ()))
                      ["commonName"] for pem in (OTHER_CA, CA))
    assert sorted(served.verified_by) == sorted([other] * 4 + [katello] * 4)


def test_the_same_ca_takes_the_early_answer_without_asking_again(ca_run, served, root):
    seed(root, {SSHD_CONFIG: EL9, "/etc/rhsm/ca/katello-server-ca.pem": CA})
    urls = served({BALANCED: [""]})
    run = ca_run()
    run.consumer = None
    RexCa().early(run)
    run.consumer = types.SimpleNamespace(server_ca_pem=CA)
    result = RexCa().run(run)
    assert result.status == Status.UNCHANGED and result.data["fetches"] == 4
    assert urls == [BALANCED] * 4  # once, early


def test_an_older_proxy_without_the_endpoint_counts_as_no_ca(ca_run, served, root):
    seed(root, {SSHD_CONFIG: EL9})
    served({BALANCED: [(404, "Not Found")]})
    assert RexCa().run(ca_run()).status == Status.UNCHANGED


def test_el9_gets_the_ca_file_and_the_drop_in_checked_by_sshd(ca_run, served, sshd, ctx, root,
                                                              fake_runner):
    seed(root, {SSHD_CONFIG: EL9})
    sshd()
    served({BALANCED: [CA1 + "\n"]})
    result = RexCa().run(ca_run())
    assert result.status == Status.CHANGED, result.summary
    assert result.data["everywhere"] is True
    assert text(ctx, CA_FILE) == CA1 + "\n"
    assert text(ctx, DROPIN).splitlines()[-1] == "TrustedUserCAKeys %s" % CA_FILE
    assert (mode(root, CA_FILE), mode(root, DROPIN)) == (0o644, 0o600)
    assert text(ctx, SSHD_CONFIG) == EL9
    assert fake_runner.calls == [["chroot", str(root), "/usr/sbin/sshd", "-t"]]
    # Under --root no systemd runs the managed system: the reload waits for sshd's start.
    assert "sshd reads it when it starts" in result.summary
    assert "+TrustedUserCAKeys /etc/ssh/foreman-user-ca.pub" in result.diff

    again = RexCa().run(ca_run())
    assert again.status == Status.UNCHANGED
    assert again.summary.startswith("sshd trusts the SSH CA of the Smart Proxies (SHA256:")
    assert len(fake_runner.calls) == 1  # no sshd -t, no reload on a host already right


def test_a_host_already_trusting_the_ca_stops_after_four_quiet_fetches(ca_run, served, sshd,
                                                                       root):
    seed(root, {SSHD_CONFIG: EL9})
    sshd()
    urls = served({BALANCED: [CA1]})
    assert RexCa().run(ca_run()).status == Status.CHANGED
    assert len(urls) == 5  # 1 new, 4 quiet
    result = RexCa().run(ca_run())
    assert result.status == Status.UNCHANGED and result.data["everywhere"] is True
    # The CA the file holds is no news: 4 quiet fetches, not 1 new and 4 quiet.
    assert len(urls) == 5 + 4


@pytest.mark.parametrize("installed, answers, found, fetches", [
    # The host trusts CA1; one proxy of four has moved to CA2: 2 quiet, CA2, 4 quiet.
    (CA1 + "\n", [CA1, CA1, CA2, CA1], [CA1, CA2], 7),
    # The host trusts CA1; one proxy of four has none: 3 quiet, no CA, 4 quiet.
    (CA1 + "\n", [CA1, CA1, CA1, ""], [CA1], 8),
    # No CA file; one proxy of four publishes a CA: 3 quiet, CA1, 4 quiet.
    (None, ["", "", "", CA1], [CA1], 8),
])
def test_what_the_host_holds_never_hides_a_proxy_with_something_else(
        ca_run, served, sshd, root, installed, answers, found, fetches):
    seed(root, {SSHD_CONFIG: EL9})
    sshd()
    if installed is not None:
        seed(root, {CA_FILE: installed})
    urls = served({BALANCED: answers})
    result = RexCa().run(ca_run())
    assert result.data["cas"] == [sshkeys.summary(rex_user_ca.parse_ca_key(ca.encode()))
                                  for ca in found]
    assert result.data["everywhere"] is ("" not in answers)
    assert len(urls) == fetches


def test_el8_gets_the_line_at_the_top_of_sshd_config(ca_run, served, sshd, ctx, root):
    seed(root, {SSHD_CONFIG: EL8})
    sshd()
    served({BALANCED: [CA1]})
    assert RexCa().run(ca_run()).status == Status.CHANGED
    assert text(ctx, DROPIN) is None
    lines = text(ctx, SSHD_CONFIG).splitlines()
    assert lines[1] == "TrustedUserCAKeys %s" % CA_FILE
    assert text(ctx, SSHD_CONFIG).endswith(EL8)


def test_different_cas_are_all_trusted_as_global_registration_does(ca_run, served, sshd, ctx,
                                                                   root):
    seed(root, {SSHD_CONFIG: EL9})
    sshd()
    served({BALANCED: [CA2, CA1, CA1]})
    result = RexCa().run(ca_run())
    assert result.status == Status.CHANGED
    assert text(ctx, CA_FILE) == "%s\n%s\n" % tuple(sorted([CA1, CA2]))
    assert any("publish 2 different CAs" in line for line in result.detail)


def test_a_proxy_without_a_ca_leaves_the_per_proxy_keys_to_rex_keys(ca_run, served, sshd, root):
    seed(root, {SSHD_CONFIG: EL9})
    sshd()
    served({BALANCED: [CA1, ""]})
    result = RexCa().run(ca_run())
    assert result.status == Status.CHANGED
    assert result.data["everywhere"] is False
    assert any("came without a CA" in line for line in result.detail)


@pytest.mark.parametrize("body", ["<html>503</html>", CA1 + "\n" + CA2,
                                  ssh_key(5, key_type="ssh-ed25519-cert-v01@openssh.com"),
                                  "x" * (17 * 1024)])
def test_bytes_that_are_not_one_ca_key_write_nothing(ca_run, served, ctx, root, body):
    seed(root, {SSHD_CONFIG: EL9})
    served({BALANCED: [body]})
    result = RexCa().run(ca_run())
    assert result.status == Status.WARNING
    assert any("not" in line and BALANCED in line for line in result.detail), result.detail
    assert text(ctx, CA_FILE) is None and text(ctx, DROPIN) is None


@pytest.mark.parametrize("failure, said", [
    (webget.TooLarge("larger than 16384 bytes"), "larger than 16384 bytes: not a CA key"),
    (webget.GetError("TLS handshake failed: CERTIFICATE_VERIFY_FAILED", unverified=True),
     "TLS handshake failed: CERTIFICATE_VERIFY_FAILED"),
    (webget.GetError("HTTP 500", status=500), "HTTP 500")])
def test_a_failed_fetch_is_named_and_writes_nothing(ca_run, served, ctx, root, failure, said):
    seed(root, {SSHD_CONFIG: EL9})
    served({BALANCED: [failure]})
    result = RexCa().run(ca_run())
    assert result.status == Status.WARNING
    assert "%s: %s" % (BALANCED, said) in result.detail
    assert text(ctx, CA_FILE) is None and text(ctx, DROPIN) is None


def test_a_katello_ca_that_does_not_load_asks_nothing(ca_run, served, ctx, root):
    seed(root, {SSHD_CONFIG: EL9})
    urls = served({BALANCED: [CA1]})
    run = ca_run()
    run.consumer = types.SimpleNamespace(
        server_ca_pem="-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    result = RexCa().run(run)
    assert result.status == Status.WARNING and "does not load" in result.summary
    assert urls == [] and text(ctx, CA_FILE) is None


def test_another_ca_sshd_trusts_is_never_shadowed(ca_run, served, ctx, root):
    seed(root, {SSHD_CONFIG: EL9,
                "/etc/ssh/sshd_config.d/40-admin.conf": "TrustedUserCAKeys /etc/ssh/admin.pub\n"})
    served({BALANCED: [CA1]})
    result = RexCa().run(ca_run())
    assert result.status == Status.WARNING
    assert "/etc/ssh/admin.pub in /etc/ssh/sshd_config.d/40-admin.conf" in result.summary
    assert text(ctx, CA_FILE) is None and text(ctx, DROPIN) is None


def test_sshd_t_refusing_puts_the_files_back(ca_run, served, sshd, ctx, root):
    seed(root, {SSHD_CONFIG: EL8})
    sshd(rc=255, stderr="/etc/ssh/sshd_config line 2: Bad configuration option")
    served({BALANCED: [CA1]})
    result = RexCa().run(ca_run())
    assert result.status == Status.WARNING
    assert "Bad configuration option" in result.summary
    assert text(ctx, SSHD_CONFIG) == EL8 and text(ctx, CA_FILE) is None


def test_a_dry_run_writes_nothing(ca_run, served, ctx, root, fake_runner):
    seed(root, {SSHD_CONFIG: EL9})
    fake_runner.dry_run = True
    served({BALANCED: [CA1]})
    result = RexCa().run(ca_run())
    assert result.status == Status.CHANGED
    assert result.summary.startswith("would have sshd trust")
    assert text(ctx, CA_FILE) is None and fake_runner.calls == []


def test_rex_proxies_asks_each_named_proxy_once(ca_run, served, sshd, root):
    seed(root, {SSHD_CONFIG: EL9})
    sshd()
    one, two = ("https://proxy0%d.example.test:9090/ssh/ca_pubkey" % n for n in (1, 2))
    urls = served({one: [CA1], two: [CA1]})
    run = ca_run(remote_exec_proxies="proxy01.example.test,proxy02.example.test")
    assert RexCa().run(run).status == Status.CHANGED
    assert urls == [one, two]


def test_a_reload_when_systemd_runs_and_again_on_rollback(ca_run, served, sshd, ctx, root,
                                                          fake_runner, monkeypatch):
    seed(root, {SSHD_CONFIG: EL9})
    sshd()
    monkeypatch.setattr(services, "systemd_running", lambda ctx: True)
    reload = ["systemctl", "--root=%s" % root, "try-reload-or-restart", "sshd"]
    fake_runner.expect(reload)
    served({BALANCED: [CA1]})
    result = RexCa().run(ca_run())
    assert result.summary.endswith("; reloaded sshd")
    assert fake_runner.calls.count(reload) == 1
    done, failed = ctx.undo.rollback()
    assert not failed and "reload sshd" == done[-1]  # after the files are back
    assert text(ctx, CA_FILE) is None and text(ctx, DROPIN) is None
    assert fake_runner.calls.count(reload) == 2


def test_rex_keys_adds_no_key_when_every_proxy_signs_with_the_ca(ca_run, monkeypatch):
    from lbenroll.steps import rex_keys
    run = ca_run()
    run.results["REX_CA"] = Result("REX_CA", Status.CHANGED, "", data={"everywhere": True})
    monkeypatch.setattr(rex_keys, "KeyFetcher", lambda *a, **k: pytest.fail("fetched keys"))
    result = RexKeys().run(run)
    assert result.status == Status.UNCHANGED
    assert result.summary.startswith("no per-proxy key needed")


@pytest.mark.parametrize("ca", [
    Result("REX_CA", Status.CHANGED, "", data={"everywhere": False}),
    Result("REX_CA", Status.WARNING, "", data={"everywhere": True}),
    Result("REX_CA", Status.UNCHANGED, "", data={"everywhere": False})])
def test_rex_keys_scans_as_before_otherwise(ca_run, monkeypatch, ca):
    from lbenroll.steps import rex_keys
    run = ca_run()
    run.results["REX_CA"] = ca
    fetched = []

    class Fetcher(object):
        def __init__(self, *args, **kwargs):
            pass

        def fetch(self, url):
            fetched.append(url)
            return ssh_key(1) + "\n"
    monkeypatch.setattr(rex_keys, "KeyFetcher", Fetcher)
    assert RexKeys().run(run).status == Status.CHANGED
    assert fetched


def test_sshd_t_without_host_keys_yet_is_no_refusal(ca_run, served, sshd, ctx, root):
    # A kickstart %post: sshd-keygen makes the host keys at sshd's first start.
    seed(root, {SSHD_CONFIG: EL9})
    sshd(rc=1, stderr="sshd: no hostkeys available -- exiting.")
    served({BALANCED: [CA1]})
    assert RexCa().run(ca_run()).status == Status.CHANGED
    assert text(ctx, CA_FILE) == CA1 + "\n"


def test_a_run_killed_before_the_reload_has_the_next_run_reload(ca_run, served, sshd, ctx, root,
                                                                fake_runner, monkeypatch):
    seed(root, {SSHD_CONFIG: EL9})
    sshd()
    served({BALANCED: [CA1]})
    monkeypatch.setattr(services, "systemd_running", lambda ctx: True)
    reload = ["systemctl", "--root=%s" % root, "try-reload-or-restart", "sshd"]
    fake_runner.expect(reload, 1, "", "killed")  # stands for the kill: no reload happened
    with pytest.raises(LbenrollError):
        RexCa().run(ca_run())
    assert text(ctx, "/var/lib/lbenroll/sshd-reload-pending") == ""
    fake_runner.expect(reload)  # the longest prefix wins; same length: the later rule
    fake_runner._rules = [rule for rule in fake_runner._rules if rule[1] == 0]
    again = RexCa().run(ca_run())
    assert again.status == Status.CHANGED
    assert again.summary.endswith("reloaded sshd, which an earlier run left unreloaded")
    assert text(ctx, "/var/lib/lbenroll/sshd-reload-pending") is None
    assert RexCa().run(ca_run()).status == Status.UNCHANGED


# --rex-apikeys: the CAs of the Smart Proxy records Foreman's API lists (the lab's stand-in)

PROXY01, PROXY02, PROXY03 = BALANCED_PROXY_NAMES
PROXY_KEYS = dict(zip(BALANCED_PROXY_NAMES, (ssh_key(31), ssh_key(32), ssh_key(33))))
CAPSULE_ID = 101  # capsule00.remote.example.test: content only, no remote execution key


@pytest.fixture
def foreman_api(monkeypatch, tmp_path):
    """A fresh lab Foreman whose proxy01..03 have their remote execution keys and publish the
    CAs given by name (Lab.set_ssh_ca's control file); returns its session (calls recorded)."""
    def install(cas):
        for name in BALANCED_PROXY_NAMES:
            proxy_dir = tmp_path / "lab" / "proxies" / name
            (proxy_dir / "ssh").mkdir(parents=True)
            (proxy_dir / "ssh" / "id_foreman_proxy.pub").write_text(PROXY_KEYS[name] + "\n")
            if name in cas:
                (proxy_dir / "control.json").write_text(json.dumps({"ssh_ca": cas[name]}))
        state = tmp_path / "lab" / "state"
        state.mkdir(parents=True)
        return fake_foreman.install(monkeypatch, state)
    return install


def api_run(ca_run, **given):
    return ca_run(remote_exec_apikeys=True, password=PASSWORD, **given)


def index_calls(session):
    return [call[3]["page"] for call in session.calls if call[2] == SMART_PROXIES]


def test_api_cas_are_trusted_without_asking_the_balancer(ca_run, served, foreman_api, sshd, ctx,
                                                         root):
    seed(root, {SSHD_CONFIG: EL9})
    sshd()
    urls = served({})
    session = foreman_api(dict.fromkeys(BALANCED_PROXY_NAMES, CA1 + "\n"))
    run = api_run(ca_run)
    RexCa().early(run)
    assert run.early.pending() == 0  # the API carries the password: never begun early
    result = RexCa().run(run)
    assert result.status == Status.CHANGED, result.summary
    assert text(ctx, CA_FILE) == CA1 + "\n"
    assert text(ctx, DROPIN).splitlines()[-1] == "TrustedUserCAKeys %s" % CA_FILE
    assert urls == []  # no /ssh/ca_pubkey through the balancer
    assert index_calls(session) == [1, 2]  # proxy03 is on the second page
    assert result.data["everywhere"] is True
    assert result.data["ca_proxies"] == list(BALANCED_PROXY_NAMES)
    assert result.data["smart_proxies"] == 101
    assert result.detail[0] == (
        "--rex-apikeys: remote_execution_ca_pubkey of the 101 Smart Proxies Foreman lists "
        "(/api/v2/smart_proxies through %s)" % BALANCER)


def test_api_a_record_without_a_remote_execution_key_says_nothing(ca_run, served, foreman_api,
                                                                  sshd, ctx, root, tmp_path):
    # A content-only capsule whose record still holds a CA (no SSH feature: Foreman neither
    # refreshes it nor trusts it, host_extensions.rb) neither adds a CA nor counts as "without".
    seed(root, {SSHD_CONFIG: EL9})
    sshd()
    served({})
    foreman_api(dict.fromkeys(BALANCED_PROXY_NAMES, CA1))
    Foreman(str(tmp_path / "lab" / "state")).set_smart_proxy(
        CAPSULE_ID, remote_execution_ca_pubkey=CA2)
    result = RexCa().run(api_run(ca_run))
    assert result.status == Status.CHANGED
    assert text(ctx, CA_FILE) == CA1 + "\n"
    assert result.data["everywhere"] is True and result.data["without_ca"] == 0
    assert "capsule00.remote.example.test" not in " ".join(result.detail)


def test_api_proxies_without_a_ca_are_named_and_keep_their_keys(ca_run, served, foreman_api,
                                                                sshd, ctx, root):
    seed(root, {SSHD_CONFIG: EL9})
    sshd()
    served({})
    foreman_api({PROXY01: CA1, PROXY02: "\n", PROXY03: CA2 + "\n"})
    result = RexCa().run(api_run(ca_run))
    assert result.status == Status.CHANGED
    assert text(ctx, CA_FILE) == "%s\n%s\n" % tuple(sorted([CA1, CA2]))
    assert result.data["everywhere"] is False and result.data["without_ca"] == 1
    assert result.data["ca_proxies"] == [PROXY01, PROXY03]
    assert "1 remote execution Smart Proxies have no CA: %s; they need their own keys " \
           "(REX_KEYS installs them)" % PROXY02 in result.detail


def test_api_no_proxy_with_a_ca_changes_nothing(ca_run, served, foreman_api, ctx, root):
    seed(root, {SSHD_CONFIG: EL9})
    served({})
    foreman_api({})
    result = RexCa().run(api_run(ca_run))
    assert result.status == Status.UNCHANGED
    assert result.summary.startswith("no Smart Proxy publishes an SSH CA in Foreman's API")
    assert result.data["without_ca"] == 3 and result.data["ca_proxies"] == []
    assert text(ctx, CA_FILE) is None and text(ctx, DROPIN) is None


@pytest.mark.parametrize("body, why", [
    ("<html>503</html>", "not an SSH public key line"),
    (CA1 + "\n" + CA2, "2 lines, not one key"),
    (ssh_key(5, key_type="ssh-ed25519-cert-v01@openssh.com"), "is not one sshd takes as a CA"),
    ("x" * (17 * 1024), "17408 bytes, more than a CA key's 16384")])
def test_api_a_ca_that_is_not_one_ca_key_line_is_refused(ca_run, served, foreman_api, ctx, root,
                                                         body, why):
    seed(root, {SSHD_CONFIG: EL9})
    served({})
    foreman_api({PROXY02: body})
    result = RexCa().run(api_run(ca_run))
    assert result.status == Status.WARNING
    [said] = [line for line in result.detail if line.startswith("Smart Proxy %s: " % PROXY02)]
    assert "remote_execution_ca_pubkey is not an SSH CA key (" in said and why in said, said
    assert text(ctx, CA_FILE) is None and text(ctx, DROPIN) is None


def test_api_a_ca_beside_a_bad_one_is_trusted_and_only_its_proxy_counted(
        ca_run, served, foreman_api, sshd, ctx, root):
    seed(root, {SSHD_CONFIG: EL9})
    sshd()
    served({})
    foreman_api({PROXY01: CA1, PROXY02: "<html>503</html>", PROXY03: CA1})
    result = RexCa().run(api_run(ca_run))
    assert result.status == Status.CHANGED
    assert text(ctx, CA_FILE) == CA1 + "\n"
    assert result.data["everywhere"] is False
    assert result.data["ca_proxies"] == [PROXY01, PROXY03]
    assert any(line.startswith("Smart Proxy %s: remote_execution_ca_pubkey is not" % PROXY02)
               for line in result.detail)


def test_api_records_that_are_not_text_are_refused():
    answers = rex_ca.from_records([
        {"id": 1, "name": "a", "remote_execution_pubkey": ssh_key(1),
         "remote_execution_ca_pubkey": 42},
        {"id": 2, "remote_execution_pubkey": ssh_key(2), "remote_execution_ca_pubkey": CA1},
        {"id": 3, "name": "c", "remote_execution_pubkey": "  ", "remote_execution_ca_pubkey": CA2},
        {"id": 4, "name": "d", "remote_execution_pubkey": ssh_key(4)}])
    assert answers.failures == ["Smart Proxy a: remote_execution_ca_pubkey is not text"]
    assert [key.comment for key in answers.keys] == ["lab-rex-ca"]
    assert (answers.signed, answers.unsigned, answers.without) == (["id 2"], ["d"], 1)


def test_api_refusing_the_login_is_a_warning_that_changes_nothing(ca_run, served, foreman_api,
                                                                  ctx, root):
    seed(root, {SSHD_CONFIG: EL9})
    urls = served({})
    foreman_api(dict.fromkeys(BALANCED_PROXY_NAMES, CA1))
    result = RexCa().run(ca_run(remote_exec_apikeys=True, password="Wr0ngPassw0rd"))
    assert result.status == Status.WARNING
    assert result.summary == ("the Foreman API did not list the Smart Proxies (the Foreman API "
                              "refused the login 'admin' (HTTP 401)): the host's SSH trust "
                              "left as it was")
    assert result.remediation == "check -l/--login and the password"
    assert "Wr0ngPassw0rd" not in " ".join([result.summary, result.remediation] + result.detail)
    assert urls == [] and text(ctx, CA_FILE) is None and text(ctx, DROPIN) is None


@pytest.mark.parametrize("given", [{"remote_exec_proxies": "proxy01.example.test"},
                                   {"remote_exec_url": "https://keys.example.test/rex.pub"}])
def test_a_source_before_the_api_keeps_the_proxies_endpoint(ca_run, served, foreman_api, root,
                                                            given):
    # bootstrap.py's order: --rex-apikeys is not used (and has no password) then.
    seed(root, {SSHD_CONFIG: EL9})
    url = ("https://proxy01.example.test:9090/ssh/ca_pubkey" if "remote_exec_proxies" in given
           else BALANCED)
    urls = served({url: [""]})
    session = foreman_api({})
    assert RexCa().run(ca_run(remote_exec_apikeys=True, **given)).status == Status.UNCHANGED
    assert urls and set(urls) == {url} and session.calls == []


# REX_CA and REX_KEYS with --rex-apikeys: one listing, the keys of proxies with a CA left out


def authorized_keys(ctx):
    return text(ctx, "/root/.ssh/authorized_keys")


def test_both_steps_read_one_listing_and_the_signed_proxies_keys_are_left_out(
        ca_run, served, foreman_api, sshd, ctx, root):
    seed(root, {SSHD_CONFIG: EL9})
    sshd()
    served({})
    session = foreman_api({PROXY01: CA1, PROXY03: CA1})
    run = api_run(ca_run)
    for step in (RexCa(), RexKeys()):
        step.early(run)
        run.results[step.id] = step.run(run)
    assert run.results["REX_CA"].status == Status.CHANGED
    keys = run.results["REX_KEYS"]
    assert keys.status == Status.CHANGED, keys.summary
    assert authorized_keys(ctx) == PROXY_KEYS[PROXY02] + "\n"
    assert keys.summary == "added 1 of 1 key to /root/.ssh/authorized_keys"
    assert ("left out the keys of 2 that sign with an SSH CA sshd trusts (their "
            "remote_execution_ca_pubkey, REX_CA), as Foreman leaves them out of "
            "remote_execution_ssh_keys: %s, %s" % (PROXY01, PROXY03)) in keys.detail
    assert keys.data["left_out"] == [PROXY01, PROXY03]
    # One ping and one listing (both pages) for the two steps.
    assert index_calls(session) == [1, 2]
    assert [call[2] for call in session.calls].count("/api/ping") == 1


def test_every_proxy_signed_adds_no_key(ca_run, served, foreman_api, sshd, ctx, root):
    seed(root, {SSHD_CONFIG: EL9})
    sshd()
    served({})
    session = foreman_api(dict.fromkeys(BALANCED_PROXY_NAMES, CA1))
    run = api_run(ca_run)
    for step in (RexCa(), RexKeys()):
        run.results[step.id] = step.run(run)
    keys = run.results["REX_KEYS"]
    assert keys.status == Status.UNCHANGED
    assert keys.summary == ("no per-proxy key needed: every Smart Proxy with a remote execution "
                            "key in Foreman signs with the SSH CA sshd trusts (REX_CA); "
                            "/root/.ssh/authorized_keys left as it was")
    assert authorized_keys(ctx) is None and index_calls(session) == [1, 2]


def test_when_sshd_does_not_take_the_ca_every_key_is_added(ca_run, served, foreman_api, sshd,
                                                          ctx, root):
    seed(root, {SSHD_CONFIG: EL8})
    sshd(rc=255, stderr="/etc/ssh/sshd_config line 2: Bad configuration option")
    served({})
    foreman_api(dict.fromkeys(BALANCED_PROXY_NAMES, CA1))
    run = api_run(ca_run)
    for step in (RexCa(), RexKeys()):
        run.results[step.id] = step.run(run)
    assert run.results["REX_CA"].status == Status.WARNING
    assert run.results["REX_KEYS"].status == Status.CHANGED
    assert sorted(authorized_keys(ctx).splitlines()) == sorted(PROXY_KEYS.values())


def test_a_failed_listing_is_asked_once_and_both_steps_warn(ca_run, served, foreman_api, ctx,
                                                            root):
    seed(root, {SSHD_CONFIG: EL9})
    served({})
    session = foreman_api(dict.fromkeys(BALANCED_PROXY_NAMES, CA1))
    run = ca_run(remote_exec_apikeys=True, password="Wr0ngPassw0rd")
    for step in (RexCa(), RexKeys()):
        run.results[step.id] = step.run(run)
    assert {run.results[i].status for i in ("REX_CA", "REX_KEYS")} == {Status.WARNING}
    assert "refused the login 'admin' (HTTP 401)" in run.results["REX_KEYS"].summary
    assert index_calls(session) == [1]  # refused once, not asked again
    assert authorized_keys(ctx) is None and text(ctx, CA_FILE) is None
