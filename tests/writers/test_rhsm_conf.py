"""RhsmConfWriter: golden files, the plan/apply cycle, and what must never change."""
import pytest

from lbenroll.consumer import Layout
from lbenroll.ini import IniDocument
from lbenroll.results import Status
from lbenroll.writers.rhsm_conf import (RhsmConfWriter, interpolate, read_proxy_settings,
                                        read_rhsm)
from tests.conftest import seed
from tests.writers.golden import assert_cycle, crlf, data, render_text, sprinkle

BALANCER = "smartproxy.example.test"
GOLDEN = ("current", "pulp2", "drifted")


def writer(**kwargs):
    return RhsmConfWriter(BALANCER, **kwargs)


def golden(name):
    return data("rhsm_conf", name + ".conf"), data("rhsm_conf", name + ".expected.conf")


@pytest.mark.parametrize("name", GOLDEN + ("minimal",))
def test_golden(name):
    before, after = golden(name)
    assert render_text(writer(), before) == after


@pytest.mark.parametrize("name", GOLDEN + ("minimal",))
def test_plan_apply_plan(ctx, root, name):
    before, after = golden(name)
    result = assert_cycle(writer(), ctx, root, before, after)
    assert result.id == "RHSM_CONF"
    assert "server.hostname: " in "\n".join(result.detail)


def test_cdn_default_becomes_the_balancer_with_katello_values(ctx, root):
    before, after = golden("cdn")
    assert_cycle(writer(port=443, prefix="/rhsm"), ctx, root, before, after)


def test_notes_name_each_change():
    text, notes = writer().render(data("rhsm_conf", "current.conf"))
    assert notes == [
        "server.hostname: proxy02.example.test -> smartproxy.example.test",
        "rhsm.baseurl: https://proxy02.example.test/pulp/content/ -> "
        "https://smartproxy.example.test/pulp/content/",
    ]


def test_both_layouts_keep_port_and_path():
    pulp2 = read_rhsm(render_text(writer(), data("rhsm_conf", "pulp2.conf")))
    assert (pulp2["port"], pulp2["baseurl"]) == (
        "8443", "https://smartproxy.example.test/pulp/repos")
    current = read_rhsm(render_text(writer(), data("rhsm_conf", "current.conf")))
    assert (current["port"], current["baseurl"]) == (
        "443", "https://smartproxy.example.test/pulp/content/")


def test_port_and_prefix_only_when_given():
    text = render_text(writer(port=443), data("rhsm_conf", "pulp2.conf"))
    assert "\nport = 443\n" in text and "\nprefix = /rhsm\n" in text
    text = render_text(writer(prefix="/rhsm"), data("rhsm_conf", "cdn.conf"))
    assert "\nport = 443\n" in text and "\nprefix = /rhsm\n" in text


def test_already_right_with_absolute_ca_path_is_left_exactly(ctx, root):
    settled = data("rhsm_conf", "settled.conf")
    assert writer().render(settled) == (settled, [])
    assert_cycle(writer(), ctx, root, settled, settled)


def test_ca_equivalent_spellings_are_not_churned():
    base = "[server]\nhostname = %s\n[rhsm]\nbaseurl = https://%s/pulp/content/\n" % (
        BALANCER, BALANCER)
    for ca in ("%(ca_cert_dir)skatello-server-ca.pem", "/etc/rhsm/ca/katello-server-ca.pem",
               "/etc/rhsm/ca//katello-server-ca.pem"):
        text = base + "repo_ca_cert = %s\n" % ca
        assert writer().render(text) == (text, []), ca


def test_ca_dir_elsewhere_resolves_through_the_files_own_ca_cert_dir():
    text = ("[server]\nhostname = %s\n[rhsm]\nbaseurl = https://%s/\nca_cert_dir = /opt/ca/\n"
            "repo_ca_cert = /etc/rhsm/ca/katello-server-ca.pem\n" % (BALANCER, BALANCER))
    new, notes = writer().render(text)
    assert notes == ["rhsm.repo_ca_cert: /etc/rhsm/ca/katello-server-ca.pem -> "
                     "%(ca_cert_dir)skatello-server-ca.pem"]
    assert new.endswith("repo_ca_cert = %(ca_cert_dir)skatello-server-ca.pem\n")


def test_other_ca_file_is_written_as_a_reference():
    new = render_text(writer(ca_file="site-ca.pem"), data("rhsm_conf", "current.conf"))
    assert "\nrepo_ca_cert = %(ca_cert_dir)ssite-ca.pem\n" in new


