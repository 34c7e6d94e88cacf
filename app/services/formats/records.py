"""Turning decoded JSON objects into records, shared by the json and jsonl formats.

Keys are our canonical task fields; ``id``, ``updated_at`` and ``version``
(written by our own export) are accepted and ignored; any other key makes the
record an error, so nothing is dropped silently. ``null`` means "not given".
"""

import json
from collections.abc import Mapping
from typing import Any

from app.services.formats.base import CANONICAL_FIELDS, RawRecord

IGNORED_FIELDS = frozenset({"id", "updated_at", "version"})
"""Keys our export writes that a reader accepts and ignores."""

EXPORT_KEYS = (
    "id",
    "title",
    "description",
    "status",
    "priority",
    "due_date",
    "project",
    "tags",
    "created_at",
    "updated_at",
    "completed_at",
    "version",
)
"""The keys (and their order) the json and jsonl writers emit."""


_TASKWARRIOR_MARKS = frozenset({"uuid", "entry"})  # every task of `task export` has them


def record_from_value(number: int, value: Any, raw: str) -> RawRecord:
    """Map one decoded JSON value to a record (an error unless it is a valid object)."""
    if not isinstance(value, dict):
        return RawRecord(number, {}, raw, error=f"not a JSON object (found {_kind(value)})")
    unknown = sorted(set(value) - CANONICAL_FIELDS - IGNORED_FIELDS)
    if unknown:
        error = f"unknown field(s): {', '.join(unknown)}"
        if value.keys() >= _TASKWARRIOR_MARKS:
            error += " (this is a Taskwarrior task: import the file as the taskwarrior format)"
        return RawRecord(number, {}, raw, error=error)
    fields = {k: v for k, v in value.items() if k in CANONICAL_FIELDS and v is not None}
    return RawRecord(number, fields, raw)


def dump_task(task: Mapping[str, Any]) -> str:
    """Serialize one task (API shape) as compact one-line JSON with a stable key order."""
    return json.dumps({k: task[k] for k in EXPORT_KEYS if k in task}, ensure_ascii=False)


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"
