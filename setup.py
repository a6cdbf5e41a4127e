"""A shim so that `setup.py` exists: all metadata is in setup.cfg.

EL8's python3-rpm-macros build only through `setup.py` (%py3_build, %py3_install): its setuptools
(39.2) predates building from pyproject.toml, and pyproject-rpm-macros is not in EL8 and only in
CRB on EL9/10. The spec uses these macros so that one spec builds on all three.
"""
from setuptools import setup

setup()