def test_untouched_lines_survive_byte_for_byte():
    before = data("rhsm_conf", "drifted.conf")
    after = render_text(writer(), before)
    changed = [(a, b) for a, b in zip(before.split("\n"), after.split("\n")) if a != b]
    assert len(changed) == 3
    for line in ("hostname = proxy03.example.test", "\t# proxies for the build network",
                 "no_proxy = localhost,127.0.0.1,.example.test",
                 'x_site_note = managed by ops, see wiki page "RHSM, proxies and you"',
                 "full_refresh_on_yum: 1", "; an iniparse-style comment",
                 "# trailing comment at the end of the file"):
        assert "\n" + line + "\n" in after


def test_interpolation_reference_is_kept_verbatim():
    after = render_text(writer(), data("rhsm_conf", "current.conf"))
    assert "\nrepo_ca_cert = %(ca_cert_dir)skatello-server-ca.pem\n" in after
    assert "/etc/rhsm/ca/katello-server-ca.pem" not in after


@pytest.mark.parametrize("name", GOLDEN)
def test_crlf_is_kept(name):
    before, after = golden(name)
    assert render_text(writer(), crlf(before)) == crlf(after)


def test_crlf_kept_for_added_lines():
    before, after = golden("minimal")
    assert render_text(writer(), crlf(before)) == crlf(after)


@pytest.mark.parametrize("name", GOLDEN + ("minimal",))
def test_missing_final_newline_stays_missing(name):
    before, after = golden(name)
    assert render_text(writer(), before.rstrip("\n")) == after.rstrip("\n")


def test_missing_file_is_left_alone(ctx, root):
    assert writer().render(None) is None
    result = writer().run(ctx)
    assert result.status == Status.SKIPPED
    assert not (root / "etc/rhsm/rhsm.conf").exists()


@pytest.mark.parametrize("seed_value", range(40))
def test_random_unrelated_lines_survive(seed_value):
    name = GOLDEN[seed_value % len(GOLDEN)]
    before, after = sprinkle(*golden(name), seed_value=seed_value)
    assert render_text(writer(), before) == after


def test_proxy_settings_are_restored_and_the_password_never_shown(ctx, root):
    saved = {"proxy_hostname": "webproxy.example.test", "proxy_port": "3128",
             "proxy_user": "svc", "proxy_password": "s3cret-pw", "proxy_scheme": "http"}
    seed(root, {"/etc/rhsm/rhsm.conf": data("rhsm_conf", "current.conf")})
    result = writer(proxy_settings=saved).run(ctx)
    text = (root / "etc/rhsm/rhsm.conf").read_text()
    assert read_proxy_settings(text) == saved
    assert "\nproxy_password = s3cret-pw\n" in text
    assert "server.proxy_password: changed" in result.detail
    assert "server.proxy_port: (empty) -> 3128" in result.detail
    assert not any("s3cret-pw" in note for note in result.detail)
    assert writer(proxy_settings=saved).run(ctx).status == Status.UNCHANGED


def test_empty_proxy_setting_does_not_add_a_line():
    text = "[server]\nhostname = %s\n[rhsm]\nbaseurl = https://%s/pulp/content/\n" \
           "repo_ca_cert = %%(ca_cert_dir)skatello-server-ca.pem\n" % (BALANCER, BALANCER)
    assert writer(proxy_settings={"proxy_user": ""}).render(text) == (text, [])


def test_hostname_case_and_trailing_dot_are_not_churned():
    text = ("[server]\nhostname = SmartProxy.Example.Test.\n[rhsm]\n"
            "baseurl = https://SMARTPROXY.example.test/pulp/content/\n"
            "repo_ca_cert = %(ca_cert_dir)skatello-server-ca.pem\n")
    assert writer().render(text) == (text, [])


def test_read_rhsm_defaults_and_raw_values():
    assert read_rhsm("") == {
        "hostname": "subscription.rhsm.redhat.com", "port": "443", "prefix": "/subscription",
        "baseurl": "https://cdn.redhat.com", "repo_ca_cert": "%(ca_cert_dir)sredhat-uep.pem",
        "ca_cert_dir": "/etc/rhsm/ca/"}
    settings = read_rhsm(data("rhsm_conf", "pulp2.conf"))
    assert settings["hostname"] == "proxy02.example.test"
    assert settings["port"] == "8443"
    assert settings["repo_ca_cert"] == "%(ca_cert_dir)skatello-server-ca.pem"
    # Present but empty reads as "", as in subscription-manager.
    assert read_rhsm("[server]\nport =\n")["port"] == ""


def test_interpolate_for_readers_that_need_a_path():
    settings = read_rhsm("[rhsm]\nca_cert_dir = /etc/rhsm-host/ca/\n")
    assert interpolate("%(ca_cert_dir)skatello-server-ca.pem", settings) == \
        "/etc/rhsm-host/ca/katello-server-ca.pem"
    assert interpolate("%(CA_CERT_DIR)sx.pem", settings) == "/etc/rhsm-host/ca/x.pem"
    assert interpolate("100%% %(unknown)s", settings) == "100% %(unknown)s"


