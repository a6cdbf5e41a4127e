"""Fixtures for the lab's own tests."""
import types

import pytest

from tests.lab.sandbox import Sandbox


@pytest.fixture
def bare_sandbox(tmp_path):
    """Factory for sandboxes without a running lab (no HAProxy, proxies or RPM builds): a hosts
    file naming localhost and an empty rpm database seed. Enough for the stand-ins, the trust
    store and LAB_KILL_AT; rpm works for queries that need no database (`rpm --eval`)."""
    workdir = tmp_path / "lab"
    workdir.mkdir()
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n")
    rpmdb = tmp_path / "rpmdb.sqlite"
    rpmdb.write_bytes(b"")
    lab = types.SimpleNamespace(workdir=str(workdir), hosts_path=str(hosts),
                                rpmdb_seed=str(rpmdb))
    created = []

    def make(name="box", fqdn="client01.example.test"):
        box = Sandbox(lab, name, fqdn)
        created.append(box)
        return box

    yield make
    for box in created:
        box.remove()
