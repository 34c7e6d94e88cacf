"""Taskwarrior 2.6: the JSON that ``task export`` writes and ``task import`` reads.

Reading maps ``description``→title; status ``pending``/``waiting``→todo (or
in_progress when ``start`` is set), ``completed``→done (``end``→completed_at),
``deleted``→cancelled; ``recurring`` templates are skipped with a note (their
generated instances are ordinary pending tasks and are imported); priority
``H``/``M``/``L``/none→high/medium/low/medium; ``project`` and ``tags`` as
they are; ``due``→due_date (its date in the local time zone, the one ``task``
shows: Taskwarrior stores local midnight as UTC); ``entry``→created_at; annotation
texts become the description, one per line. Taskwarrior's bookkeeping (uuid, id,
urgency, modified, mask, imask, parent, recur, rtype) is left out; any other attribute
(wait, scheduled, until, depends, UDAs...) has no field here either, and each record
names the ones it had (`RawRecord.unmapped`) so the import can say what it left out.

Writing produces what ``task import`` accepts: UTC ``YYYYMMDDTHHMMSSZ`` dates
(a due date as local midnight, like ``task add due:…``), a ``uuid`` derived from
the task's id and creation time (the same in every export of a task, another for
another database's task #1), no null fields. Taskwarrior's own uuids are not kept
on import (no column holds them): tasks that make the round trip come back to
Taskwarrior as new tasks, never overwriting others.
Our status maps back as todo→pending, in_progress→pending + ``start``,
done→completed + ``end``, cancelled→deleted + ``end`` (``start`` and a
cancelled task's ``end`` take ``updated_at``, the best time we have). Priority
urgent and high both become ``H``. The description is written as one
annotation.
"""

import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, time
from typing import Any, BinaryIO

from app.services.formats.base import FileFormat, RawRecord
from app.services.formats.jsonarray import iter_elements
from app.services.formats.records import record_from_value

FORMAT = FileFormat.TASKWARRIOR
EXTENSIONS: tuple[str, ...] = ()
UNWRITTEN: tuple[str, ...] = ()

UUID_NAMESPACE = uuid.UUID("6f1c3b8e-2d4a-5e7f-9a0b-1c2d3e4f5a6b")
"""Namespace for ``uuid5(UUID_NAMESPACE, "{id}@{created_at}")``; never change it."""

_TW_DATE = "%Y%m%dT%H%M%SZ"
_STATUS_IN = {"pending": "todo", "waiting": "todo", "completed": "done", "deleted": "cancelled"}
_STATUS_OUT = {
    "todo": "pending",
    "in_progress": "pending",
    "done": "completed",
    "cancelled": "deleted",
}
# `start` makes a task in_progress; `annotations` become its description.
_MAPPED = {
    "description",
    "status",
    "priority",
    "project",
    "tags",
    "due",
    "entry",
    "end",
    "start",
    "annotations",
}
_BOOKKEEPING = {"uuid", "id", "urgency", "modified", "mask", "imask", "parent", "recur", "rtype"}
_PRIORITY_IN = {"H": "high", "M": "medium", "L": "low"}
_PRIORITY_OUT = {"urgent": "H", "high": "H", "medium": "M", "low": "L"}


class _RecordError(Exception):
    """One taskwarrior record cannot be mapped."""


def read(stream: BinaryIO) -> Iterator[RawRecord]:
    """Yield one record per exported task, numbered by position in the file.

    Reads both forms of ``task export``: a JSON array (the default) and one object per
    line (``rc.json.array=off``), as ``task import`` does.
    """
    what = "a Taskwarrior export (JSON)"
    records = iter_elements(stream, what, bare_objects=True, control_characters=True)
    for number, (value, raw) in enumerate(records, start=1):
        if not isinstance(value, dict):
            yield record_from_value(number, value, raw)  # the "not an object" error
        elif value.get("status") == "recurring":
            yield RawRecord(number, {}, raw, note="recurring template skipped")
        else:
            try:
                unmapped = tuple(sorted(value.keys() - _MAPPED - _BOOKKEEPING))
                yield RawRecord(number, _fields(value), raw, unmapped=unmapped)
            except _RecordError as exc:
                yield RawRecord(number, {}, raw, error=str(exc))


