import io
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.formats import READERS, WRITERS, FileFormat, detect_format, sniff_format
from app.services.formats.base import CANONICAL_FIELDS

TASKS: list[dict[str, Any]] = [
    {
        "id": 1,
        "title": 'Write report, "draft"',
        "description": "Numbers from Anna,\nthen draft it",
        "status": "todo",
        "priority": "urgent",
        "due_date": "2030-07-15",
        "project": "work.reports",
        "tags": ["review", "writing"],
        "created_at": "2024-01-05T09:30:00+00:00",
        "updated_at": "2024-01-06T10:00:00+00:00",
        "completed_at": None,
        "version": 2,
    },
    {
        "id": 2,
        "title": "Refactor parser",
        "description": None,
        "status": "in_progress",
        "priority": "high",
        "due_date": None,
        "project": None,
        "tags": [],
        "created_at": "2024-02-01T08:00:00+00:00",
        "updated_at": "2024-02-02T08:00:00+00:00",
        "completed_at": None,
        "version": 3,
    },
    {
        "id": 3,
        "title": "Pay rent",
        "description": None,
        "status": "done",
        "priority": "low",
        "due_date": "2024-01-31",
        "project": "home",
        "tags": ["home"],
        "created_at": "2024-01-01T00:00:00+00:00",
        "updated_at": "2024-01-30T12:00:00+00:00",
        "completed_at": "2024-01-30T12:00:00+00:00",
        "version": 2,
    },
    {
        "id": 4,
        "title": "Old idea ✓",
        "description": "maybe later",
        "status": "cancelled",
        "priority": "medium",
        "due_date": None,
        "project": None,
        "tags": [],
        "created_at": "2024-03-01T00:00:00+00:00",
        "updated_at": "2024-03-02T00:00:00+00:00",
        "completed_at": None,
        "version": 2,
    },
]

# The canonical fields each format carries through an export/import round trip.
CARRIED = {
    FileFormat.CSV: CANONICAL_FIELDS,
    FileFormat.JSONL: CANONICAL_FIELDS,
    FileFormat.JSON: CANONICAL_FIELDS,
    FileFormat.TASKWARRIOR: CANONICAL_FIELDS,
    FileFormat.TODOTXT: CANONICAL_FIELDS - {"description"},
}


def round_trip(fmt: FileFormat, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    data = "".join(WRITERS[fmt](tasks)).encode("utf-8")
    records = list(READERS[fmt](io.BytesIO(data)))
    assert all(r.error is None and r.note is None for r in records)
    return [r.fields for r in records]


def canonical(task: dict[str, Any], fmt: FileFormat) -> dict[str, Any]:
    fields = {k: v for k, v in task.items() if k in CARRIED[fmt] and v not in (None, [])}
    if fmt is FileFormat.TODOTXT:  # dates only
        for key in ("created_at", "completed_at"):
            if key in fields:
                day = datetime.fromisoformat(fields[key]).astimezone(UTC).date()
                fields[key] = datetime(day.year, day.month, day.day, tzinfo=UTC).isoformat()
    if fmt is FileFormat.TASKWARRIOR and fields["priority"] == "urgent":
        fields["priority"] = "high"
    return fields


@pytest.mark.parametrize("fmt", list(FileFormat))
def test_every_format_has_a_reader_and_a_writer(fmt: FileFormat) -> None:
    assert callable(READERS[fmt])
    assert callable(WRITERS[fmt])


@pytest.mark.parametrize("fmt", list(FileFormat))
def test_writer_then_reader_gives_back_the_canonical_fields(fmt: FileFormat) -> None:
    got = [{k: v for k, v in f.items() if v != []} for f in round_trip(fmt, TASKS)]
    assert got == [canonical(task, fmt) for task in TASKS]


@pytest.mark.parametrize("fmt", list(FileFormat))
def test_writers_are_lazy_generators(fmt: FileFormat) -> None:
    def tasks() -> Any:
        yield TASKS[0]
        raise AssertionError("pulled too far")

    chunks = WRITERS[fmt](tasks())
    assert next(chunks)  # header/bracket or first task, without exhausting the input


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tasks.csv", FileFormat.CSV),
        ("/x/TASKS.CSV", FileFormat.CSV),
        ("a.jsonl", FileFormat.JSONL),
        ("a.ndjson", FileFormat.JSONL),
        ("export.json", FileFormat.JSON),
        ("todo.txt", FileFormat.TODOTXT),
        ("done.TXT", FileFormat.TODOTXT),
        ("tasks.xlsx", None),
        ("tasks", None),
        ("-", None),
        (".csv", None),
    ],
)
def test_detect_format(path: str, expected: FileFormat | None) -> None:
    assert detect_format(path) is expected


text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), min_size=1)


@settings(max_examples=200, deadline=None, database=None)
@given(title=text, description=text, project=text)
def test_free_text_survives_csv_jsonl_and_json(title: str, description: str, project: str) -> None:
    task = {**TASKS[1], "title": title, "description": description, "project": project}
    for fmt in (FileFormat.CSV, FileFormat.JSONL, FileFormat.JSON):
        [fields] = round_trip(fmt, [task])
        for key in ("title", "description", "project"):
            if task[key].strip():  # a blank CSV cell means "not given"
                assert fields[key] == task[key], fmt


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b'{"title": "a"}\n', FileFormat.JSONL),
        (b'\xef\xbb\xbf \n\t{"title": "a"}', FileFormat.JSONL),
        (b'[{"title": "a"}]', FileFormat.JSON),
        (b"  [\n", FileFormat.JSON),
        (b"title,tags\nx,a\n", None),
        (b"(A) Call mom +Family\n", None),
        (b"", None),
        (b"   \n", None),
    ],
)
def test_sniff_tells_only_the_json_formats(head: bytes, expected: FileFormat | None) -> None:
    assert sniff_format(head) == expected