# -- with the balancer's layout (consumer.Layout): everything the consumer RPM's script sets ----

CURRENT_LAYOUT = Layout(443, "/rhsm", "/pulp/content/")
KATELLO_KEYS = {"package_profile_on_trans": "1", "report_package_profile": "1",
                "full_refresh_on_yum": "1"}


def laid_out(layout=CURRENT_LAYOUT, **kwargs):
    return RhsmConfWriter(BALANCER, layout=layout, **kwargs)


def test_layout_makes_red_hats_defaults_a_katello_client(ctx, root):
    before = data("rhsm_conf", "cdn.conf")
    text, notes = laid_out().render(before)
    assert notes == [
        "server.hostname: subscription.rhsm.redhat.com -> smartproxy.example.test",
        "server.prefix: /subscription -> /rhsm",
        "rhsm.baseurl: https://cdn.redhat.com -> https://smartproxy.example.test/pulp/content/",
        "rhsm.repo_ca_cert: %(ca_cert_dir)sredhat-uep.pem -> "
        "%(ca_cert_dir)skatello-server-ca.pem",
        "rhsm.package_profile_on_trans: (unset) -> 1",
        "rhsm.report_package_profile: (unset) -> 1",
        "rhsm.full_refresh_on_yum: (unset) -> 1"]
    doc = IniDocument(text)
    assert read_rhsm(text) == {
        "hostname": BALANCER, "port": "443", "prefix": "/rhsm",
        "baseurl": "https://smartproxy.example.test/pulp/content/",
        "repo_ca_cert": "%(ca_cert_dir)skatello-server-ca.pem", "ca_cert_dir": "/etc/rhsm/ca/"}
    assert {key: doc.get("rhsm", key) for key in KATELLO_KEYS} == KATELLO_KEYS
    assert "\nmanage_repos = 1\npackage_profile_on_trans = 1\n" in text  # after the last key
    assert text.endswith("[logging]\ndefault_log_level = INFO\n")
    assert_cycle(laid_out(), ctx, root, before, text)


def test_layout_sets_a_baseurl_the_file_does_not_have(ctx, root):
    before = ("[server]\nhostname = subscription.rhsm.redhat.com\nprefix = /subscription\n"
              "port = 443\n\n[rhsm]\nca_cert_dir = /etc/rhsm/ca/\n"
              "repo_ca_cert = %(ca_cert_dir)sredhat-uep.pem\n")
    text = render_text(laid_out(), before)
    assert read_rhsm(text)["baseurl"] == "https://smartproxy.example.test/pulp/content/"
    assert read_rhsm(text)["prefix"] == "/rhsm"
    assert_cycle(laid_out(), ctx, root, before, text)


def test_layout_moves_another_proxys_pulp2_layout(ctx, root):
    before = data("rhsm_conf", "pulp2.conf").replace("prefix = /rhsm", "prefix = /katello/api")
    text, notes = laid_out().render(before)
    assert read_rhsm(text)["port"] == "443"
    assert read_rhsm(text)["prefix"] == "/rhsm"
    assert read_rhsm(text)["baseurl"] == "https://smartproxy.example.test/pulp/content/"
    assert "server.port: 8443 -> 443" in notes
    assert "server.prefix: /katello/api -> /rhsm" in notes
    # Two of the Katello keys were there already: only the third is added.
    assert [note for note in notes if "profile" in note or "refresh" in note] == [
        "rhsm.package_profile_on_trans: (unset) -> 1"]
    assert_cycle(laid_out(), ctx, root, before, text)


def test_a_pulp2_layout_keeps_a_pulp2_file_but_for_the_host(ctx, root):
    pulp2 = Layout(8443, "/rhsm", "/pulp/repos")
    text = render_text(laid_out(pulp2), data("rhsm_conf", "pulp2.conf"))
    assert (read_rhsm(text)["port"], read_rhsm(text)["baseurl"]) == (
        "8443", "https://smartproxy.example.test/pulp/repos")


def test_layout_gives_way_to_an_explicit_port_and_prefix():
    text = render_text(laid_out(port=8443, prefix="/katello/api"), data("rhsm_conf", "cdn.conf"))
    assert (read_rhsm(text)["port"], read_rhsm(text)["prefix"]) == ("8443", "/katello/api")


def test_a_correct_file_is_unchanged_with_a_layout(ctx, root):
    settled = render_text(laid_out(), data("rhsm_conf", "current.conf"))
    assert laid_out().render(settled) == (settled, [])
    assert_cycle(laid_out(), ctx, root, settled, settled)
    assert laid_out().run(ctx).status == Status.UNCHANGED


