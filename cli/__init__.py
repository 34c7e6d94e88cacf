"""The `app-cli` command-line front door."""
