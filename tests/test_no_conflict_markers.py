"""No file of the project keeps a merge's conflict markers: a half-resolved merge must not land."""
import os
import re

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARKER = re.compile(rb"^(<{7} |>{7} |={7}$)", re.M)
# Hidden directories (.git, .venv, .build: tools and build output) and packaging output.
SKIP = ("lbenroll.egg-info", "__pycache__")


def test_no_project_file_holds_a_conflict_marker():
    found = []
    for directory, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in SKIP]
        for name in files:
            path = os.path.join(directory, name)
            if os.path.islink(path):
                continue
            with open(path, "rb") as f:
                data = f.read()
            if b"\0" not in data and MARKER.search(data):
                found.append(os.path.relpath(path, REPO))
    assert found == []
