"""RedhatRepoWriter: every repository URL on a proxy moves to the balancer, nothing else moves."""

import pytest

from lbenroll import fileio
from lbenroll.results import Status
from lbenroll.writers import redhat_repo
from lbenroll.writers.redhat_repo import RedhatRepoWriter
from tests.conftest import seed
from tests.writers.golden import assert_cycle, crlf, data, render_text, sprinkle

BALANCER = "smartproxy.example.test"
PROXIES = ("proxy01.example.test", "proxy02.example.test", "proxy03.example.test")


def golden(expected="redhat.expected.repo"):
    return data("redhat_repo", "redhat.repo"), data("redhat_repo", expected)


def test_golden_every_katello_url_moves_and_a_vendor_key_stays():
    before, after = golden()
    assert render_text(RedhatRepoWriter(BALANCER), before) == after


def test_golden_known_hosts_only():
    before, after = golden("redhat.known-hosts.expected.repo")
    assert render_text(RedhatRepoWriter(BALANCER, known_hosts=PROXIES), before) == after


def test_plan_apply_plan_reports_fixed_repos(ctx, root):
    before, after = golden("redhat.known-hosts.expected.repo")
    result = assert_cycle(RedhatRepoWriter(BALANCER, PROXIES), ctx, root, before, after)
    assert result.data["fixed_repos"] == ["Example_Org_EPEL_EPEL_8_x86_64",
                                          "rhel-8-for-x86_64-baseos-rpms",
                                          "Example_Org_Tools_tools-el8"]


def test_notes_name_repo_key_and_old_hosts():
    text, notes, _ = RedhatRepoWriter(BALANCER).render(data("redhat_repo", "redhat.repo"))
    assert notes == [
        "repo Example_Org_EPEL_EPEL_8_x86_64: baseurl host proxy02.example.test -> " + BALANCER,
        "repo Example_Org_EPEL_EPEL_8_x86_64: gpgkey host proxy02.example.test -> " + BALANCER,
        "repo rhel-8-for-x86_64-baseos-rpms: baseurl host proxy01.example.test -> " + BALANCER,
        "repo Example_Org_Tools_tools-el8: baseurl host proxy03.example.test -> " + BALANCER,
        "repo Example_Org_Tools_tools-el8: mirrorlist host proxy03.example.test -> " + BALANCER,
        "repo Example_Org_Tools_tools-el8: gpgkey host proxy03.example.test -> " + BALANCER,
    ]  # in file order, as the diff shows them


def test_right_file_is_unchanged_and_reports_no_repos(ctx, root):
    after = data("redhat_repo", "redhat.expected.repo")
    result = assert_cycle(RedhatRepoWriter(BALANCER), ctx, root, after, after)
    assert "fixed_repos" not in result.data


def test_gpgkey_separators_and_file_urls_are_kept():
    value = ("gpgkey = file:///etc/pki/rpm-gpg/A,  https://proxy01.example.test/katello/k1 ,"
             "https://proxy02.example.test:8443/pulp/k2\tfile://localhost/etc/pki/B\n")
    text = "[r]\n" + value
    new = render_text(RedhatRepoWriter(BALANCER), text)
    assert new == ("[r]\ngpgkey = file:///etc/pki/rpm-gpg/A,  https://%s/katello/k1 ,"
                   "https://%s:8443/pulp/k2\tfile://localhost/etc/pki/B\n" % (BALANCER, BALANCER))


def test_urls_katello_does_not_serve_stay_without_known_hosts():
    text = ("[r]\nbaseurl = https://proxy01.example.test/pulp/content/x\n"
            "gpgkey = https://keys.vendor.example.org/RPM-GPG-KEY,"
            "https://proxy01.example.test:443/katello/api/v2/repositories/1/gpg_key_content\n")
    assert render_text(RedhatRepoWriter(BALANCER), text) == (
        "[r]\nbaseurl = https://%s/pulp/content/x\n"
        "gpgkey = https://keys.vendor.example.org/RPM-GPG-KEY,"
        "https://%s:443/katello/api/v2/repositories/1/gpg_key_content\n" % (BALANCER, BALANCER))


def test_other_keys_with_urls_are_not_touched():
    text = ("[r]\nname = mirror of https://proxy01.example.test/x\n"
            "proxy = http://proxy01.example.test:3128\n")
    assert RedhatRepoWriter(BALANCER).render(text) == (text, [], {})


def test_crlf_is_kept():
    before, after = golden()
    assert render_text(RedhatRepoWriter(BALANCER), crlf(before)) == crlf(after)


def test_missing_final_newline_stays_missing():
    before, after = golden()
    assert render_text(RedhatRepoWriter(BALANCER), before.rstrip("\n")) == after.rstrip("\n")


def test_missing_file_is_left_alone(ctx, root):
    writer = RedhatRepoWriter(BALANCER)
    assert writer.render(None) is None
    assert writer.run(ctx).status == Status.SKIPPED
    assert fileio.read_bytes(ctx, writer.target.path) is None


@pytest.mark.parametrize("seed_value", range(40))
def test_random_unrelated_lines_survive(seed_value):
    before, after = sprinkle(*golden("redhat.known-hosts.expected.repo"), seed_value=seed_value)
    assert render_text(RedhatRepoWriter(BALANCER, PROXIES), before) == after


def test_ten_thousand_repositories_are_all_fixed_and_diffed(ctx, root):
    # Scale, not speed: the speed target lives in the benchmark script, never in a timed test.
    section = ("[Org_Product_repo{n}]\nname = repo {n}\n"
               "baseurl = https://proxy0{p}.example.test/pulp/content/Org/Library/custom/P/r{n}\n"
               "enabled = 1\ngpgcheck = 1\n"
               "gpgkey = https://proxy0{p}.example.test/katello/api/v2/repositories/{n}/gpg_key\n"
               "sslverify = 1\nsslcacert = /etc/rhsm/ca/katello-server-ca.pem\n"
               "sslclientkey = /etc/pki/entitlement/1-key.pem\n"
               "sslclientcert = /etc/pki/entitlement/1.pem\nmetadata_expire = 1\n\n")
    text = "".join(section.format(n=n, p=n % 3 + 1) for n in range(10000))
    writer = RedhatRepoWriter(BALANCER)
    seed(root, {writer.target.path: text})
    result = writer.run(ctx)
    assert len(result.data["fixed_repos"]) == 10000
    assert result.diff.count("\n-baseurl = https://proxy0") == 10000
    assert result.diff.count("\n+baseurl = https://smartproxy.example.test/") == 10000
    assert writer.plan(fileio.read_bytes(ctx, writer.target.path)).changed is False


def test_a_large_file_lists_the_first_moves_then_counts_the_rest():
    sections = "".join("[repo%d]\nbaseurl = https://proxy02.example.test/pulp/content/r%d\n"
                       % (n, n) for n in range(150))
    text, notes, data = RedhatRepoWriter(BALANCER).render(sections)
    assert text.count(BALANCER) == 150
    assert len(notes) == redhat_repo.NOTES_SHOWN + 1
    assert notes[0] == "repo repo0: baseurl host proxy02.example.test -> " + BALANCER
    assert notes[-1] == "and 50 more URL lines moved to %s (150 repositories in all)" % BALANCER
    assert len(data["fixed_repos"]) == 150
