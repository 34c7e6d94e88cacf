"""Database access: repositories that hold every SQL query."""
