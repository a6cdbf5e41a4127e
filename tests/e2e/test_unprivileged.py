"""The lab and lbenroll work for a user who is not root, where user namespaces are allowed."""
import os
import pathlib
import re
import shutil
import subprocess
import tempfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def world_readable_tree():
    """A copy of the tool and the lab that 'nobody' can read: the checkout and pytest's tmp
    directories may live under directories nobody cannot enter."""
    top = tempfile.mkdtemp(prefix="lbenroll-unprivileged-")
    for part in ("lbenroll", "tests"):
        shutil.copytree(os.path.join(REPO, part), os.path.join(top, part),
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for directory, _dirnames, _filenames in os.walk(top):
        os.chmod(directory, 0o755)
    yield pathlib.Path(top)
    shutil.rmtree(top)


def test_demo_runs_as_nobody_inside_a_user_namespace(world_readable_tree):
    if os.geteuid() != 0:
        pytest.skip("needs root to switch to the unprivileged user 'nobody'")
    tree = world_readable_tree
    proc = subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
         "env", "HOME=/tmp", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
         str(tree / "tests" / "lab" / "unprivileged"), "/usr/bin/python3", "-m", "tests.lab.demo"],
        cwd=str(tree), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert re.search(r"^Done: all \d+ checks passed", proc.stdout, re.M), proc.stdout[-4000:]
    assert "FAILED" not in proc.stdout
    # One host: the problem, the cure, a drift repaired, a diagnosis and the removal, in order.
    chapters = [proc.stdout.index(title) for title in (
        "== 1. The problem", "== 2. The cure", "== 3. A drift", "== 4. Diagnose",
        "== 5. --remove")]
    assert chapters == sorted(chapters)
    assert "[server] hostname = proxy0" in proc.stdout  # the problem, shown on the host
    assert "ok: dnf reads its repositories through the balancer" in proc.stdout
