"""Task Tracker: an HTTP API and a CLI over one service layer."""