def write(tasks: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """Yield a JSON array of Taskwarrior tasks, one object per line like ``task export``."""
    separator = "[\n"
    for task in tasks:
        yield separator + json.dumps(_to_taskwarrior(task), ensure_ascii=False)
        separator = ",\n"
    yield "[]\n" if separator == "[\n" else "\n]\n"


def _fields(tw: dict[str, Any]) -> dict[str, Any]:
    title = tw.get("description")
    if not isinstance(title, str):
        raise _RecordError("not a Taskwarrior task: no 'description' text")
    fields: dict[str, Any] = {"title": title, "status": _status(tw)}
    fields["priority"] = _priority(tw.get("priority"))
    if tw.get("project") is not None:
        fields["project"] = tw["project"]
    if tw.get("tags") is not None:
        fields["tags"] = tw["tags"]
    if tw.get("due") is not None:
        fields["due_date"] = _local_date(_parse_date(tw["due"], "due")).isoformat()
    if tw.get("entry") is not None:
        fields["created_at"] = _parse_date(tw["entry"], "entry").isoformat()
    if fields["status"] == "done" and tw.get("end") is not None:
        fields["completed_at"] = _parse_date(tw["end"], "end").isoformat()
    description = _annotations(tw.get("annotations"))
    if description:
        fields["description"] = description
    return fields


def _status(tw: dict[str, Any]) -> str:
    status = tw.get("status", "pending")
    if status not in _STATUS_IN:
        raise _RecordError(f"unknown Taskwarrior status {status!r}")
    if _STATUS_IN[status] == "todo" and tw.get("start") is not None:
        return "in_progress"
    return _STATUS_IN[status]


def _priority(value: Any) -> str:
    if value is None or value == "":
        return "medium"
    if value not in _PRIORITY_IN:
        raise _RecordError(f"unknown Taskwarrior priority {value!r} (expected H, M or L)")
    return _PRIORITY_IN[value]


def _parse_date(value: Any, name: str) -> datetime:
    try:
        return datetime.strptime(value, _TW_DATE).replace(tzinfo=UTC)
    except (TypeError, ValueError):
        raise _RecordError(
            f"'{name}' is not a Taskwarrior date (YYYYMMDDTHHMMSSZ): {value!r}"
        ) from None


def _annotations(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, list) or not all(
        isinstance(a, dict) and isinstance(a.get("description"), str) for a in value
    ):
        raise _RecordError("'annotations' is not a list of {entry, description} objects")
    return "\n".join(a["description"] for a in value)


def _to_taskwarrior(task: Mapping[str, Any]) -> dict[str, Any]:
    status = task["status"]
    tw: dict[str, Any] = {
        "uuid": str(uuid.uuid5(UUID_NAMESPACE, f"{task['id']}@{_utc(task['created_at'])}")),
        "description": task["title"],
        "status": _STATUS_OUT[status],
        "entry": _format_date(task["created_at"]),
        "modified": _format_date(_updated_at(task)),
        "priority": _PRIORITY_OUT[task.get("priority") or "medium"],
    }
    if task.get("project"):
        tw["project"] = task["project"]
    if task.get("tags"):
        tw["tags"] = list(task["tags"])
    if task.get("due_date"):
        tw["due"] = _local_midnight(task["due_date"])
    if status == "in_progress":
        tw["start"] = tw["modified"]
    elif status in ("done", "cancelled"):
        tw["end"] = _format_date(task.get("completed_at") or _updated_at(task))
    if task.get("description"):
        tw["annotations"] = [{"entry": tw["entry"], "description": task["description"]}]
    return tw


def _updated_at(task: Mapping[str, Any]) -> str:
    return str(task.get("updated_at") or task["created_at"])


def _utc(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(UTC).isoformat()


# Taskwarrior 2.6 stores no date before 1980: `task import` of a file holding one fails
# without a word (or crashes) and imports none of its tasks. Earlier instants are written
# as this one, the nearest it can hold.
TASKWARRIOR_EARLIEST = datetime(1980, 1, 1, tzinfo=UTC)


def _tw_date(moment: datetime) -> str:
    """An instant as Taskwarrior writes one: UTC, the year always in four digits."""
    utc = moment.astimezone(UTC)
    return f"{utc.year:04d}{utc:%m%dT%H%M%S}Z"  # strftime's %Y drops leading zeros


def _written(moment: datetime) -> str:
    """An instant for `task import`: no earlier than it can store."""
    return _tw_date(max(moment, TASKWARRIOR_EARLIEST))


def _format_date(iso: str) -> str:
    return _written(datetime.fromisoformat(iso))


def _local_date(due: datetime) -> date:
    """The day a Taskwarrior due instant falls on in the local time zone."""
    try:
        return due.astimezone().date()
    except (OverflowError, ValueError):  # within hours of year 1 or 9999
        raise _RecordError(f"'due' is out of range: {_tw_date(due)}") from None


def _local_midnight(iso_date: str) -> str:
    """The due date as Taskwarrior stores one: the local midnight it starts at, in UTC.

    Where the clocks skip midnight (a DST change at 00:00) the day starts at the end of
    the gap, as `task` has it. A date too near year 1 or 9999 to shift stays at 00:00 UTC.
    """
    day = date.fromisoformat(iso_date)
    midnight = datetime.combine(day, time())
    try:
        start = midnight.astimezone()
        if start.date() != day:  # no such local time: fold=1 reads it after the gap
            start = midnight.replace(fold=1).astimezone()
        return _written(start)
    except (OverflowError, ValueError):
        return _written(midnight.replace(tzinfo=UTC))
