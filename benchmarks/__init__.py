"""Benchmarks of lbenroll's own cost against the targets of issue 7 (not part of the tests)."""
