"""One writer per managed file; each declares its target as data and plans before it applies."""
