"""todo.txt (http://todotxt.org, the ``todo.sh`` format): one task per line (``.txt``).

Reading: ``x `` → done, followed by an optional completion date (→completed_at)
and creation date; otherwise an optional ``(A)``→urgent, ``(B)``→high,
``(C)``→medium, ``(D)``-``(Z)``→low (none→medium) and creation date
(→created_at, midnight UTC). The first ``+project`` → project, every
``@context`` → a tag, ``due:YYYY-MM-DD`` → due_date; those tokens leave the
title, everything else (further ``+projects``, other ``key:value`` pairs)
stays in it. A ``due:`` value that is not a date is passed on for validation
to reject. Runs of whitespace in the title become one space. Blank lines
are skipped (a file of only blank lines is empty).

Two ``key:value`` extensions keep what todo.txt cannot say, so our export
round-trips: ``pri:X`` on a done line (``todo.sh do`` drops the priority, the
todo.txt spec suggests this tag), ``status:in_progress`` on an open line and
``status:cancelled`` on a done line. Both ``status:`` tokens leave the title
but do not override the ``x`` marker (a started task later done with
``todo.sh do`` is done). Other ``pri:``/``status:`` values stay in the title.

Writing: ``x COMPLETED CREATED title +project @tag due:...`` for done and
cancelled tasks (cancelled adds ``status:cancelled``; a completion date is
``completed_at``, else ``updated_at``), ``(A) CREATED title ...`` for open
ones (urgent→A, high→B, medium→C, low→D). Lossy by nature: the description
is not written, times shrink to UTC dates, a newline in a title becomes a
space, whitespace in a project becomes ``_`` (a ``+project`` is one word),
and title words that look like ``@context`` are read back as tags, like
``+project`` or ``due:`` as the project or due date of a task without one (a
task's own are written before such a title, so a reader takes them first).
"""

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any, BinaryIO

from app.services.formats.base import FileFormat, RawRecord
from app.services.formats.lines import iter_text_lines

FORMAT = FileFormat.TODOTXT
EXTENSIONS = (".txt",)
UNWRITTEN: tuple[str, ...] = ("description",)

_LONE_CR = (
    "the line holds a carriage return (\\r) that does not end it: "
    "save the file with \\n or \\r\\n line endings"
)
_LOOKALIKE = re.compile(r"\+.|due:.")  # a title word a reader would take as project or due

_PRIORITY_TOKEN = re.compile(r"\(([A-Z])\)")
_PRIORITY_LETTER = re.compile(r"[A-Z]")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_LETTER_OUT = {"urgent": "A", "high": "B", "medium": "C", "low": "D"}
_STATUS_EXTENSIONS = frozenset({"in_progress", "cancelled"})


def read(stream: BinaryIO) -> Iterator[RawRecord]:
    """Yield one record per non-blank line."""
    for number, raw in iter_text_lines(stream):
        if "\r" in raw:  # old Mac line endings: one "line" would hold many tasks
            yield RawRecord(number, {}, raw, error=_LONE_CR)
        else:
            yield RawRecord(number, parse_line(raw), raw)


def write(tasks: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """Yield one todo.txt line per task."""
    for task in tasks:
        yield format_line(task) + "\n"


def parse_line(line: str) -> dict[str, Any]:
    """Map one todo.txt line to canonical task fields."""
    tokens = line.split()
    fields: dict[str, Any] = {"status": "todo", "priority": "medium"}
    if line.startswith("x "):
        tokens.pop(0)
        fields["status"] = "done"
        completed = _take_date(tokens)
        if completed:
            fields["completed_at"] = completed
            _put(fields, "created_at", _take_date(tokens))
    else:
        if tokens and (match := _PRIORITY_TOKEN.fullmatch(tokens[0])):
            fields["priority"] = _priority(match.group(1))
            tokens.pop(0)
        _put(fields, "created_at", _take_date(tokens))
    title = [token for token in tokens if not _take_token(token, fields)]
    if fields["status"] != "done":
        fields.pop("completed_at", None)
    _put(fields, "title", " ".join(title))
    return fields


def format_line(task: Mapping[str, Any]) -> str:
    """Render one task (API shape) as a todo.txt line."""
    status = task["status"]
    letter = _LETTER_OUT[task.get("priority") or "medium"]
    parts: list[str] = []
    if status in ("done", "cancelled"):
        finished = task.get("completed_at") or task.get("updated_at")
        parts += ["x", _utc_date(finished)] if finished else ["x"]
    else:
        parts.append(f"({letter})")
    if task.get("created_at") and parts != ["x"]:
        parts.append(_utc_date(task["created_at"]))
    title = " ".join(str(task["title"]).split())
    project = ["+" + "_".join(str(task["project"]).split())] if task.get("project") else []
    due = [f"due:{task['due_date']}"] if task.get("due_date") else []
    tags = [f"@{tag}" for tag in task.get("tags") or ()]
    # A title word like "+Home" or "due:..." would be read back as the task's own: then
    # the task's go first (todo.txt allows them anywhere in the line).
    if any(_LOOKALIKE.match(word) for word in title.split()):
        parts += [*project, *due, title, *tags]
    else:
        parts += [title, *project, *tags, *due]
    if parts[0] == "x" and letter != "C":
        parts.append(f"pri:{letter}")
    if status in _STATUS_EXTENSIONS:
        parts.append(f"status:{status}")
    return " ".join(parts)


def _take_token(token: str, fields: dict[str, Any]) -> bool:
    """Move ``token`` into ``fields`` if it is a mapped one; return whether it was."""
    key, _, value = token.partition(":")
    if token.startswith("+") and len(token) > 1 and "project" not in fields:
        fields["project"] = token[1:]
    elif token.startswith("@") and len(token) > 1:
        fields.setdefault("tags", []).append(token[1:])
    elif key == "due" and value and "due_date" not in fields:
        fields["due_date"] = value
    elif key == "pri" and fields["status"] == "done" and _PRIORITY_LETTER.fullmatch(value):
        fields["priority"] = _priority(value)
    elif key == "status" and value in _STATUS_EXTENSIONS:
        # The x marker wins: a status:in_progress task later done with todo.sh is done.
        if (value == "cancelled") == (fields["status"] == "done"):
            fields["status"] = value
    else:
        return False
    return True


def _take_date(tokens: list[str]) -> str | None:
    """Pop a leading ``YYYY-MM-DD`` token and return it as midnight UTC, ISO 8601."""
    if not tokens or not _DATE.fullmatch(tokens[0]):
        return None
    try:
        day = date.fromisoformat(tokens[0])
    except ValueError:
        return None
    tokens.pop(0)
    return datetime(day.year, day.month, day.day, tzinfo=UTC).isoformat()


def _priority(letter: str) -> str:
    return {"A": "urgent", "B": "high", "C": "medium"}.get(letter, "low")


def _put(fields: dict[str, Any], key: str, value: str | None) -> None:
    if value:
        fields[key] = value


def _utc_date(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(UTC).date().isoformat()
