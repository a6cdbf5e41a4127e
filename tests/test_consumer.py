import os

import pytest

from lbenroll import consumer, rpmfile
from lbenroll.errors import ConfigError, DataError, ExitCode
from tests.conftest import DATA, seed
from tests.rpmbytes import cpio, rpm

CA = open(os.path.join(DATA, "pki", "ca.pem")).read()
OTHER_CA = open(os.path.join(DATA, "pki", "other-ca.pem")).read()
CA_SHA256 = open(os.path.join(DATA, "pki", "ca.sha256")).read().strip()
URL = "http://smartproxy.example.test/pub/katello-ca-consumer-latest.noarch.rpm"


def script(server_ca=CA, default_ca=OTHER_CA, port="443"):
    return ("#!/bin/bash\nset -e\n"
            "read -r -d '' KATELLO_DEFAULT_CA_DATA << EOM || true\n%s\nEOM\n\n"
            "read -r -d '' KATELLO_SERVER_CA_DATA << EOM || true\n%s\nEOM\n\n"
            "KATELLO_SERVER=proxy02.example.test\nPORT=%s\nPREFIX=/rhsm\n") % (
                default_ca.strip(), server_ca.strip(), port)


def package(name="katello-ca-consumer-proxy02.example.test", files=None):
    payload = cpio(files if files is not None else
                   {"./usr/bin/katello-rhsm-consumer": script().encode()})
    return rpm(name, "1.0", "2", payload), payload


def parse(data, payload):
    return consumer.parse(URL, data, lambda consume: consume(payload))


def test_parse_names_answering_proxy_ca_and_port():
    rpm_data, payload = package()
    result = parse(rpm_data, payload)
    assert result.answering_proxy == "proxy02.example.test"
    assert result.package.nvr == "katello-ca-consumer-proxy02.example.test-1.0-2"
    assert result.fingerprint == CA_SHA256  # the SERVER CA block, not the default CA
    assert result.rhsm_port == 443


def test_pulp2_layout_port_8443():
    payload = cpio({"./usr/bin/katello-rhsm-consumer": script(port="8443").encode()})
    assert parse(rpm("katello-ca-consumer-p1", payload=payload), payload).rhsm_port == 8443


def test_html_page_is_a_data_error_with_a_fix():
    with pytest.raises(DataError) as exc:
        parse(b"<html><body>Service Unavailable</body></html>" + b" " * 100, b"")
    assert exc.value.exit_code == ExitCode.DATAERR
    assert "<html>" in exc.value.message and exc.value.fix


def test_other_package_is_refused():
    data, payload = package(name="httpd")
    with pytest.raises(DataError) as exc:
        parse(data, payload)
    assert "not a katello-ca-consumer package" in exc.value.message


@pytest.mark.parametrize("name,version,release", [
    ("katello-ca-consumer-evil\x1b]0;owned\x07.example.test", "1.0", "2"),
    ("katello-ca-consumer-proxy02.example.test", "1.0\x1b[2J", "2"),
    ("katello-ca-consumer-proxy02.example.test", "1.0", "2\nfake: all good"),
    ("katello-ca-consumer-proxy 02", "1.0", "2"),
])
def test_header_names_rpm_would_not_build_are_refused_and_shown_escaped(name, version,
                                                                         release):
    # The header comes from the network: a name, version or release with characters rpm does
    # not allow (control characters, a terminal escape, a new line, a space) never reaches a
    # message or the report as it is.
    payload = cpio({"./usr/bin/katello-rhsm-consumer": script().encode()})
    with pytest.raises(DataError) as exc:
        parse(rpm(name, version, release, payload), payload)
    assert exc.value.exit_code == ExitCode.DATAERR
    text = exc.value.message + (exc.value.fix or "")
    assert not any(ord(c) < 32 or c == "\x7f" for c in text), text
    assert "characters rpm does not allow" in exc.value.message


def test_missing_script_is_refused():
    data, payload = package(files={"./etc/other": b"x"})
    with pytest.raises(DataError) as exc:
        parse(data, payload)
    assert "/usr/bin/katello-rhsm-consumer" in exc.value.message


OTHER_SHA256 = consumer.fingerprint(OTHER_CA)


