"""lbenroll.urls: host extraction and replacement keep everything but the host."""
import pytest

from lbenroll.urls import host_of, path_of, replace_host, retarget, same_host, port_of

LB = "smartproxy.example.test"


@pytest.mark.parametrize("url, host", [
    ("https://proxy02.example.test/pulp/content/", "proxy02.example.test"),
    ("https://proxy02.example.test", "proxy02.example.test"),
    ("https://proxy02.example.test:8443/rhsm", "proxy02.example.test"),
    ("mqtts://proxy02.example.test:1883", "proxy02.example.test"),
    ("proxy+amqps://proxy02.example.test:5647", "proxy02.example.test"),
    ("https://user:p%40ss@proxy02.example.test:443/x", "proxy02.example.test"),
    ("https://[fd00::12]:443/pulp", "fd00::12"),
    ("https://[fd00::12]", "fd00::12"),
    ("HTTPS://Proxy02.Example.Test/x", "Proxy02.Example.Test"),
    ("https://proxy02.example.test?x=1", "proxy02.example.test"),
    ("file:///etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release", ""),
    ("/etc/pki/rpm-gpg/key", None),
    ("proxy02.example.test:5647", None),
    ("", None),
])
def test_host_of(url, host):
    assert host_of(url) == host


@pytest.mark.parametrize("url, expected", [
    ("https://proxy02.example.test/pulp/content/", "https://%s/pulp/content/" % LB),
    ("https://proxy02.example.test", "https://%s" % LB),
    ("https://proxy02.example.test:8443/rhsm?a=b#c", "https://%s:8443/rhsm?a=b#c" % LB),
    ("mqtts://proxy02.example.test:1883", "mqtts://%s:1883" % LB),
    ("proxy+amqps://proxy02.example.test:5647", "proxy+amqps://%s:5647" % LB),
    ("https://user:secret@proxy02.example.test:443/x", "https://user:secret@%s:443/x" % LB),
    ("https://[fd00::12]:443/pulp", "https://%s:443/pulp" % LB),
    ("https://proxy02.example.test/$releasever/x86_64", "https://%s/$releasever/x86_64" % LB),
])
def test_replace_host_and_retarget_keep_scheme_userinfo_port_and_path(url, expected):
    assert replace_host(url, LB) == expected
    assert retarget(url, LB) == expected  # a host other than the balancer's: moved


def test_replace_host_brackets_an_ipv6_address():
    assert replace_host("https://proxy02.example.test:4/x", "fd00::1") == "https://[fd00::1]:4/x"
    assert replace_host("https://proxy02.example.test/x", "[fd00::1]") == "https://[fd00::1]/x"


@pytest.mark.parametrize("url", ["file:///etc/pki/key", "/etc/pki/key", "proxy02:5647",
                                 "https://[fd00::12/x"])
def test_replace_host_refuses_what_has_no_host(url):
    with pytest.raises(ValueError):
        replace_host(url, LB)


def test_same_host():
    assert same_host("SmartProxy.Example.Test.", LB)
    assert not same_host("proxy02.example.test", LB)
    assert not same_host(None, LB)


@pytest.mark.parametrize("url,path", [
    ("https://proxy01.example.test/pulp/content/x", "/pulp/content/x"),
    ("https://proxy01.example.test:8443/katello/api/v2/x?rev=2", "/katello/api/v2/x?rev=2"),
    ("https://[fd00::1]:443/pulp/repos", "/pulp/repos"),
    ("https://proxy01.example.test", "/"),
    ("https://proxy01.example.test?x=/pulp/", "/"),
    ("file:///etc/pki/rpm-gpg/KEY", "/etc/pki/rpm-gpg/KEY"),
    ("not a url", None),
])
def test_path_of(url, path):
    assert path_of(url) == path


@pytest.mark.parametrize("url,port", [
    ("mqtts://smartproxy.example.test:1884", 1884),
    ("mqtts://smartproxy.example.test:1884/", 1884),
    ("wss://smartproxy.example.test:8443/mqtt", 8443),
    ("mqtts://smartproxy.example.test/mqtt:9", 1883),   # a colon in the path names no port
    ("mqtts://user:secret@smartproxy.example.test", 1883),
    ("mqtts://[fd00::1]:1885", 1885),
    ("mqtts://[fd00::1]", 1883),
    ("mqtts://smartproxy.example.test:", 1883),
    ("not a url:8080", 1883),
])
def test_port_of(url, port):
    assert port_of(url, 1883) == port


def test_retarget_brackets_an_ipv6_balancer():
    assert retarget("amqps://proxy02.example.test:5647", "fd00::1") == "amqps://[fd00::1]:5647"


@pytest.mark.parametrize("url", [
    "https://%s/pulp/content/" % LB,
    "HTTPS://SmartProxy.Example.Test./pulp/",  # case and a trailing root dot: the same host
    "mqtts://%s:1883" % LB,
    "file:///etc/pki/rpm-gpg/KEY",  # no host
    "/etc/pki/key",  # not a URL
    "",
])
def test_retarget_leaves_what_names_no_host_or_the_balancer(url):
    assert retarget(url, LB) is None
