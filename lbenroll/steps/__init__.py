"""The enrollment steps, each with a stable id and declared dependencies, in a fixed order."""
