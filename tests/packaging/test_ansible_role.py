"""The role's variables: each default has its argument spec with the same default and a
description, and the role's README names each one."""
import os

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLE = os.path.join(REPO, "packaging", "ansible", "roles", "lbenroll")


def read(*path):
    with open(os.path.join(ROLE, *path)) as f:
        return f.read()


def test_every_variable_has_its_spec_default_and_documentation():
    defaults = yaml.safe_load(read("defaults", "main.yml"))
    specs = yaml.safe_load(read("meta", "argument_specs.yml"))["argument_specs"]["main"]["options"]
    assert set(specs) == set(defaults)
    for name, default in defaults.items():
        assert specs[name].get("default") == default, name
        assert specs[name]["description"], name
    readme = read("README.md")
    assert [name for name in specs if "`%s`" % name not in readme] == []
    for secret in ("lbenroll_password", "lbenroll_activationkey"):
        assert specs[secret]["no_log"] is True
    assert specs["lbenroll_state"]["choices"] == ["present", "absent", "reconnect"]
