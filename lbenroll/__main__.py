"""Entry point for `python -m lbenroll`."""
from lbenroll.cli import console

console()
