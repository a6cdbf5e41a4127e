"""Guards that keep the shape of the code: the order of the steps, and who may import whom.

docs/architecture.md draws the layers these tests hold: the enrollment never imports
diagnose, diagnose imports no step and not the engine, and no step imports another step.
"""
import ast
import os

import pytest

import lbenroll
from lbenroll import engine

PACKAGE = os.path.dirname(os.path.abspath(lbenroll.__file__))


def modules():
    """{dotted module name: path} of every module of the package."""
    found = {}
    for directory, _dirs, files in os.walk(PACKAGE):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                rel = os.path.relpath(path, os.path.dirname(PACKAGE))[:-3].replace(os.sep, ".")
                found[rel[:-len(".__init__")] if rel.endswith(".__init__") else rel] = path
    return found


def imported(path):
    """Every lbenroll module a file imports, at any depth of its code (lazy imports too)."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update("%s.%s" % (node.module, alias.name) for alias in node.names)
    return {name for name in names if name.split(".")[0] == "lbenroll"}


def importing(prefix):
    return {module: imported(path) for module, path in modules().items()
            if module == prefix or module.startswith(prefix + ".")}


def test_modules_are_found():
    assert "lbenroll.engine" in modules() and "lbenroll.diagnose.cli" in modules()
    assert "lbenroll.steps.base" in imported(modules()["lbenroll.engine"]) | {
        "lbenroll.steps.base"}


def test_diagnose_imports_neither_the_engine_nor_a_step():
    for module, names in importing("lbenroll.diagnose").items():
        bad = sorted(n for n in names if n == "lbenroll.engine" or n.startswith("lbenroll.steps")
                     or n in ("lbenroll.app",))
        assert bad == [], "%s imports %s" % (module, bad)


def test_the_enrollment_never_imports_diagnose():
    for module, path in modules().items():
        if module.startswith("lbenroll.diagnose") or module == "lbenroll.cli":
            continue  # cli registers diagnose's command
        bad = sorted(n for n in imported(path) if n.startswith("lbenroll.diagnose"))
        assert bad == [], "%s imports %s" % (module, bad)


def test_no_step_imports_another_step():
    for module, names in importing("lbenroll.steps").items():
        others = sorted(n for n in names if n.startswith("lbenroll.steps.")
                        and not n.startswith("lbenroll.steps.base") and n != module
                        and not n.startswith(module + "."))
        assert others == [], "%s imports %s" % (module, others)


def test_the_guards_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from lbenroll.steps.preflight import Preflight\n")
    assert "lbenroll.steps.preflight" in imported(str(bad))


@pytest.mark.parametrize("steps", [engine.STEPS, engine.REMOVE_STEPS], ids=["enroll", "remove"])
def test_every_step_requires_only_earlier_steps(steps):
    seen = set()
    for step in steps:
        assert step.id not in seen, "%s twice" % step.id
        unknown = [dep for dep in step.requires if dep not in seen]
        assert unknown == [], "%s requires %s, which does not run before it" % (step.id, unknown)
        seen.add(step.id)


def test_the_engine_refuses_a_list_with_an_unknown_requirement():
    class Later(object):
        id, requires = "LATER", ("NOWHERE",)
    with pytest.raises(ValueError) as exc:
        engine.check_order([Later])
    assert "LATER requires NOWHERE" in str(exc.value)


def test_every_recordable_option_declares_whether_the_record_keeps_it():
    from lbenroll import options
    from lbenroll.writers import lbenroll_conf
    kinds = (options.GIVEN, options.ALWAYS) + options.NOT_RECORDED
    for spec in options.OPTIONS:
        assert spec.record in kinds, spec.label
    kept = [spec.dest for spec in options.OPTIONS
            if spec.dest and spec.status == options.SUPPORTED and not spec.secret
            and spec.record in (options.GIVEN, options.ALWAYS)]
    assert [spec.dest for spec in lbenroll_conf.RECORDED] == kept
    assert options.BY_DEST["update"].record == options.ONE_OFF  # the timer never updates
    assert options.BY_DEST["balancer"].record == options.ALWAYS
