"""Benchmarks of the task tracker: every figure is a ratio to a baseline run alongside it."""
