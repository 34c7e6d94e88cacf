"""Field types shared by several schemas."""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, PlainSerializer

UTCDateTime = Annotated[
    datetime,
    PlainSerializer(lambda value: value.isoformat(), return_type=str, when_used="json"),
]
"""An aware datetime written as ISO 8601 with an explicit `+00:00` offset."""


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UTCInputDateTime = Annotated[datetime, AfterValidator(_as_utc)]
"""A datetime read from outside: converted to UTC; one without an offset is taken as UTC."""
