"""`lbenroll diagnose`: a read-only check of the balancer and of every proxy behind it."""