def test_a_pin_covers_every_ca_the_package_carries():
    result = parse(*package())  # server CA and another default CA
    assert [role for role, _ in result.cas] == ["server CA", "default CA"]
    consumer.check_trust(result, consumer.Trust(pins=[CA_SHA256, OTHER_SHA256]))
    with pytest.raises(ConfigError) as exc:  # the default CA is not pinned: refused
        consumer.check_trust(result, consumer.Trust(pins=[CA_SHA256]))
    assert "default CA SHA-256 %s" % consumer.pretty_fingerprint(OTHER_SHA256) in \
        exc.value.message
    assert "--ca-fingerprint %s" % OTHER_SHA256 in exc.value.fix
    assert exc.value.exit_code == ExitCode.CONFIG


def test_a_ca_file_or_the_hosts_trust_covers_a_ca_like_a_pin():
    result = parse(*package())
    consumer.check_trust(result, consumer.Trust(pins=[CA_SHA256], given=[OTHER_CA]))
    consumer.check_trust(result, consumer.Trust(trusted=[CA, OTHER_CA]))
    assert consumer.check_trust(result, consumer.Trust()) == []  # first contact: taken


def test_any_other_certificate_in_the_script_must_be_pinned_too():
    text = script(default_ca=CA).encode() + (
        "\ncat > /etc/pki/ca-trust/source/anchors/x.pem << EOM\n%sEOM\n" % OTHER_CA).encode()
    payload = cpio({"./usr/bin/katello-rhsm-consumer": text})
    result = parse(rpm("katello-ca-consumer-p1", payload=payload), payload)
    assert [role for role, _ in result.cas] == ["server CA", "certificate"]
    with pytest.raises(ConfigError) as exc:
        consumer.check_trust(result, consumer.Trust(pins=[CA_SHA256]))
    assert "certificate SHA-256 %s" % consumer.pretty_fingerprint(OTHER_SHA256) in \
        exc.value.message


def test_another_ca_on_a_host_that_trusts_one_needs_rotate_ca_and_a_pin():
    result = parse(*package())
    trusted_other = consumer.Trust(trusted=[OTHER_CA], pins=[CA_SHA256])
    with pytest.raises(ConfigError) as exc:  # pinned, but no --rotate-ca
        consumer.check_trust(result, trusted_other)
    assert "--rotate-ca" in exc.value.message and "--rotate-ca" in exc.value.fix
    with pytest.raises(ConfigError) as exc:  # neither pinned nor rotating: another Katello
        consumer.check_trust(result, consumer.Trust(trusted=[OTHER_CA]))
    assert "trusts another Katello CA" in exc.value.message
    assert "--rotate-ca --ca-fingerprint %s" % CA_SHA256 in exc.value.fix
    rotated = consumer.check_trust(result, consumer.Trust(
        trusted=[OTHER_CA], pins=[CA_SHA256], rotate=True))
    assert rotated == [("server CA", CA_SHA256)]


def test_pretty_fingerprint():
    assert consumer.pretty_fingerprint("ab01ff") == "AB:01:FF"


def _never_unpacked(_data):
    raise AssertionError("the payload was unpacked")


def test_the_installed_script_is_used_when_the_header_names_its_digest():
    text = script().encode()
    data = rpm("katello-ca-consumer-proxy02.example.test", "1.0", "2",
               files={consumer.SCRIPT_PATH: text})
    parsed = consumer.parse(URL, data, _never_unpacked, installed_script=text)
    assert parsed.server_ca_pem.strip() == CA.strip()
    assert parsed.fingerprint == CA_SHA256


def test_an_installed_script_of_another_package_is_not_used():
    served = script(server_ca=OTHER_CA).encode()
    payload = cpio({"./usr/bin/katello-rhsm-consumer": served})
    data = rpm("katello-ca-consumer-proxy02.example.test", "1.0", "2", payload,
               files={consumer.SCRIPT_PATH: served})
    parsed = consumer.parse(URL, data, lambda consume: consume(payload),
                            installed_script=script().encode())
    assert parsed.server_ca_pem.strip() == OTHER_CA.strip()


