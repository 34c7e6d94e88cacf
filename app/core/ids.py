"""Limits of database ids."""

MAX_ID = 2**63 - 1
"""Largest id either engine can store (64-bit); larger ones cannot name anything."""
