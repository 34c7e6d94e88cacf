"""The one place that reads the current time, so tests can pin it."""

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def utctoday() -> date:
    """Return today's date in UTC (overdue is judged against it)."""
    return utcnow().date()
