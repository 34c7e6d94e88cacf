import io
import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.services.formats import taskwarrior
from app.services.formats.base import FileFormatError, RawRecord

FIXTURES = Path(__file__).parents[2] / "fixtures" / "formats"
ENTRY = "20240105T093000Z"


def read_bytes(data: bytes) -> list[RawRecord]:
    return list(taskwarrior.read(io.BytesIO(data)))


def read_one(**tw: Any) -> RawRecord:
    [record] = read_bytes(json.dumps([{"description": "t", **tw}]).encode())
    return record


def test_real_export_fixture_maps_as_documented() -> None:
    with (FIXTURES / "taskwarrior_export.json").open("rb") as stream:
        records = list(taskwarrior.read(stream))
    assert [r.number for r in records] == list(range(1, 10))
    assert all(r.error is None for r in records)
    by_title = {r.fields["title"]: r.fields for r in records if r.fields}
    assert by_title["Write the quarterly report"] == {
        "title": "Write the quarterly report",
        "description": 'Ask Anna for the numbers\nDraft "v2" in shared/drive, with commas',
        "status": "todo",
        "priority": "high",
        "project": "work.reports.q3",
        "tags": ["review", "writing"],
        "due_date": "2030-07-15",
        "created_at": "2024-01-05T09:30:00+00:00",
    }
    assert by_title["Buy milk"]["priority"] == "low"
    assert by_title["Refactor parser"]["status"] == "in_progress"
    assert by_title["Refactor parser"]["priority"] == "medium"
    assert by_title["Wait for delivery"]["status"] == "todo"  # 2.6: pending + wait
    assert by_title["Wait for delivery"]["priority"] == "medium"  # no priority
    assert by_title["Pay rent"]["status"] == "done"
    assert by_title["Pay rent"]["completed_at"] == "2026-11-27T18:35:21+00:00"
    assert by_title["Old idea"]["status"] == "cancelled"
    assert "completed_at" not in by_title["Old idea"]
    assert by_title['Unicode: café ✓ and "quotes"']["status"] == "todo"
    # The recurring template is skipped with a note; its generated instance is a task.
    template = records[4]
    assert (template.note, template.error, template.fields) == (
        "recurring template skipped",
        None,
        {},
    )
    assert '"status":"recurring"' in template.raw
    assert by_title["Water plants"]["due_date"] == "2030-07-01"
    assert records[0].raw.startswith('{"id":1,"description":"Write the quarterly report"')
    # Only the waiting task holds something no field keeps: its wait date.
    assert {n: r.unmapped for n, r in enumerate(records, 1) if r.unmapped} == {4: ("wait",)}


def test_attributes_no_field_holds_are_named_and_bookkeeping_is_not() -> None:
    record = read_one(
        uuid="5f0c1c2e-0000-4000-8000-000000000000",
        id=3,
        urgency=4.2,
        modified=ENTRY,
        scheduled=ENTRY,
        depends="a,b",
        estimate="3h",  # a user-defined attribute
        project="home",
    )

    assert record.error is None
    assert record.fields["project"] == "home"
    assert record.unmapped == ("depends", "estimate", "scheduled")


def test_waiting_status_of_older_versions() -> None:
    assert read_one(status="waiting").fields["status"] == "todo"
    assert read_one(status="waiting", start=ENTRY).fields["status"] == "in_progress"


def test_due_is_the_local_date() -> None:
    """The run is in UTC (tests/conftest.py); other zones are tested below."""
    assert read_one(due="20240714T220000Z").fields["due_date"] == "2024-07-14"


def test_end_of_a_pending_task_is_not_completed_at() -> None:
    assert "completed_at" not in read_one(status="pending", end=ENTRY).fields


@pytest.mark.parametrize(
    ("tw", "error"),
    [
        ({"status": "frozen"}, "unknown Taskwarrior status 'frozen'"),
        ({"priority": "X"}, "unknown Taskwarrior priority 'X'"),
        ({"due": "2024-07-14"}, "'due' is not a Taskwarrior date"),
        ({"entry": 5}, "'entry' is not a Taskwarrior date"),
        ({"annotations": ["x"]}, "'annotations' is not a list"),
        ({"description": None}, "not a Taskwarrior task: no 'description' text"),
    ],
)
def test_records_of_unknown_shape_are_record_errors(tw: dict[str, Any], error: str) -> None:
    record = read_one(**tw)
    assert record.error is not None
    assert record.error.startswith(error)
    assert record.fields == {}


def test_non_object_element_is_a_record_error() -> None:
    [record] = read_bytes(b"[42]")
    assert record.error == "not a JSON object (found a number)"


def test_neither_an_array_nor_objects_names_taskwarrior() -> None:
    with pytest.raises(FileFormatError, match=r"not a Taskwarrior export.*'\[' or '\{'"):
        read_bytes(b'"description"')


