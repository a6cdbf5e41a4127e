"""Fakes for the diagnosis: probe results as the network would have given them."""
import os

from lbenroll.diagnose.hostconf import Repo
from lbenroll.diagnose.proxies import ProxyState
from lbenroll.probe import HttpAnswer, ProbeResult
from tests.conftest import DATA

CA = open(os.path.join(DATA, "pki", "ca.pem")).read()
OTHER_CA = open(os.path.join(DATA, "pki", "other-ca.pem")).read()
LB = "smartproxy.example.test"


def fake_probe(port, proxy="proxy01.example.test", reachable=True, chain_ok=True, names=None,
               protocol_ok=None, detail=None, error=None, host=LB):
    """A ProbeResult: by default a reachable TLS port whose certificate names proxy and LB."""
    probe = ProbeResult(host, port)
    probe.reachable = reachable
    if not reachable:
        probe.error = error or "Connection refused"
        return probe
    probe.chain_ok = chain_ok
    probe.error = error
    if chain_ok:
        probe.names = list(names if names is not None else [proxy, LB])
    probe.protocol_ok, probe.protocol_detail = protocol_ok, detail
    return probe


def http_probe(port, status, body=b"", **kwargs):
    return fake_probe(port, protocol_ok=True, detail=HttpAnswer(status, "X", {}, body), **kwargs)

NAMES = ["proxy01.example.test", "proxy02.example.test", "proxy03.example.test"]
HELLO = Repo("hello", "https://%s/pulp/content/hello" % LB, 443,
             "/pulp/content/hello/repodata/repomd.xml", None)
OTHER = Repo("other", "https://%s/pulp/content/other" % LB, 443,
             "/pulp/content/other/repodata/repomd.xml", None)


def states():
    """Three proxies that resolve, as round one leaves them before any request."""
    return [ProxyState(name, "127.0.2.%d" % n) for n, name in enumerate(NAMES, 1)]


def verdicts(results):
    return {name: result.status.value for name, result in results.items()}
