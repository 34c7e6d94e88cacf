"""HTTP API tests (a package, so module names cannot clash with tests/cli)."""
