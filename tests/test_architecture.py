"""The import contract (.importlinter) that `make lint` checks: the real tree keeps it, a wrong
import breaks the contract it should, and docs/architecture.md draws the same layers.

import-linter reads a copy of lbenroll/ with one import added, in this process: the unit-test
guards allow no subprocess, and it only reads files.
"""
import ast
import os
import re
import shutil
import sys

import pytest

# import-linter 2.17 needs Python 3.11: the EL floors (3.6, 3.9, 3.12 in an RPM's %check) do not
# have it and skip these; `make test` runs them in the main venv, which `make lint` gives it.
pytest.importorskip("importlinter")

from importlinter import api  # noqa: E402  (importing it configures import-linter)
from importlinter.application import use_cases  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTRACT = os.path.join(REPO, ".importlinter")
PAGE = os.path.join(REPO, "docs", "architecture.md")
CONTRACTS = dict((c["id"], c) for c in api.read_configuration(CONTRACT)["contracts_options"])


def lint(tree, monkeypatch, capsys):
    """(kept, output) of import-linter with the contract over tree/lbenroll."""
    # grimp finds the package with importlib.util.find_spec, which answers from sys.modules
    # first: without this it would read the lbenroll these tests imported, not the copy.
    monkeypatch.syspath_prepend(str(tree))
    monkeypatch.delitem(sys.modules, "lbenroll")
    kept = use_cases.lint_imports(CONTRACT, cache_dir=None, no_logo=True)
    return kept, " ".join(capsys.readouterr().out.split())


def verdicts(output):
    """{contract id: "KEPT" or "BROKEN"} from the report's summary lines."""
    return dict((cid, re.search(re.escape(c["name"]) + r" (KEPT|BROKEN)", output).group(1))
                for cid, c in CONTRACTS.items())


def test_the_tree_keeps_every_contract(monkeypatch, capsys):
    kept, output = lint(REPO, monkeypatch, capsys)
    assert kept, output
    assert set(verdicts(output).values()) == {"KEPT"}


# (file under lbenroll/, text added to it, the contracts it breaks, what the report says)
WRONG_IMPORTS = [
    ("host.py", "from lbenroll import app, cli\n",
     {"layers", "steps", "writers", "diagnose", "acyclic"},
     "lbenroll.host is not allowed to import lbenroll.cli"),
    ("writers/gofer.py", "from lbenroll import engine\n",
     {"layers", "steps", "writers", "acyclic"},
     "lbenroll.writers is not allowed to import lbenroll.engine"),
    ("voice.py", "from lbenroll import options\n", {"layers"},
     "lbenroll.voice is not allowed to import lbenroll.options"),
    ("diagnose/balancer.py", "from lbenroll.steps import preflight\n", {"diagnose"},
     "lbenroll.diagnose.balancer -> lbenroll.steps.preflight"),
    ("diagnose/hostconf.py", "from lbenroll import enroll\n", {"diagnose"},
     "lbenroll.enroll -> lbenroll.app"),
    ("steps/update.py", "\n\ndef later():\n    from lbenroll.steps import register\n", {"steps"},
     "lbenroll.steps.update is not allowed to import lbenroll.steps.register"),
    ("writers/gofer.py", "from lbenroll.writers import rhsm_conf\n", {"writers"},
     "lbenroll.writers.gofer is not allowed to import lbenroll.writers.rhsm_conf"),
    ("diagnose/verdicts.py", "from lbenroll.diagnose import report\n", {"acyclic"},
     "No cycles are allowed in lbenroll.diagnose"),
    ("mystery.py", '"""A module in no layer."""\n', {"layers"},
     "The following modules are not listed as layers: - lbenroll.mystery"),
]


@pytest.mark.parametrize("path, added, broken, said", WRONG_IMPORTS,
                         ids=["%s+%s" % (case[0], case[1].split()[-1]) for case in WRONG_IMPORTS])
def test_a_wrong_import_breaks_the_contract(tmp_path, monkeypatch, capsys, path, added, broken,
                                            said):
    shutil.copytree(os.path.join(REPO, "lbenroll"), str(tmp_path / "lbenroll"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    with open(str(tmp_path / "lbenroll" / path), "a") as f:
        f.write(added)
    kept, output = lint(tmp_path, monkeypatch, capsys)
    assert not kept
    assert dict((cid, verdict) for cid, verdict in verdicts(output).items()
                if verdict == "BROKEN") == dict.fromkeys(broken, "BROKEN"), output
    assert said in output, output


def contract_layers():
    """The layers contract's layers, top down: [(frozenset of modules, independent)]."""
    layers = []
    for layer in CONTRACTS["layers"]["layers"]:
        separator = ":" if ":" in layer else "|"
        layers.append((frozenset(m.strip() for m in layer.split(separator)), separator == "|"))
    return layers


def page_layers():
    """The same, read from the layers table of docs/architecture.md: in a row, `a` → `b` are
    two layers and `a` \\| `b` independent siblings (`a`, `b`: siblings that may import each
    other); a file is named as `cli.py`, a package as `steps/`."""
    with open(PAGE, encoding="utf-8") as f:
        lines = f.read().splitlines()
    first = lines.index("| layer | modules | what they own |") + 2
    layers = []
    for line in lines[first:]:
        if not line.startswith("|"):
            break
        modules = re.split(r"(?<!\\)\|", line)[2]
        for layer in modules.split("→"):
            names = frozenset(re.sub(r"(\.py|/)$", "", name).replace("/", ".")
                              for name in re.findall(r"`([^`]+)`", layer))
            layers.append((names, "," not in layer))
    return layers


def test_the_architecture_page_draws_the_contracts_layers():
    assert page_layers() == contract_layers()


def test_the_architecture_page_names_every_other_contract():
    with open(PAGE, encoding="utf-8") as f:
        page = " ".join(f.read().split()).lower()
    for cid, contract in CONTRACTS.items():
        if cid != "layers":
            assert contract["name"].lower() in page, contract["name"]


def imports_by_name(path):
    """Lines of a file that import a module by name (importlib, __import__): an import no
    import graph sees."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        elif isinstance(node, ast.Name):
            names = [node.id]
        else:
            continue
        if any(name.split(".")[0] in ("importlib", "__import__") for name in names):
            lines.append(node.lineno)
    return lines


def test_no_module_imports_another_by_name():
    found = {}
    for directory, _dirs, files in os.walk(os.path.join(REPO, "lbenroll")):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                if imports_by_name(path):
                    found[os.path.relpath(path, REPO)] = imports_by_name(path)
    assert found == {}


@pytest.mark.parametrize("code", ["import importlib\n", "from importlib import import_module\n",
                                  "def f(name):\n    return __import__(name)\n"])
def test_an_import_by_name_is_found(tmp_path, code):
    path = tmp_path / "sneaky.py"
    path.write_text(code)
    assert imports_by_name(str(path)) != []
