"""Business rules: one service class per feature."""
