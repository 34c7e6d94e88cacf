"""Cross-cutting pieces: configuration, logging, errors, database sessions."""