def test_fetch_reads_the_host_script_and_runs_no_rpm2cpio_for_the_installed_package(
        ctx, root, fake_runner, tmp_path, monkeypatch):
    text = script().encode()
    data = rpm("katello-ca-consumer-proxy02.example.test", "1.0", "2",
               payload=cpio({"./usr/bin/katello-rhsm-consumer": text}),
               files={consumer.SCRIPT_PATH: text})
    monkeypatch.setattr(consumer, "download", lambda url, timeout, cadata=None: data)
    (root / "usr" / "bin").mkdir(parents=True)
    (root / "usr" / "bin" / "katello-rhsm-consumer").write_bytes(text)
    assert consumer.fetch(ctx, "smartproxy.example.test", "http",
                          str(tmp_path)).fingerprint == CA_SHA256
    assert fake_runner.calls == []
    (root / "usr" / "bin" / "katello-rhsm-consumer").write_bytes(text + b"# edited\n")
    fake_runner.expect(["rpm2cpio"], 0, cpio({"./usr/bin/katello-rhsm-consumer": text}))
    assert consumer.fetch(ctx, "smartproxy.example.test", "http",
                          str(tmp_path)).fingerprint == CA_SHA256
    assert [call[0] for call in fake_runner.calls] == ["rpm2cpio"]


def refused(data, payload):
    with pytest.raises(DataError) as exc:
        parse(data, payload)
    assert exc.value.exit_code == ExitCode.DATAERR
    assert "nothing was installed" in exc.value.message
    return exc.value.message


def test_a_package_with_one_more_file_is_refused_naming_it():
    text = script().encode()
    files = {"./usr/bin/katello-rhsm-consumer": text, "./etc/cron.d/katello": b"* * * * * root x"}
    payload = cpio(files)
    message = refused(rpm("katello-ca-consumer-p1", payload=payload), payload)
    assert "files besides /usr/bin/katello-rhsm-consumer: /etc/cron.d/katello" in message


def test_an_extra_file_name_with_a_terminal_escape_is_shown_escaped():
    text = script().encode()
    files = {"./usr/bin/katello-rhsm-consumer": text, "./etc/\x1b]0;x\x07evil": b"x"}
    payload = cpio(files)
    message = refused(rpm("katello-ca-consumer-p1", payload=payload), payload)
    assert "\x1b" not in message and "\\x1b]0;x\\x07evil" in message


def test_a_setuid_or_writable_script_is_refused():
    text = script().encode()
    payload = cpio({"./usr/bin/katello-rhsm-consumer": text})
    for mode in (0o104755, 0o102755, 0o100777, 0o120777):
        data = rpm("katello-ca-consumer-p1", payload=payload,
                   modes={consumer.SCRIPT_PATH: mode})
        assert "not a plain executable file (mode %o)" % mode in refused(data, payload)


def test_a_package_with_a_trigger_is_refused():
    payload = cpio({"./usr/bin/katello-rhsm-consumer": script().encode()})
    for tags in ([(1065, 8, ["echo x"]), (1066, 8, ["bash"])],
                 [(5066, 8, ["echo x"]), (5069, 8, ["/usr/sbin"])]):
        data = rpm("katello-ca-consumer-p1", payload=payload, extra=tags)
        assert "trigger scriptlets" in refused(data, payload)


def test_a_header_digest_other_than_the_script_read_is_refused():
    payload = cpio({"./usr/bin/katello-rhsm-consumer": script().encode()})
    data = rpm("katello-ca-consumer-p1", payload=payload,
               files={consumer.SCRIPT_PATH: b"#!/bin/sh\nsomething else\n"})
    assert "header's digest" in refused(data, payload)


def test_the_genuine_layout_passes_the_payload_rule():
    text = script().encode()
    payload = cpio({"./usr/bin/katello-rhsm-consumer": text})
    parsed = parse(rpm("katello-ca-consumer-p1", payload=payload), payload)
    [entry] = parsed.package.files
    assert entry.path == consumer.SCRIPT_PATH and entry.mode == 0o100755


class Downloads(object):
    """consumer.download stood in for: records (url, cadata) and answers from a dict."""

    def __init__(self, answers):
        self.answers, self.calls = answers, []

    def __call__(self, url, timeout, cadata=None):
        self.calls.append((url, cadata))
        return self.answers[url.split("/", 3)[-1]]


def fetch_with(monkeypatch, ctx, tmp_path, trust, answers):
    downloads = Downloads(answers)
    monkeypatch.setattr(consumer, "download", downloads)
    return consumer.fetch(ctx, "smartproxy.example.test", "http", str(tmp_path), trust), \
        downloads.calls


