"""Property tests of the writers' parsers: whatever bytes a host file holds (invalid UTF-8,
NULs, CRs, odd sections, stray quotes), planning never raises anything but an LbenrollError,
and a second plan over the planned bytes changes nothing."""
import pytest

from lbenroll.consumer import Layout
from lbenroll.errors import ConfigError
from lbenroll.writers import lbenroll_conf
from lbenroll.writers.authorized_keys import AuthorizedKeysWriter, parse_key, parse_keys
from lbenroll.writers.base import as_bytes, decode
from lbenroll.writers.puppet_conf import PuppetConfWriter
from lbenroll.writers.redhat_repo import RedhatRepoWriter
from lbenroll.writers.rhsm_conf import RhsmConfWriter, read_proxy_settings, read_rhsm
from lbenroll.writers.yggdrasil import YggdrasilWriter, broker_urls

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, strategies as st  # noqa: E402

BALANCER = "smartproxy.example.test"
KEY = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl "
       "foreman-proxy@proxy01.example.test")

# Pieces of the files lbenroll edits, and the bytes that break naive parsers.
PIECES = [
    "[server]\n", "[rhsm]\n", "[agent]\n", "[main]\n", "[repo-1]\n", "[table]\n", "[", "]",
    "hostname = proxy02.example.test\n", "port = 8443\n", "prefix=/rhsm\n",
    "baseurl = https://proxy02.example.test/pulp/content/\n", "server = proxy02.example.test\n",
    "ca_server: proxy02.example.test\n", "ca_port = 8141\n", "noop = true\n",
    "sslcacert = /etc/rhsm/ca/katello-server-ca.pem\n", "proxy_hostname = squid\n",
    'broker = ["mqtts://proxy02.example.test:1883"]\n', "server = 'mqtts://proxy01:1883'\n",
    "broker = [\n", '  "mqtts://proxy03.example.test:1883",\n', "]\n",
    "    continued\n", "\tcontinued\n", "# comment\n", "; comment\n", "\n", "\r\n", "\r",
    " ", "\t", "=", ":", '"', "'", "\\", "#", "\x00", "\x0c", "\u2028", "\udcff",
    KEY + "\n", "command=\"x y\" " + KEY + "\n", "ssh-rsa AAAA\n",
]
texts = st.lists(st.sampled_from(PIECES) | st.text(max_size=8), max_size=30).map("".join)
# Host bytes: text pieces (lone surrogates become the bytes they stand for) or raw bytes.
host_bytes = (texts.map(lambda text: text.encode("utf-8", "surrogateescape"))
              | st.binary(max_size=300))

WRITERS = {
    "rhsm.conf": lambda: RhsmConfWriter(BALANCER, layout=Layout(443, "/rhsm",
                                                                "/pulp/content/")),
    "redhat.repo": lambda: RedhatRepoWriter(BALANCER),
    "puppet.conf": lambda: PuppetConfWriter(BALANCER, BALANCER, ca_port=8141,
                                            certname="Client01.example.test"),
    "puppet.conf moved": lambda: PuppetConfWriter(BALANCER, "ca.example.test"),
    "yggdrasil": lambda: YggdrasilWriter(BALANCER),
    "authorized_keys": lambda: AuthorizedKeysWriter([parse_key(KEY)]),
    "lbenroll.conf": lambda: lbenroll_conf.LbenrollConfWriter([("server", BALANCER)]),
}


@pytest.mark.parametrize("name", sorted(WRITERS))
@given(current=host_bytes)
def test_any_host_bytes_plan_and_a_second_plan_changes_nothing(name, current):
    writer = WRITERS[name]()
    plan = writer.plan(current)
    if plan.wanted is None:
        return
    wanted = as_bytes(plan.wanted)
    assert not writer.plan(wanted).changed, "second plan of %s changed %r" % (name, wanted)
    if plan.changed:
        plan.diff  # noqa: B018 (the diff is built from any bytes too)


@given(texts)
def test_rhsm_conf_readers_take_any_text(text):
    assert isinstance(read_rhsm(text), dict)
    assert isinstance(read_proxy_settings(text), dict)


@given(texts)
def test_broker_urls_take_any_text(text):
    assert all(isinstance(url, str) for url in broker_urls(text))


@given(texts)
def test_the_record_is_read_or_refused_as_configuration(text):
    try:
        values = lbenroll_conf.parse(text, "/etc/lbenroll/lbenroll.conf")
    except ConfigError as exc:
        assert exc.message.startswith("/etc/lbenroll/lbenroll.conf ")
        return
    assert all(isinstance(key, str) for key in values)


@given(st.lists(st.tuples(st.sampled_from(sorted(lbenroll_conf.BY_KEY)), texts), max_size=5))
def test_the_record_reads_back_what_was_rendered_or_refuses_it(rows):
    rows = list(dict(rows).items())
    try:
        rendered = lbenroll_conf.render(rows)
    except lbenroll_conf.DataError:
        return
    assert lbenroll_conf.parse(rendered) == dict(rows)


@given(host_bytes)
def test_key_files_split_into_keys_and_other_lines(data):
    text = decode(data)
    keys, rejected = parse_keys(text)
    for key in keys:
        assert parse_key(key.line) == key
    assert len(keys) + len(rejected) <= len(text.splitlines())