def test_one_object_per_line_reads_like_the_array() -> None:
    """`task rc.json.array=off export`: no brackets, no commas, one task per line."""
    tasks = [{"description": "one", "entry": ENTRY}, {"description": "two", "priority": "H"}]
    lines = "".join(json.dumps(t) + "\n" for t in tasks).encode()

    per_line, in_array = read_bytes(lines), read_bytes(json.dumps(tasks).encode())

    assert [(r.number, r.fields, r.raw) for r in per_line] == [
        (r.number, r.fields, r.raw) for r in in_array
    ]
    assert [r.fields["title"] for r in per_line] == ["one", "two"]


def test_control_characters_taskwarrior_leaves_unescaped_are_read() -> None:
    """`task export` escapes only \\b, \\t, \\n, \\f and \\r: other control characters
    reach the file as they are, which strict JSON refuses."""
    [record] = read_bytes(b'[\n{"description":"a\x01b\x1fc\\td","entry":"20240105T093000Z"}\n]\n')
    assert record.error is None
    assert record.fields["title"] == "a\x01b\x1fc\td"


@pytest.mark.skipif(shutil.which("task") is None, reason="taskwarrior is not installed")
def test_live_export_with_control_characters_is_read(tmp_path: Path) -> None:
    env = {**os.environ, "TASKDATA": str(tmp_path), "TASKRC": os.devnull}
    task = ["task", "rc.confirmation=off", "rc.hooks=off", "rc.verbose=nothing"]
    title = "bell\x07 unit\x1f separator"
    subprocess.run([*task, "add", title], env=env, capture_output=True, check=True)
    out = subprocess.run([*task, "export"], env=env, capture_output=True, check=True).stdout
    assert b"\x07" in out  # written as it is: the case this reader must accept
    [record] = read_bytes(out)
    assert (record.error, record.fields["title"]) == (None, title)


def test_objects_separated_by_commas_without_brackets_are_refused() -> None:
    with pytest.raises(FileFormatError, match="on line 1: expected an object") as raised:
        read_bytes(b'{"description": "one"},\n{"description": "two"}\n')
    assert raised.value.line == 1


TASKS: list[dict[str, Any]] = [
    {
        "id": 1,
        "title": "Write report",
        "description": 'Numbers,\nthen "draft"',
        "status": "todo",
        "priority": "urgent",
        "due_date": "2030-07-15",
        "project": "Work reports",
        "tags": ["review", "writing"],
        "created_at": "2024-01-05T10:30:00.123456+01:00",
        "updated_at": "2024-01-06T10:00:00+00:00",
        "completed_at": None,
        "version": 2,
    },
    {
        "id": 2,
        "title": "Refactor",
        "description": None,
        "status": "in_progress",
        "priority": "low",
        "due_date": None,
        "project": None,
        "tags": [],
        "created_at": "2024-02-01T08:00:00+00:00",
        "updated_at": "2024-02-02T08:00:00+00:00",
        "completed_at": None,
        "version": 3,
    },
]


def test_writer_output_is_what_task_import_expects() -> None:
    exported = json.loads("".join(taskwarrior.write(TASKS)))
    # Pinned: another uuid for the same task would duplicate it in Taskwarrior.
    pinned = uuid.uuid5(taskwarrior.UUID_NAMESPACE, "1@2024-01-05T09:30:00.123456+00:00")
    assert exported[0] == {
        "uuid": str(pinned),
        "description": "Write report",
        "status": "pending",
        "entry": "20240105T093000Z",
        "modified": "20240106T100000Z",
        "priority": "H",
        "project": "Work reports",
        "tags": ["review", "writing"],
        "due": "20300715T000000Z",
        "annotations": [{"entry": "20240105T093000Z", "description": 'Numbers,\nthen "draft"'}],
    }
    assert exported[1]["start"] == "20240202T080000Z"
    assert exported[1]["priority"] == "L"
    assert not any(value is None for task in exported for value in task.values())


def test_writer_status_mapping_and_stable_uuid() -> None:
    base = {**TASKS[1], "completed_at": "2024-03-01T00:00:00+00:00"}
    done = json.loads("".join(taskwarrior.write([{**base, "status": "done"}])))[0]
    cancelled = json.loads("".join(taskwarrior.write([{**base, "status": "cancelled"}])))[0]
    assert (done["status"], done["end"]) == ("completed", "20240301T000000Z")
    assert cancelled["status"] == "deleted"
    assert "start" not in done
    assert done["uuid"] == cancelled["uuid"]


def test_writer_uuid_tells_tasks_of_other_databases_apart() -> None:
    """Task #1 of another database is another task: `task import` must not merge them."""
    here = {**TASKS[0], "title": "Alpha"}
    elsewhere = {
        **TASKS[0],
        "title": "Totally different",
        "created_at": "2025-03-01T12:00:00+00:00",
    }
    same_instant = {**here, "created_at": "2024-01-05T09:30:00.123456+00:00", "title": "Alpha!"}

    uuids = [json.loads("".join(taskwarrior.write([t])))[0]["uuid"] for t in (here, elsewhere)]
    again = json.loads("".join(taskwarrior.write([same_instant])))[0]["uuid"]

    assert uuids[0] != uuids[1]
    assert again == uuids[0]  # one task: its title changed, its creation instant did not