def consumer_rpm_answer():
    text = script(default_ca=CA).encode()
    return {"pub/katello-ca-consumer-latest.noarch.rpm": rpm(
        "katello-ca-consumer-p1", payload=cpio({"./usr/bin/katello-rhsm-consumer": text}),
        files={consumer.SCRIPT_PATH: text})}


def test_a_known_ca_makes_the_download_https_verified_against_it(
        ctx, fake_runner, tmp_path, monkeypatch):
    fake_runner.expect(["rpm2cpio"], 0, cpio({
        "./usr/bin/katello-rhsm-consumer": script(default_ca=CA).encode()}))
    rpm_, calls = fetch_with(monkeypatch, ctx, tmp_path, consumer.Trust(trusted=[CA]),
                             consumer_rpm_answer())
    assert calls == [("https://smartproxy.example.test/pub/katello-ca-consumer-latest.noarch.rpm",
                      CA)]
    assert rpm_.verified


def test_first_contact_uses_the_download_method_unverified(ctx, fake_runner, tmp_path,
                                                           monkeypatch):
    fake_runner.expect(["rpm2cpio"], 0, cpio({
        "./usr/bin/katello-rhsm-consumer": script(default_ca=CA).encode()}))
    rpm_, calls = fetch_with(monkeypatch, ctx, tmp_path, consumer.Trust(), consumer_rpm_answer())
    assert calls == [(URL, None)] and not rpm_.verified


def test_a_pin_alone_verifies_against_the_published_server_ca_it_pins(
        ctx, fake_runner, tmp_path, monkeypatch):
    fake_runner.expect(["rpm2cpio"], 0, cpio({
        "./usr/bin/katello-rhsm-consumer": script(default_ca=CA).encode()}))
    answers = consumer_rpm_answer()
    answers["pub/katello-server-ca.crt"] = CA.encode()
    rpm_, calls = fetch_with(monkeypatch, ctx, tmp_path, consumer.Trust(pins=[CA_SHA256]),
                             answers)
    assert calls[0] == ("http://smartproxy.example.test/pub/katello-server-ca.crt", None)
    assert calls[1][0].startswith("https://") and calls[1][1] == CA and rpm_.verified
    answers["pub/katello-server-ca.crt"] = OTHER_CA.encode()
    with pytest.raises(ConfigError) as exc:
        fetch_with(monkeypatch, ctx, tmp_path, consumer.Trust(pins=[CA_SHA256]), answers)
    assert consumer.pretty_fingerprint(OTHER_SHA256) in exc.value.message


def test_a_repair_never_downloads_unverified(ctx, tmp_path, monkeypatch):
    with pytest.raises(ConfigError) as exc:
        fetch_with(monkeypatch, ctx, tmp_path, consumer.Trust(repair=True), {})
    assert "a repair installs nothing downloaded without verification" in exc.value.message


def test_a_script_larger_than_any_katello_script_is_refused_from_the_header():
    payload = cpio({"./usr/bin/katello-rhsm-consumer": script().encode()})
    data = rpm("katello-ca-consumer-p1", payload=payload, files={
        consumer.SCRIPT_PATH: script().encode() + b"\0" * consumer.MAX_SCRIPT_SIZE})
    assert "not a script of at most" in refused(data, payload)


def test_a_trusted_ca_that_does_not_load_is_a_config_error_not_a_traceback():
    damaged = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    with pytest.raises(ConfigError) as exc:
        consumer.download("https://smartproxy.example.test/pub/x.rpm", 5, cadata=damaged)
    assert "does not load" in exc.value.message


