"""Build-time tools run by the Makefile and the tests; none of this is installed."""
