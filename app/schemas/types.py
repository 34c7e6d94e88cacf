"""Field types shared by several schemas."""

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema
from pydantic_core import ErrorDetails, PydanticCustomError

UTCDateTime = Annotated[
    datetime,
    PlainSerializer(lambda value: value.isoformat(), return_type=str, when_used="json"),
    # The serializer's `str` would hide the format from the OpenAPI's responses.
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]
"""An aware datetime written as ISO 8601 with an explicit `+00:00` offset."""


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is in the year 0 in UTC
        raise ValueError("out of range once converted to UTC (years 1 to 9999)") from None


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _require_iso_datetime(value: Any) -> Any:
    # Pydantic alone also takes numbers as Unix timestamps (0 is 1970-01-01, 1.7e12 is
    # read as milliseconds): an import file's created_at must say what it means.
    if isinstance(value, datetime) or (isinstance(value, str) and _ISO_DATE.match(value)):
        return value
    raise ValueError("use an ISO 8601 date and time, such as 2024-01-05T09:30:00+00:00")


UTCInputDateTime = Annotated[
    datetime, BeforeValidator(_require_iso_datetime), AfterValidator(_as_utc)
]
"""A datetime read from outside, ISO 8601 only: converted to UTC; one without an offset is
taken as UTC."""


def _require_iso_date(value: Any) -> Any:
    # Pydantic alone also takes numbers as Unix timestamps ("0" is 1970-01-01).
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError("use a date as YYYY-MM-DD")


IsoDate = Annotated[date, BeforeValidator(_require_iso_date)]
"""A date read from outside: only `YYYY-MM-DD` (or a `date`), as the OpenAPI says."""


# NUL is not text: PostgreSQL cannot store it, so it is refused everywhere (both engines
# behave the same) and the OpenAPI says so with this pattern.
TEXT = r"^[^\x00]*$"
# Pydantic's `strip_whitespace` trims Unicode White_Space; a trimmed field must keep some
# other character (and no NUL), and this pattern says so in the OpenAPI, which has no "trimmed".
NOT_BLANK_TEXT = (
    r"^[^\x00]*"
    r"[^\x00\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    r"[^\x00]*$"
)


def sent_at_most(max_length: int) -> BeforeValidator:
    """Refuse text longer than `max_length` as sent, before it is trimmed.

    For trimmed fields: the OpenAPI's `maxLength` describes what a caller sends, so a
    201-character title with a leading space is refused like any other, not trimmed to fit.
    """

    def check(value: Any) -> Any:
        if isinstance(value, str) and len(value) > max_length:
            raise PydanticCustomError(
                "string_too_long",
                "String should have at most {max_length} characters, spaces around it included",
                {"max_length": max_length},
            )
        return value

    return BeforeValidator(check)


# One tag as a caller may send it: the stored form before it is trimmed and lowercased.
TAG_INPUT = r"^[ \t]*[A-Za-z0-9][A-Za-z0-9_-]{0,31}[ \t]*$"
TAG_RULE = "use 1-32 of a-z, 0-9, '_' or '-', starting with a letter or digit"

# RFC 9110 §13.1.1: `If-Match = "*" / #entity-tag`; optional whitespace is spaces and tabs,
# and a list may hold empty elements, which a recipient must accept and skip (§5.6.1).
_ENTITY_TAG = r'(W/)?"[\x21\x23-\x7e]*"'
IF_MATCH_PATTERN = rf"^[ \t]*(\*|(,[ \t]*)*{_ENTITY_TAG}([ \t]*,([ \t]*{_ENTITY_TAG})?)*)[ \t]*$"

# What each pattern above asks for, in words: Pydantic's own message quotes the regex.
_PATTERN_MESSAGES = {
    TEXT: "must not contain NUL (\\x00) characters",
    NOT_BLANK_TEXT: "must hold something besides whitespace, and no NUL (\\x00) characters",
    TAG_INPUT: TAG_RULE,
    IF_MATCH_PATTERN: 'use the ETag of a GET (such as "3"), several separated by commas, or *',
}


def error_message(error: ErrorDetails) -> str:
    """The message of one validation error, in words a caller can act on."""
    if error["type"] == "json_invalid":  # FastAPI's: the reason is in ctx, the offset in loc
        reason = error.get("ctx", {}).get("error") or "the body could not be parsed"
        return f"not valid JSON: {reason} (at character {error['loc'][-1]})"
    if error["type"] == "value_error":  # a validator's own words, without Pydantic's prefix
        return error["msg"].removeprefix("Value error, ")
    if error["type"] != "string_pattern_mismatch":
        return error["msg"]
    pattern = str(error.get("ctx", {}).get("pattern"))
    return _PATTERN_MESSAGES.get(pattern, error["msg"])
