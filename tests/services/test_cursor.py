"""Keyset cursors: round trips for every sort, and refusal of anything else."""

import base64
import json
import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from app.core.enums import Priority, SortField, SortOrder
from app.core.errors import BadRequestError
from app.dal.task import Keyset
from app.schemas.task import TaskFilters
from app.services.cursor import (
    MAX_CURSOR_LENGTH,
    InvalidCursorError,
    decode_cursor,
    encode_cursor,
)

STAMP = datetime(2026, 1, 15, 12, 30, 45, 123456, tzinfo=UTC)

# (sort, value as it comes from a TaskRead, value the repository gets back)
ROUND_TRIPS = [
    (SortField.ID, 42, None),
    (SortField.CREATED_AT, STAMP, STAMP),
    (SortField.UPDATED_AT, STAMP, STAMP),
    (SortField.DUE_DATE, date(2026, 2, 28), date(2026, 2, 28)),
    (SortField.DUE_DATE, None, None),
    *[(SortField.PRIORITY, p, p.rank) for p in Priority],
    (SortField.TITLE, "Write the report", "Write the report"),
    (SortField.TITLE, 'Ünïcødé "quotes" , and 100% _', 'Ünïcødé "quotes" , and 100% _'),
    (SortField.TITLE, "", ""),
]


def forge(payload: Any) -> str:
    """A cursor with any JSON payload, encoded the way real ones are."""
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def forge_raw(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def fingerprint_of(filters: TaskFilters) -> str:
    """The fingerprint a real cursor for `filters` carries."""
    payload = json.loads(base64.urlsafe_b64decode(encode_cursor(filters, None, 1) + "=="))
    fingerprint: str = payload["f"]
    return fingerprint


@pytest.mark.parametrize(("sort", "value", "expected"), ROUND_TRIPS)
@pytest.mark.parametrize("order", list(SortOrder))
def test_round_trip(sort: SortField, value: Any, expected: Any, order: SortOrder) -> None:
    filters = TaskFilters(sort=sort, order=order, status=["todo"], tag=["a_b"], q="x")

    cursor = encode_cursor(filters, value, 7)

    assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor)
    assert decode_cursor(cursor, filters) == Keyset(value=expected, id=7)


def test_round_trip_keeps_datetime_instant_and_awareness() -> None:
    filters = TaskFilters(sort=SortField.CREATED_AT)
    other_zone = STAMP.astimezone(timezone(timedelta(hours=-5)))

    keyset = decode_cursor(encode_cursor(filters, other_zone, 1), filters)

    assert keyset.value == STAMP
    assert keyset.value.tzinfo is not None


def test_cursor_is_bound_to_equal_filters_not_the_same_object() -> None:
    cursor = encode_cursor(TaskFilters(sort=SortField.TITLE, tag=["B", "a"]), "t", 3)

    assert decode_cursor(cursor, TaskFilters(sort=SortField.TITLE, tag=["a", "b"])) == Keyset(
        "t", 3
    )


@pytest.mark.parametrize(
    ("written", "rewritten"),
    [
        ({"status": ["todo", "done"]}, {"status": ["done", "todo", "done"]}),
        ({"priority": ["high", "low"]}, {"priority": ["low", "high"]}),
        ({"project": "Work"}, {"project": "wORK"}),
        ({"project": "Straße"}, {"project": "STRASSE"}),
    ],
)
def test_cursor_fits_the_same_filters_written_another_way(
    written: dict[str, Any], rewritten: dict[str, Any]
) -> None:
    cursor = encode_cursor(TaskFilters(sort=SortField.TITLE, **written), "t", 3)

    keyset = decode_cursor(cursor, TaskFilters(sort=SortField.TITLE, **rewritten))

    assert keyset == Keyset("t", 3)


@pytest.mark.parametrize("char", ["я", "語", "😀", "\x01", '"', "\\"])
def test_cursor_after_the_longest_title_in_any_script_is_accepted(char: str) -> None:
    filters = TaskFilters(sort=SortField.TITLE)
    title = char * 200

    cursor = encode_cursor(filters, title, 7)

    assert len(cursor) <= MAX_CURSOR_LENGTH
    assert decode_cursor(cursor, filters) == Keyset(title, 7)


@pytest.mark.parametrize(
    "other",
    [
        {},
        {"sort": "title", "order": "desc"},
        {"sort": "id"},
        {"sort": "title", "status": ["todo"]},
        {"sort": "title", "priority": ["low"]},
        {"sort": "title", "project": "Work"},
        {"sort": "title", "tag": ["x"]},
        {"sort": "title", "due_before": "2026-01-01"},
        {"sort": "title", "due_after": "2026-01-01"},
        {"sort": "title", "overdue": False},
        {"sort": "title", "q": "report"},
    ],
)
def test_cursor_of_other_filters_is_refused(other: dict[str, Any]) -> None:
    cursor = encode_cursor(TaskFilters(sort=SortField.TITLE), "t", 3)

    with pytest.raises(InvalidCursorError) as caught:
        decode_cursor(cursor, TaskFilters.model_validate(other))
    assert isinstance(caught.value, BadRequestError)
    assert caught.value.code == "invalid-cursor"


