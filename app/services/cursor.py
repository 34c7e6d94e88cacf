"""Opaque keyset cursors: the last row's sort key, bound to the query that made it."""

import base64
import binascii
import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

from app.core.enums import Priority, SortField
from app.core.errors import BadRequestError
from app.core.ids import MAX_ID
from app.dal.project import name_key
from app.dal.task import Keyset
from app.schemas.task import TaskFilters

MAX_CURSOR_LENGTH = 4096
"""Longer than any cursor this module makes (a 200-character title of control characters,
each escaped in six bytes, comes to about 1,700); anything longer is refused unread."""


class InvalidCursorError(BadRequestError):
    """The cursor was not made by this query (forged, corrupted or from other filters)."""

    code = "invalid-cursor"
    title = "Invalid cursor"


def _fingerprint(filters: TaskFilters) -> str:
    """A digest of what `filters` select, the same however they were written.

    Statuses and priorities are alternatives (their order and repeats do not matter),
    and a project is named ignoring case; tags come normalised already.
    """
    selection = filters.model_dump(mode="json")
    selection["status"] = sorted(set(selection["status"]))
    selection["priority"] = sorted(set(selection["priority"]))
    if filters.project is not None:
        selection["project"] = name_key(filters.project)
    canonical = json.dumps(selection, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _dump_value(sort: SortField, value: Any) -> Any:
    if value is None or sort is SortField.ID:
        return None
    if sort is SortField.PRIORITY:
        return Priority(value).rank
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _load_value(sort: SortField, raw: Any) -> Any:
    """Parse the stored sort value back to its column's type; ValueError/TypeError if it is not."""
    if raw is None or sort is SortField.ID:
        return None
    if sort is SortField.PRIORITY:
        return Priority.from_rank(int(raw)).rank
    if sort is SortField.DUE_DATE:
        return date.fromisoformat(raw)
    if sort in (SortField.CREATED_AT, SortField.UPDATED_AT):
        parsed = datetime.fromisoformat(raw)
        if parsed.tzinfo is None:
            raise ValueError("naive datetime")
        return parsed.astimezone(UTC)  # OverflowError at the edges of time
    if not isinstance(raw, str) or "\x00" in raw:
        raise TypeError("title must be a string without NUL")
    raw.encode("utf-8")  # UnicodeEncodeError (a ValueError) for lone surrogates
    return raw


def encode_cursor(filters: TaskFilters, sort_value: Any, task_id: int) -> str:
    """The cursor that resumes `filters` after the row (`sort_value`, `task_id`)."""
    payload = {"f": _fingerprint(filters), "v": _dump_value(filters.sort, sort_value), "i": task_id}
    # Non-ASCII as UTF-8, not `\\uXXXX`: a long title in any script keeps the cursor short.
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, filters: TaskFilters) -> Keyset:
    """The keyset a cursor stands for; `InvalidCursorError` if it does not fit `filters`."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("longer than any cursor this API makes")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        if not isinstance(payload, dict) or payload.get("f") != _fingerprint(filters):
            raise ValueError("cursor belongs to another query")
        task_id = payload["i"]
        if not isinstance(task_id, int) or isinstance(task_id, bool) or not 0 <= task_id <= MAX_ID:
            raise TypeError("id must be a task id")
        if filters.sort not in (SortField.ID, SortField.DUE_DATE) and payload.get("v") is None:
            raise ValueError("missing sort value")
        return Keyset(value=_load_value(filters.sort, payload.get("v")), id=task_id)
    except (
        ValueError,
        TypeError,
        KeyError,
        OverflowError,
        RecursionError,  # JSON nested too deep
        binascii.Error,
        UnicodeDecodeError,
    ) as exc:
        raise InvalidCursorError(
            "The cursor is invalid or belongs to a different query; "
            "start again without `cursor` and pass each page's `next_cursor` unchanged."
        ) from exc