BERLIN = "CET-1CEST,M3.5.0,M10.5.0/3"  # POSIX rules: no tzdata needed
SANTIAGO_2024 = "<-04>4<-03>,M9.1.6/24,M4.1.6/24"  # clocks skip 00:00-01:00 on 8 Sep 2024
TOKYO = "JST-9"


@pytest.fixture
def local_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Switch the process's local time zone for one test."""

    def switch(zone: str) -> None:
        monkeypatch.setenv("TZ", zone)
        time.tzset()

    yield switch
    monkeypatch.undo()
    time.tzset()


def exported_due(due_date: str) -> str:
    [task] = json.loads("".join(taskwarrior.write([{**TASKS[0], "due_date": due_date}])))
    due: str = task["due"]
    return due


@pytest.mark.parametrize(
    ("zone", "day", "stored"),
    [
        (BERLIN, "2030-06-15", "20300614T220000Z"),  # `task add due:2030-06-15` in Berlin
        (SANTIAGO_2024, "2024-09-08", "20240908T040000Z"),  # midnight skipped: 01:00 -03
        (TOKYO, "2030-01-01", "20291231T150000Z"),
    ],
)
def test_due_dates_are_local_midnights_as_taskwarrior_keeps_them(
    local_zone: Callable[[str], None], zone: str, day: str, stored: str
) -> None:
    local_zone(zone)
    [record] = read_bytes(f'[{{"description": "x", "due": "{stored}"}}]'.encode())

    assert record.fields["due_date"] == day
    assert exported_due(day) == stored


@pytest.mark.parametrize("day", ["0001-01-01", "0999-06-01", "1979-12-31"])
def test_dates_before_1980_are_written_as_the_earliest_taskwarrior_stores(
    local_zone: Callable[[str], None], day: str
) -> None:
    # `task import` of 2.6 fails silently on any earlier date, importing none of the file.
    for zone in (BERLIN, "UTC"):  # 0001-01-01 00:00 in Berlin is in year 0 in UTC
        local_zone(zone)
        assert exported_due(day) == "19800101T000000Z"
    old = {**TASKS[0], "created_at": "1975-05-01T10:00:00+00:00", "status": "done"}
    old["completed_at"] = "1976-01-01T00:00:00+00:00"
    [task] = json.loads("".join(taskwarrior.write([old])))
    assert (task["entry"], task["end"]) == ("19800101T000000Z", "19800101T000000Z")


@pytest.mark.parametrize(
    ("stored", "day"), [("00010101T000000Z", "0001-01-01"), ("09990601T000000Z", "0999-06-01")]
)
def test_due_dates_of_any_year_are_read(
    local_zone: Callable[[str], None], stored: str, day: str
) -> None:
    local_zone("UTC")
    [record] = read_bytes(f'[{{"description": "x", "due": "{stored}"}}]'.encode())
    assert record.fields["due_date"] == day


def test_a_due_instant_out_of_local_range_is_a_record_error(
    local_zone: Callable[[str], None],
) -> None:
    local_zone(TOKYO)
    [record] = read_bytes(b'[{"description": "x", "due": "99991231T230000Z"}]')
    assert record.error == "'due' is out of range: 99991231T230000Z"


def test_writer_with_no_tasks() -> None:
    assert "".join(taskwarrior.write([])) == "[]\n"


@pytest.mark.skipif(shutil.which("task") is None, reason="taskwarrior is not installed")
def test_live_round_trip_through_task_import_and_export(tmp_path: Path) -> None:
    exported = tmp_path / "export.json"
    exported.write_text("".join(taskwarrior.write(TASKS)), encoding="utf-8")
    env = {**os.environ, "TASKDATA": str(tmp_path / "data"), "TASKRC": os.devnull}
    (tmp_path / "data").mkdir()
    task = ["task", "rc.confirmation=off", "rc.hooks=off", "rc.verbose=nothing"]
    imported = subprocess.run(
        [*task, "import", str(exported)], env=env, capture_output=True, text=True, check=True
    )
    assert imported.stdout.count(" add ") == 2
    out = subprocess.run([*task, "export"], env=env, capture_output=True, check=True).stdout
    by_title = {r.fields["title"]: r.fields for r in read_bytes(out)}
    assert by_title["Write report"] == {
        "title": "Write report",
        "description": 'Numbers,\nthen "draft"',
        "status": "todo",
        "priority": "high",  # urgent has no Taskwarrior equivalent
        "due_date": "2030-07-15",
        "project": "Work reports",
        "tags": ["review", "writing"],
        "created_at": "2024-01-05T09:30:00+00:00",  # UTC, whole seconds
    }
    assert by_title["Refactor"]["status"] == "in_progress"