@pytest.mark.parametrize("baseurl", [
    "https://SmartProxy.Example.TEST/pulp/content/",
    "https://smartproxy.example.test/pulp/content",
    "https://smartproxy.example.test./pulp/content/",
    "HTTPS://smartproxy.example.test/pulp/content/",
])
def test_the_baseurl_comparison_ignores_host_case_and_a_trailing_slash(baseurl):
    settled = render_text(laid_out(), data("rhsm_conf", "current.conf"))
    text = settled.replace("baseurl = https://smartproxy.example.test/pulp/content/",
                           "baseurl = " + baseurl)
    assert text != settled
    assert laid_out().render(text) == (text, [])


@pytest.mark.parametrize("baseurl", [
    "https://smartproxy.example.test:443/pulp/content/",
    "https://smartproxy.example.test:8443/pulp/content/",
    "http://smartproxy.example.test/pulp/content/",
    "https://proxy02.example.test/pulp/content/",
    "https://smartproxy.example.test/pulp/repos",
    "https://smartproxy.example.test/",
    "",
])
def test_the_baseurl_comparison_sees_a_port_a_scheme_a_host_or_a_path(baseurl):
    settled = render_text(laid_out(), data("rhsm_conf", "current.conf"))
    text = settled.replace("baseurl = https://smartproxy.example.test/pulp/content/",
                           "baseurl = " + baseurl)
    new, notes = laid_out().render(text)
    assert new == settled
    assert notes == ["rhsm.baseurl: %s -> https://smartproxy.example.test/pulp/content/" % (
        baseurl or "(empty)")]


@pytest.mark.parametrize("value", ["0", "", "true", " 1"])
def test_katello_keys_other_than_1_are_set(value):
    settled = render_text(laid_out(), data("rhsm_conf", "current.conf"))
    text = settled.replace("report_package_profile = 1", "report_package_profile =" + (
        " " + value if value else ""))
    new, notes = laid_out().render(text)
    if value == " 1":
        assert (new, notes) == (text, [])  # spacing only
    else:
        assert new == settled
        assert notes == ["rhsm.report_package_profile: %s -> 1" % (value or "(empty)")]


def test_without_a_layout_the_katello_keys_are_not_added():
    text = render_text(writer(), data("rhsm_conf", "cdn.conf"))
    assert "package_profile_on_trans" not in text and "full_refresh_on_yum" not in text


def test_proxy_settings_are_kept_without_being_asked(ctx, root):
    """--preserve-rhsm-proxy or not, no proxy_* key changes: bootstrap.py needed the option
    against the consumer RPM's script, which lbenroll never runs."""
    text = data("rhsm_conf", "current.conf").replace(
        "proxy_hostname =", "proxy_hostname = webproxy.example.test").replace(
        "proxy_port =", "proxy_port = 3128")
    seed(root, {"/etc/rhsm/rhsm.conf": text})
    before = read_proxy_settings(text)
    assert before["proxy_hostname"] == "webproxy.example.test"
    writer().run(ctx)
    assert read_proxy_settings((root / "etc/rhsm/rhsm.conf").read_text()) == before


# rhsm.manage_repos (Global Registration sets it to 1; docs/katello-client-facts.md, "Parity with
# Global Registration").
OFF = data("rhsm_conf", "current.conf").replace("manage_repos = 1", "manage_repos = 0")


def test_manage_repos_0_becomes_1_and_nothing_else_of_it_changes(ctx, root):
    expected = data("rhsm_conf", "current.expected.conf")
    assert OFF != data("rhsm_conf", "current.conf")  # the golden file has the key
    result = assert_cycle(writer(), ctx, root, OFF, expected)
    assert "rhsm.manage_repos: 0 -> 1" in result.detail
    assert result.data["manage_repos_was"] == "0"


@pytest.mark.parametrize("value", ["1", " 1", "", "yes"])
def test_manage_repos_that_is_on_is_left_as_written(value):
    # subscription-manager manages repositories unless the value reads as the integer 0
    # (absent, empty and not-a-number included): no churn for those.
    text = data("rhsm_conf", "current.expected.conf").replace("manage_repos = 1",
                                                             "manage_repos =%s" % value)
    rendered = writer().render(text)
    assert rendered == (text, [])


def test_absent_manage_repos_is_not_added():
    text = data("rhsm_conf", "current.expected.conf").replace("manage_repos = 1\n", "")
    assert writer().render(text)[0] == text


def test_preserve_keeps_manage_repos_0_and_says_it_was_0():
    text, notes, found = writer(manage_repos=False).render(OFF)
    assert "manage_repos = 0\n" in text
    assert not any("manage_repos" in note for note in notes)
    assert found == {"manage_repos_was": "0"}


def test_manage_repos_00_counts_as_0():
    text, notes, found = writer().render(OFF.replace("manage_repos = 0", "manage_repos = 00"))
    assert "manage_repos = 1\n" in text and found == {"manage_repos_was": "00"}
