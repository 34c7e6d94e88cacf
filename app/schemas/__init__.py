"""Pydantic schemas: the API contract, also used by the CLI and importers."""
