"""Controller runtime: work queue, rate limiters, the actions a plan returns."""