GARBAGE = [
    "",
    "x",
    "!!!!",
    "not a cursor",
    "héllo",
    "%00%01",
    "=" * 8,
    "[" * 1024,
    forge_raw(b"\xff\xfe\x00garbage"),
    forge_raw(b"{not json"),
    forge_raw(b"[" * 768),
    forge_raw(b"[" * 3000),  # nested deeper than the JSON parser recurses
    "a" * (MAX_CURSOR_LENGTH + 1),
    forge(None),
    forge(1),
    forge("text"),
    forge([1, 2]),
    forge({}),
]


@pytest.mark.parametrize("cursor", GARBAGE)
@pytest.mark.parametrize("sort", list(SortField))
def test_garbage_is_refused(cursor: str, sort: SortField) -> None:
    with pytest.raises(InvalidCursorError):
        decode_cursor(cursor, TaskFilters(sort=sort))


def test_tampered_cursor_is_refused() -> None:
    filters = TaskFilters(sort=SortField.TITLE)
    cursor = encode_cursor(filters, "title", 1)

    with pytest.raises(InvalidCursorError):
        decode_cursor(cursor[:-3], filters)


BAD_IDS = [None, "1", 1.5, True, [1], {"id": 1}]


@pytest.mark.parametrize("task_id", BAD_IDS)
@pytest.mark.parametrize("sort", list(SortField))
def test_id_of_wrong_type_is_refused(task_id: Any, sort: SortField) -> None:
    filters = TaskFilters(sort=sort)
    payload = {"f": fingerprint_of(filters), "v": "2026-01-01", "i": task_id}

    with pytest.raises(InvalidCursorError):
        decode_cursor(forge(payload), filters)


@pytest.mark.parametrize("sort", list(SortField))
def test_missing_id_is_refused(sort: SortField) -> None:
    filters = TaskFilters(sort=sort)

    with pytest.raises(InvalidCursorError):
        decode_cursor(forge({"f": fingerprint_of(filters), "v": None}), filters)


BAD_VALUES = [
    (SortField.CREATED_AT, None),
    (SortField.CREATED_AT, 1700000000),
    (SortField.CREATED_AT, "yesterday"),
    (SortField.CREATED_AT, "2026-01-15T12:00:00"),  # naive
    (SortField.CREATED_AT, ["2026-01-15T12:00:00+00:00"]),
    (SortField.UPDATED_AT, None),
    (SortField.UPDATED_AT, "2026-13-01T00:00:00+00:00"),
    (SortField.UPDATED_AT, True),
    (SortField.DUE_DATE, 20260101),
    (SortField.DUE_DATE, "2026-02-30"),
    (SortField.DUE_DATE, "soon"),
    (SortField.DUE_DATE, {"y": 2026}),
    (SortField.PRIORITY, None),
    (SortField.PRIORITY, "high"),
    (SortField.PRIORITY, 0),
    (SortField.PRIORITY, 5),
    (SortField.PRIORITY, -1),
    (SortField.PRIORITY, [1]),
    (SortField.TITLE, None),
    (SortField.TITLE, 5),
    (SortField.TITLE, ["a"]),
    (SortField.TITLE, {"a": 1}),
]


@pytest.mark.parametrize(("sort", "value"), BAD_VALUES)
def test_sort_value_of_wrong_type_is_refused(sort: SortField, value: Any) -> None:
    filters = TaskFilters(sort=sort)

    with pytest.raises(InvalidCursorError):
        decode_cursor(forge({"f": fingerprint_of(filters), "v": value, "i": 1}), filters)


@pytest.mark.parametrize("raw_value", ["Infinity", "-Infinity", "1e400"])
def test_infinite_priority_value_is_refused(raw_value: str) -> None:
    filters = TaskFilters(sort=SortField.PRIORITY)
    raw = f'{{"f":"{fingerprint_of(filters)}","v":{raw_value},"i":1}}'.encode()

    with pytest.raises(InvalidCursorError):
        decode_cursor(forge_raw(raw), filters)


def test_nan_priority_value_is_refused() -> None:
    filters = TaskFilters(sort=SortField.PRIORITY)
    raw = f'{{"f":"{fingerprint_of(filters)}","v":NaN,"i":1}}'.encode()

    with pytest.raises(InvalidCursorError):
        decode_cursor(forge_raw(raw), filters)


@pytest.mark.parametrize("sort", [SortField.ID, SortField.DUE_DATE])
def test_sorts_that_allow_a_null_value(sort: SortField) -> None:
    filters = TaskFilters(sort=sort)

    assert decode_cursor(forge({"f": fingerprint_of(filters), "v": None, "i": 9}), filters) == (
        Keyset(value=None, id=9)
    )


def test_id_sort_ignores_any_value() -> None:
    filters = TaskFilters(sort=SortField.ID)

    keyset = decode_cursor(forge({"f": fingerprint_of(filters), "v": "junk", "i": 9}), filters)

    assert keyset == Keyset(value=None, id=9)
