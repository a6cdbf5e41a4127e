import os

import pytest

from lbenroll import consumer
from lbenroll.errors import ConfigError, DataError, ExitCode
from tests.conftest import DATA
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


def test_missing_script_is_refused():
    data, payload = package(files={"./etc/other": b"x"})
    with pytest.raises(DataError) as exc:
        parse(data, payload)
    assert "/usr/bin/katello-rhsm-consumer" in exc.value.message


def test_pin_mismatch_is_a_config_error_naming_both_fingerprints():
    data, payload = package()
    result = parse(data, payload)
    consumer.check_pin(result, CA_SHA256)  # matching pin passes
    with pytest.raises(ConfigError) as exc:
        consumer.check_pin(result, "00" * 32)
    assert consumer.pretty_fingerprint(CA_SHA256) in exc.value.message
    assert "proxy02.example.test" in exc.value.message


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
    monkeypatch.setattr(consumer, "download", lambda url, timeout: data)
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
    data, payload = package(files={"./usr/bin/katello-rhsm-consumer": script().encode(),
                                   "./usr/share/big": b"\0" * (65 * 1024)})
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
