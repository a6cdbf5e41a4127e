"""Entry point for `python -m lbenroll`."""
from lbenroll.cli import main

main()