def test_a_damaged_ca_file_on_the_host_is_no_anchor(ctx, root):
    (root / "etc/rhsm/ca").mkdir(parents=True)
    (root / "etc/rhsm/ca/katello-server-ca.pem").write_text(
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    (root / "etc/rhsm/ca/katello-default-ca.pem").write_text(CA)
    assert consumer.trusted_cas(ctx) == [CA.strip() + "\n"]


def test_a_damaged_ca_block_is_bad_data_not_a_traceback():
    body = CA.strip().splitlines()
    damaged = "\n".join([body[0], body[1][:-1]] + body[2:])  # base64 one character short
    text = script(server_ca=damaged, default_ca=damaged).encode()
    data, payload = package(files={"./usr/bin/katello-rhsm-consumer": text})
    with pytest.raises(DataError) as exc:
        parse(data, payload)
    assert exc.value.exit_code == ExitCode.DATAERR
    assert "carries no CA certificate" in exc.value.message


def test_many_unterminated_pem_blocks_are_read_in_linear_time():
    """The PEM pattern's body used to match anything: each BEGIN was tried to the text's end."""
    import time
    text = "-----BEGIN CERTIFICATE-----\nMIIB\n" * 20000 + CA
    started = time.monotonic()
    assert consumer.first_pem(text).strip() == CA.strip()
    assert time.monotonic() - started < 5


def test_a_payload_over_the_limit_is_bad_data_naming_package_url_and_limit(monkeypatch):
    monkeypatch.setattr("lbenroll.rpmfile.PAYLOAD_LIMIT", 64 * 1024)
    text = script().encode()
    # The header lists the script alone (so the header's rule passes); the payload lies.
    payload = cpio({"./usr/bin/katello-rhsm-consumer": text,
                    "./usr/share/big": b"\0" * (65 * 1024)})
    data = rpm("katello-ca-consumer-proxy02.example.test", "1.0", "2", payload,
               files={"/usr/bin/katello-rhsm-consumer": text})
    fed = []

    def extract(consume):
        for start in range(0, len(payload), 4096):
            fed.append(start)
            consume(payload[start:start + 4096])
    with pytest.raises(DataError) as exc:
        consumer.parse(URL, data, extract)
    assert exc.value.exit_code == ExitCode.DATAERR
    assert "katello-ca-consumer-proxy02.example.test-1.0-2" in exc.value.message
    assert URL in exc.value.message and "larger than 64 KiB unpacked" in exc.value.message
    assert len(fed) * 4096 <= 64 * 1024 + 4096  # stopped at the piece that crossed the limit


# -- the consumer certificate ---------------------------------------------------------------------

CONSUMER_PKI = os.path.join(os.path.dirname(__file__), "data", "pki", "consumer")


def _pki(name):
    with open(os.path.join(CONSUMER_PKI, name)) as f:
        return f.read()


@pytest.mark.parametrize("cert,problem", [
    ("valid.pem", None),  # notAfter 2126: a GeneralizedTime
    ("expired.pem", "expired on 2021-01-01T00:00:00 UTC"),  # a UTCTime
    ("foreign.pem", "is not issued by a Katello CA this host trusts"),
    (None, "there is no /etc/pki/consumer/cert.pem"),
    ("garbage", "is not a certificate"),
])
def test_the_consumer_certificate_stands_when_unexpired_and_from_the_trusted_ca(ctx, root, cert,
                                                                                problem):
    files = {"/etc/rhsm/ca/katello-default-ca.pem": _pki("ca.pem")}
    if cert:
        files["/etc/pki/consumer/cert.pem"] = (
            _pki(cert) if cert.endswith(".pem") else "-----BEGIN CERTIFICATE-----\nAAAA\n"
                                                     "-----END CERTIFICATE-----\n")
    seed(root, files)
    found = consumer.consumer_cert_problem(ctx)
    assert found == problem if problem is None else problem in found


def test_a_consumer_certificate_is_judged_at_the_time_given(ctx, root):
    seed(root, {"/etc/rhsm/ca/katello-default-ca.pem": _pki("ca.pem"),
                "/etc/pki/consumer/cert.pem": _pki("expired.pem")})
    assert consumer.consumer_cert_problem(ctx, now="2020-06-01 00:00:00") is None
    assert consumer.consumer_cert_problem(ctx, now="2021-01-01 00:00:00") is not None


# -- the dependency rule: what a consumer package may provide, require, obsolete --------------

# The dependency sets as rpmbuild 4.18 writes them for the lab's consumer package, built the
# way Katello's is (tests/lab/files/katello-ca-consumer.spec.in): its own name = EVR; the
# script's #!/bin/bash (flags "auto"), /bin/sh for %post and %postun ("post,interp",
# "postun,interp"), rpmlib() features ("rpmlib", <=) and the spec's subscription-manager.
RPMLIB_LE = (1 << 24) | 0x08 | 0x02
UPSTREAM_LIKE = [
    (1047, 8, ["katello-ca-consumer-p1"]), (1112, 4, [0x08]), (1113, 8, ["1.0-1"]),
    (1048, 4, [1 << 14, 0x500, 0x1100, RPMLIB_LE, RPMLIB_LE, RPMLIB_LE, RPMLIB_LE, 0]),
    (1049, 8, ["/bin/bash", "/bin/sh", "/bin/sh", "rpmlib(CompressedFileNames)",
               "rpmlib(FileDigests)", "rpmlib(PayloadFilesHavePrefix)", "rpmlib(PayloadIsXz)",
               "subscription-manager"]),
    (1050, 8, ["", "", "", "3.0.4-1", "4.6.0-1", "4.0-1", "5.2-1", ""])]


def with_dependencies(extra):
    payload = cpio({"./usr/bin/katello-rhsm-consumer": script().encode()})
    return rpm("katello-ca-consumer-p1", payload=payload, extra=extra), payload


def dependency_refusal(extra):
    data, payload = with_dependencies(extra)
    unpacked = []
    with pytest.raises(DataError) as exc:
        consumer.parse(URL, data, unpacked.append)
    assert exc.value.exit_code == ExitCode.DATAERR
    assert "nothing was installed" in exc.value.message
    assert unpacked == []  # refused from the header, before rpm2cpio
    return exc.value


def test_a_header_like_upstreams_passes_the_dependency_rule():
    data, payload = with_dependencies(UPSTREAM_LIKE)
    parsed = parse(data, payload)
    assert [d.name for d in parsed.package.dependencies["Requires"]][-1] == "subscription-manager"
    # and with the usr-merged shell paths a newer rpmbuild may write
    requires = [(1048, 4, [0x500, 1 << 14]), (1049, 8, ["/usr/bin/sh", "/usr/bin/bash"]),
                (1050, 8, ["", ""])]
    assert parse(*with_dependencies(requires)).package.nvr == "katello-ca-consumer-p1-1.0-1"


def test_obsoletes_is_refused_naming_the_packages_and_the_rpm_query_to_run():
    error = dependency_refusal([(1090, 8, ["openssh-server", "audit", "sudo"]),
                                (1114, 4, [0, 0, 0]), (1115, 8, ["", "", ""])])
    assert ("Obsoletes: openssh-server, audit, sudo (rpm would erase the installed packages it "
            "names") in error.message
    assert "katello-ca-consumer-p1-1.0-1 from %s" % URL in error.message
    assert error.fix.startswith("check the consumer RPM on the Smart Proxies: `rpm -qp "
                                "--obsoletes %s`" % URL)


def test_the_reviewers_single_obsoletes_is_refused():
    error = dependency_refusal([(1090, 8, ["openssh-server"]), (1114, 4, [0]), (1115, 8, [""])])
    assert "Obsoletes: openssh-server (" in error.message


def test_conflicts_is_refused_with_its_version():
    error = dependency_refusal([(1054, 8, ["openssl"]), (1053, 4, [0x02 | 0x08]),
                                (1055, 8, ["9.9"])])
    assert "Conflicts: openssl <= 9.9 (rpm and dnf would refuse" in error.message
    assert "`rpm -qp --conflicts " in error.fix


def test_a_provides_other_than_its_own_name_is_refused():
    error = dependency_refusal([(1047, 8, ["katello-ca-consumer-p1", "openssh-server"]),
                                (1112, 4, [0x08, 0x08]), (1113, 8, ["1.0-1", "99"])])
    assert "Provides: openssh-server = 99 (" in error.message
    assert "katello-ca-consumer-p1 =" not in error.message


def test_a_provides_of_its_own_config_is_no_stand_in():
    # rpmbuild adds config(<name>) for %config files; Katello's package has none, an older or
    # hand-built one might.
    own_config = [(1047, 8, ["katello-ca-consumer-p1", "config(katello-ca-consumer-p1)"]),
                  (1112, 4, [0x08, 0x08]), (1113, 8, ["1.0-1", "1.0-1"])]
    data, payload = with_dependencies(UPSTREAM_LIKE[3:] + own_config)
    parse(data, payload)  # no DataError
    error = dependency_refusal([(1047, 8, ["katello-ca-consumer-p1", "config(openssh-server)"]),
                                (1112, 4, [0x08, 0x08]), (1113, 8, ["1.0-1", "1.0-1"])])
    assert "Provides: config(openssh-server) = 1.0-1" in error.message


@pytest.mark.parametrize("name, flags, version, shown", [
    ("subscription-manager", 0x02, "1.0", "subscription-manager < 1.0"),
    ("openssh-server", 0x02 | 0x08, "8.0", "openssh-server <= 8.0"),
    ("lab-extra", 0, "", "lab-extra"),
    ("/bin/sh", 0x04 | 0x08, "1", "/bin/sh >= 1"),
    ("(openssh-server < 8 if sudo)", 0, "", "(openssh-server < 8 if sudo)"),
    # an rpmlib() name without RPMSENSE_RPMLIB: rpm would look for a package providing it
    ("rpmlib(Foo)", 0x02, "9", "rpmlib(Foo) < 9"),
])
def test_a_requirement_katellos_package_does_not_have_is_refused(name, flags, version, shown):
    error = dependency_refusal([(1048, 4, [0, flags]), (1049, 8, ["/bin/sh", name]),
                                (1050, 8, ["", version])])
    assert "Requires: %s (" % shown in error.message
    assert "/bin/sh," not in error.message  # the allowed one is not named


@pytest.mark.parametrize("kind, tags", [
    ("Recommends", (5046, 5048, 5047)), ("Suggests", (5049, 5051, 5050)),
    ("Supplements", (5052, 5054, 5053)), ("Enhances", (5055, 5057, 5056)),
    ("OrderWithRequires", (5035, 5037, 5036)),
    ("Suggests (pre-4.12 tags)", (1156, 1158, 1157)),
    ("Enhances (pre-4.12 tags)", (1159, 1161, 1160)),
])
def test_weak_dependencies_and_ordering_hints_are_refused(kind, tags):
    name_tag, flags_tag, version_tag = tags
    error = dependency_refusal([(name_tag, 8, ["openssh-server"]), (flags_tag, 4, [0]),
                                (version_tag, 8, [""])])
    assert "%s: openssh-server (Katello's consumer package has none)" % kind in error.message


def test_obsoletes_flags_without_names_are_refused_too():
    error = dependency_refusal([(1114, 4, [0])])
    assert "Obsoletes: flags or versions without names" in error.message


def test_a_dependency_name_with_a_terminal_escape_is_shown_escaped():
    error = dependency_refusal([(1054, 8, ["\x1b]0;x\x07evil"])])
    assert "\x1b" not in error.message and "\\x1b]0;x\\x07evil" in error.message


def test_a_dependency_tag_of_the_wrong_type_is_bad_data_not_a_traceback():
    data, payload = with_dependencies([(1090, 6, "openssh-server")])
    with pytest.raises(DataError) as exc:
        parse(data, payload)
    assert "not a usable RPM (RPM header tag 1090 is not a list of str)" in exc.value.message


def test_a_repair_refuses_obsoletes_even_when_the_script_is_the_installed_one():
    data, _payload = with_dependencies([(1090, 8, ["sudo"])])
    with pytest.raises(DataError) as exc:
        consumer.parse(URL, data, _never_unpacked, installed_script=script().encode())
    assert "Obsoletes: sudo (" in exc.value.message


def test_the_header_the_real_rpmbuild_wrote_passes_and_reads_as_rpm_qp_shows_it():
    # tests/data/rpm: the lab's consumer package, built like Katello's (README there); the
    # lists below are what `rpm -qp --provides` and `--requires` print for it (rpm 4.18).
    rpm_dir = os.path.join(DATA, "rpm")
    with open(os.path.join(rpm_dir, "katello-ca-consumer-proxy01.lab.test-1.0-1.noarch.rpm"),
              "rb") as f:
        data = f.read()
    with open(os.path.join(rpm_dir, "katello-ca-consumer-proxy01.lab.test-1.0-1.cpio"),
              "rb") as f:
        payload = f.read()
    package = parse(data, payload).package
    shown = {kind: [rpmfile.dependency_text(d) for d in dependencies]
             for kind, dependencies in package.dependencies.items()}
    assert shown == {
        "Provides": ["katello-ca-consumer-proxy01.lab.test = 1.0-1"],
        "Requires": ["/bin/bash", "/bin/sh", "/bin/sh", "rpmlib(CompressedFileNames) <= 3.0.4-1",
                     "rpmlib(FileDigests) <= 4.6.0-1", "rpmlib(PayloadFilesHavePrefix) <= 4.0-1",
                     "subscription-manager"]}
