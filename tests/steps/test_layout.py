"""Every step module has a unit test of its own: tests/steps/test_<module>.py, which imports the
module and holds at least one test. A new step without one fails here."""
import ast
import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "lbenroll", "steps")
# Not steps: the package, and the step kinds every step is made of (tested through the steps).
NOT_STEPS = ("__init__", "base")


def step_modules():
    return sorted(name[:-3] for name in os.listdir(STEPS)
                  if name.endswith(".py") and name[:-3] not in NOT_STEPS)


def imports_and_tests(path):
    """(the modules the test file imports, the names of its test functions)."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    imported, tests = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
            imported.update("%s.%s" % (node.module, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            tests.append(node.name)
    return imported, tests


def test_the_steps_are_found():
    modules = step_modules()
    assert "register" in modules and "record_options" in modules and len(modules) > 30


@pytest.mark.parametrize("module", step_modules())
def test_each_step_module_has_its_own_unit_test(module):
    path = os.path.join(HERE, "test_%s.py" % module)
    assert os.path.isfile(path), "lbenroll/steps/%s.py has no tests/steps/test_%s.py" % (
        module, module)
    imported, tests = imports_and_tests(path)
    assert "lbenroll.steps.%s" % module in imported, \
        "tests/steps/test_%s.py does not import lbenroll.steps.%s" % (module, module)
    assert tests, "tests/steps/test_%s.py holds no test" % module
