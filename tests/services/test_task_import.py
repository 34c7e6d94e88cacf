"""TaskImporter with in-memory repositories: batching, projects, abort/skip, dry runs, notes.

The format readers have their own tests (tests/services/formats); here records are built
by hand, so every test is about what the importer decides and what it asks to write.
"""

import asyncio
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

import pytest

from app.core.enums import Priority, TaskStatus
from app.dal.project import name_key
from app.services import task_import
from app.services.formats import FileFormatError, RawRecord
from app.services.task_import import (
    MAX_LISTED_PROBLEMS,
    ImportRejectedError,
    OnError,
    Rejection,
    TaskImporter,
)

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


class FakeTasks:
    """Stands in for TaskRepository: remembers every batch it is asked to insert."""

    def __init__(self, existing: int = 0, *, can_drop_indexes: bool = True) -> None:
        self.batches: list[list[dict[str, Any]]] = []
        self.existing = existing
        self.can_drop_indexes = can_drop_indexes
        self.events: list[str] = []  # index drops/creations and ANALYZE, between "insert N"
        self.counts = 0

    async def add_many(self, rows: Sequence[dict[str, Any]], *, return_ids: bool) -> list[int]:
        self.batches.append([dict(row) for row in rows])
        self.events.append(f"insert {len(rows)}")
        return []

    async def count(self) -> int:
        self.counts += 1
        return self.existing + len(self.rows)

    async def drop_secondary_indexes(self) -> bool:
        self.events.append("drop indexes" if self.can_drop_indexes else "keep indexes")
        return self.can_drop_indexes

    async def create_secondary_indexes(self) -> None:
        self.events.append("create indexes")

    async def analyze(self) -> None:
        self.events.append("analyze")

    @property
    def rows(self) -> list[dict[str, Any]]:
        return [row for batch in self.batches for row in batch]


class FakeProjects:
    """Stands in for ProjectRepository: a dict of name keys to ids, and a log of creations."""

    def __init__(self, existing: Iterable[str] = ()) -> None:
        self.ids: dict[str, int] = {}
        self.names: dict[int, str] = {}
        self.created: list[list[str]] = []
        self.lookups: list[list[str]] = []
        for name in existing:
            self._insert(name)

    def _insert(self, name: str) -> None:
        key = name_key(name)
        assert key not in self.ids, f"duplicate project {name!r}"
        new_id = len(self.ids) + 1
        self.ids[key] = new_id
        self.names[new_id] = name

    async def ids_by_key(self, keys: Iterable[str]) -> dict[str, int]:
        wanted = list(keys)
        self.lookups.append(wanted)
        return {key: self.ids[key] for key in wanted if key in self.ids}

    async def add_many(self, names: Iterable[str], now: datetime) -> tuple[dict[str, int], int]:
        wanted = list(names)
        assert now == NOW
        self.created.append(wanted)
        for name in wanted:
            self._insert(name)
        return {name_key(n): self.ids[name_key(n)] for n in wanted}, len(wanted)


def importer(
    existing_projects: Iterable[str] = (), tasks: FakeTasks | None = None
) -> tuple[TaskImporter, FakeTasks, FakeProjects]:
    tasks, projects = tasks or FakeTasks(), FakeProjects(existing_projects)
    return TaskImporter(tasks, projects, clock=lambda: NOW), tasks, projects  # type: ignore[arg-type]


def record(number: int, **fields: Any) -> RawRecord:
    return RawRecord(number, fields, raw=f"raw line {number}")


def bad(number: int, error: str = "expected 7 cells, found 3") -> RawRecord:
    return RawRecord(number, {}, raw=f"broken line {number}", error=error)


def note(number: int, text: str = "recurring template skipped") -> RawRecord:
    return RawRecord(number, {}, raw=f"noted line {number}", note=text)


def valid(count: int, start: int = 1, **fields: Any) -> list[RawRecord]:
    return [record(n, title=f"task {n}", **fields) for n in range(start, start + count)]


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(task_import, "BATCH_SIZE", 3)
    return 3


# --- what gets written ----------------------------------------------------------------------


async def test_valid_records_become_rows_with_the_schema_applied() -> None:
    imp, tasks, projects = importer()
    report = await imp.run(
        [
            record(
                1,
                title="  Write report  ",
                description="details",
                status="in_progress",
                priority="urgent",
                due_date="2030-07-15",
                tags=["B", "a", "b"],
            ),
            record(2, title="Plain"),
        ]
    )
    assert (report.read, report.imported, report.rejected, report.skipped) == (2, 2, 0, 0)
    assert report.problems == []
    assert report.dry_run is False
    first, second = tasks.rows
    assert first["title"] == "Write report"
    assert first["description"] == "details"
    assert first["status"] is TaskStatus.IN_PROGRESS
    assert first["priority"] is Priority.URGENT
    assert first["due_date"] == date(2030, 7, 15)
    assert first["tags"] == ["a", "b"]
    assert first["project_id"] is None
    assert first["created_at"] == first["updated_at"] == NOW
    assert first["completed_at"] is None
    assert first["version"] == 1
    assert (second["status"], second["priority"], second["tags"]) == (
        TaskStatus.TODO,
        Priority.MEDIUM,
        [],
    )
    assert projects.created == []


async def test_history_from_the_file_is_kept() -> None:
    imp, tasks, _ = importer()
    await imp.run(
        [
            record(
                1,
                title="done long ago",
                status="done",
                created_at="2024-01-05T09:30:00+02:00",
                completed_at="2024-01-06T00:00:00Z",
            ),
            record(2, title="done, time unknown", status="done"),
            record(3, title="cancelled", status="cancelled"),
        ]
    )
    kept, unknown, cancelled = tasks.rows
    assert kept["created_at"] == datetime(2024, 1, 5, 7, 30, tzinfo=UTC)
    assert kept["completed_at"] == datetime(2024, 1, 6, tzinfo=UTC)
    assert kept["updated_at"] == NOW
    assert unknown["created_at"] == NOW
    assert unknown["completed_at"] == NOW
    assert cancelled["completed_at"] is None


@pytest.mark.parametrize("status", ["todo", "in_progress", "cancelled"])
async def test_a_completion_time_on_a_task_not_done_is_refused_not_dropped(status: str) -> None:
    imp, tasks, _ = importer()

    report = await imp.run(
        [record(1, title="t", status=status, completed_at="2024-01-06T00:00:00Z")],
        on_error=OnError.SKIP,
    )

    assert report.rejected == 1
    assert report.problems[0].reason == (
        f"record: completed_at is only for a done task; this one is {status}"
    )
    assert tasks.rows == []


@pytest.mark.parametrize("created_at", [0, 1700000000, "1700000000", 1.7e12])
async def test_a_creation_time_must_be_iso_8601_not_a_number(created_at: object) -> None:
    imp, tasks, _ = importer()

    report = await imp.run([record(1, title="t", created_at=created_at)], on_error=OnError.SKIP)

    assert report.rejected == 1
    assert "use an ISO 8601 date and time" in report.problems[0].reason
    assert tasks.rows == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("created_at", "0001-01-01T00:00:00+01:00"), ("created_at", "9999-12-31T23:00:00-05:00")],
)
async def test_a_time_outside_the_calendar_once_in_utc_is_a_rejected_record(
    field: str, value: str
) -> None:
    imp, tasks, _ = importer()

    report = await imp.run([record(1, title="t", **{field: value})], on_error=OnError.SKIP)

    assert report.rejected == 1
    assert report.problems[0].reason == (
        f"{field}: out of range once converted to UTC (years 1 to 9999)"
    )
    assert tasks.rows == []


async def test_records_are_inserted_in_batches(small_batches: int) -> None:
    imp, tasks, _ = importer()
    report = await imp.run(valid(8))
    assert [len(batch) for batch in tasks.batches] == [3, 3, 2]
    assert [row["title"] for row in tasks.rows] == [f"task {n}" for n in range(1, 9)]
    assert report.imported == 8


async def test_records_are_pulled_lazily_one_batch_at_a_time(small_batches: int) -> None:
    imp, tasks, _ = importer()
    pulled: list[int] = []

    def source() -> Iterator[RawRecord]:
        for rec in valid(7):
            pulled.append(rec.number)
            # never more than one batch read ahead of what was written
            assert rec.number - len(tasks.rows) <= small_batches
            yield rec

    report = await imp.run(source())
    assert pulled == list(range(1, 8))
    assert report.imported == 7


class FailingTasks(FakeTasks):
    """Inserts that fail on the n-th batch, like a full disk or a lost connection."""

    def __init__(self, fail_on: int) -> None:
        super().__init__()
        self.fail_on = fail_on

    async def add_many(self, rows: Sequence[dict[str, Any]], *, return_ids: bool) -> list[int]:
        await asyncio.sleep(0)
        if len(self.batches) + 1 == self.fail_on:
            raise RuntimeError("disk full")
        return await super().add_many(rows, return_ids=return_ids)


@pytest.mark.parametrize(("count", "fail_on"), [(3, 1), (8, 1), (8, 2), (8, 3)])
async def test_a_failed_insert_is_never_swallowed(
    small_batches: int, count: int, fail_on: int
) -> None:
    tasks = FailingTasks(fail_on)
    imp = TaskImporter(tasks, FakeProjects(), clock=lambda: NOW)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="disk full"):
        await imp.run(valid(count), on_error=OnError.SKIP)


async def test_a_broken_file_waits_for_the_insert_in_flight(small_batches: int) -> None:
    """The caller rolls back on the error: no insert may still be running on its connection."""
    finished: list[int] = []

    class SlowTasks(FakeTasks):
        async def add_many(self, rows: Sequence[dict[str, Any]], *, return_ids: bool) -> list[int]:
            await asyncio.sleep(0.01)
            finished.append(len(rows))
            return await super().add_many(rows, return_ids=return_ids)

    def source() -> Iterator[RawRecord]:
        yield from valid(4)
        raise FileFormatError("the file is not valid UTF-8", 5)

    imp = TaskImporter(SlowTasks(), FakeProjects(), clock=lambda: NOW)  # type: ignore[arg-type]
    with pytest.raises(FileFormatError):
        await imp.run(source())
    assert finished == [3]


async def test_no_records_write_nothing() -> None:
    imp, tasks, projects = importer()
    report = await imp.run([])
    assert (report.read, report.imported, report.rejected) == (0, 0, 0)
    assert tasks.batches == []
    assert projects.created == []


# --- projects ---------------------------------------------------------------------------------


async def test_projects_named_in_the_file_are_created_once(small_batches: int) -> None:
    imp, tasks, projects = importer(existing_projects=["Home"])
    records = [
        record(1, title="a", project="Work"),
        record(2, title="b", project="work"),
        record(3, title="c", project="  WORK "),
        record(4, title="d", project="home"),  # exists already, in another case
        record(5, title="e", project="Work"),  # second batch: known by now
        record(6, title="f"),
        record(7, title="g", project="Garden"),  # third batch: a new one
    ]
    report = await imp.run(records)
    assert [[name_key(n) for n in names] for names in projects.created] == [["work"], ["garden"]]
    assert report.projects_created == 2
    ids = {key: projects.ids[key] for key in ("home", "work", "garden")}
    assert [row["project_id"] for row in tasks.rows] == [
        ids["work"],
        ids["work"],
        ids["work"],
        ids["home"],
        ids["work"],
        None,
        ids["garden"],
    ]
    # names already resolved are not looked up again
    assert all("work" not in lookup for lookup in projects.lookups[1:])


SPELLINGS = ["Work", "work", "WORK", "wORK", "WoRk", "wOrK", "WOrk", "woRK"]


async def test_a_new_project_keeps_the_first_spelling_in_the_file() -> None:
    created = []
    for shift in range(len(SPELLINGS)):
        order = SPELLINGS[shift:] + SPELLINGS[:shift]
        imp, _, projects = importer()
        await imp.run([record(n, title=f"t{n}", project=p) for n, p in enumerate(order, 1)])
        created.append((order[0], projects.created))
    assert created == [(first, [[first]]) for first, _ in created]


async def test_project_of_a_rejected_record_is_not_created() -> None:
    imp, tasks, projects = importer()
    report = await imp.run(
        [record(1, title="", project="Ghost"), record(2, title="ok", project="Real")],
        on_error=OnError.SKIP,
    )
    assert projects.created == [["Real"]]
    assert report.projects_created == 1
    assert len(tasks.rows) == 1


# --- abort (all or nothing) ------------------------------------------------------------------


async def test_abort_raises_with_every_problem_and_writes_nothing() -> None:
    imp, tasks, projects = importer()
    records = [
        record(1, title="ok", project="Work"),
        record(2, title="", priority="whenever"),
        bad(3),
        record(4, title="fine"),
        record(5, title="x", due_date="2030-02-30"),
    ]
    with pytest.raises(ImportRejectedError) as caught:
        await imp.run(records)
    report = caught.value.report
    assert (report.read, report.rejected) == (5, 3)
    assert [p.number for p in report.problems] == [2, 3, 5]
    two, three, five = (p.reason for p in report.problems)
    assert "title:" in two
    assert "priority:" in two
    assert three == "expected 7 cells, found 3"
    assert five.startswith("due_date:")
    assert report.problems[1].raw == "broken line 3"
    assert tasks.batches == []
    assert projects.created == []
    assert "3 of 5 records are invalid; nothing was imported" in caught.value.message


async def test_abort_still_calls_back_for_every_rejection() -> None:
    imp, _, _ = importer()
    seen: list[Rejection] = []
    with pytest.raises(ImportRejectedError):
        await imp.run([bad(1), *valid(2, start=2), bad(4)], on_reject=seen.append)
    assert [r.number for r in seen] == [1, 4]


async def test_a_rejected_import_reports_no_project_created(small_batches: int) -> None:
    # A batch (and its project) went in before the bad record; the rollback takes both.
    imp, _, projects = importer()
    with pytest.raises(ImportRejectedError) as caught:
        await imp.run([*valid(small_batches, project="Work"), bad(small_batches + 1)])
    assert projects.created == [["Work"]]  # made, then rolled back with the transaction
    assert (caught.value.report.imported, caught.value.report.projects_created) == (0, 0)


async def test_abort_lists_at_most_twenty_problems_but_counts_them_all() -> None:
    imp, _, _ = importer()
    with pytest.raises(ImportRejectedError) as caught:
        await imp.run([bad(n) for n in range(1, 26)])
    report = caught.value.report
    assert len(report.problems) == MAX_LISTED_PROBLEMS == 20
    assert report.rejected == 25
    assert report.unlisted_problems == 5
    assert [p.number for p in report.problems] == list(range(1, 21))


# --- skip ---------------------------------------------------------------------------------


async def test_skip_imports_the_valid_records_and_reports_each_rejected_one() -> None:
    imp, tasks, _ = importer()
    seen: list[Rejection] = []
    records = [*valid(2), bad(3), record(4, title="t", tags=["no spaces allowed"]), *valid(2, 5)]
    report = await imp.run(records, on_error=OnError.SKIP, on_reject=seen.append)
    assert (report.read, report.imported, report.rejected, report.skipped) == (6, 4, 2, 0)
    assert report.imported + report.rejected == report.read
    assert [row["title"] for row in tasks.rows] == ["task 1", "task 2", "task 5", "task 6"]
    assert [(r.number, r.raw) for r in seen] == [(3, "broken line 3"), (4, "raw line 4")]
    assert seen[1].reason.startswith("tags:")
    assert report.problems == seen


async def test_skip_keeps_counting_past_the_listing_cap(small_batches: int) -> None:
    imp, tasks, _ = importer()
    seen: list[Rejection] = []
    records = [rec for n in range(1, 31) for rec in (bad(2 * n - 1), *valid(1, 2 * n))]
    report = await imp.run(records, on_error=OnError.SKIP, on_reject=seen.append)
    assert (report.read, report.imported, report.rejected) == (60, 30, 30)
    assert len(seen) == 30  # every one goes to the rejects file
    assert len(report.problems) == 20
    assert report.unlisted_problems == 10
    assert len(tasks.rows) == 30


# --- dry run ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", list(OnError))
async def test_dry_run_never_writes(mode: OnError, small_batches: int) -> None:
    imp, tasks, projects = importer()
    records = [record(n, title=f"t{n}", project=f"P{n % 2}") for n in range(1, 8)]
    report = await imp.run(records, on_error=mode, dry_run=True)
    assert tasks.batches == []
    assert projects.created == []
    assert report.dry_run is True
    assert (report.read, report.imported, report.rejected) == (7, 7, 0)


async def test_dry_run_with_skip_counts_what_would_be_imported() -> None:
    imp, tasks, projects = importer()
    report = await imp.run(
        [*valid(3), bad(4), note(5), record(6, title="")],
        on_error=OnError.SKIP,
        dry_run=True,
    )
    assert (report.read, report.imported, report.rejected, report.skipped) == (6, 3, 2, 1)
    assert tasks.batches == []
    assert projects.created == []


async def test_dry_run_in_abort_mode_still_rejects_an_invalid_file() -> None:
    imp, tasks, _ = importer()
    with pytest.raises(ImportRejectedError) as caught:
        await imp.run([*valid(2), bad(3)], dry_run=True)
    assert caught.value.report.rejected == 1
    assert tasks.batches == []


# --- notes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", list(OnError))
async def test_notes_are_counted_as_skipped_not_rejected(mode: OnError) -> None:
    imp, tasks, _ = importer()
    seen: list[Rejection] = []
    report = await imp.run(
        [*valid(1), note(2), *valid(1, 3), note(4, "something else")],
        on_error=mode,
        on_reject=seen.append,
    )
    assert (report.read, report.imported, report.rejected, report.skipped) == (4, 2, 0, 2)
    assert report.imported + report.rejected + report.skipped == report.read
    assert report.notes == [
        "record 2: recurring template skipped",
        "record 4: something else",
    ]
    assert seen == []
    assert len(tasks.rows) == 2


async def test_notes_listing_is_capped_too() -> None:
    imp, _, _ = importer()
    report = await imp.run([note(n) for n in range(1, 31)])
    assert report.skipped == 30
    assert len(report.notes) == 20


# --- progress --------------------------------------------------------------------------------


async def test_progress_is_reported_every_thousand_records_and_at_the_end() -> None:
    imp, _, _ = importer()
    calls: list[int] = []
    await imp.run(valid(2500), on_progress=calls.append)
    assert calls == [1000, 2000, 2500]


async def test_real_wiring_uses_the_session_repositories() -> None:
    class Session:
        pass

    session: Any = Session()
    imp = TaskImporter.from_session(session)
    assert imp.tasks.session is session
    assert imp.projects.session is session


# --- bulk loads -----------------------------------------------------------------------------


@pytest.fixture
def small_bulk_load(monkeypatch: pytest.MonkeyPatch, small_batches: int) -> int:
    monkeypatch.setattr(task_import, "BULK_LOAD_AFTER", 5)
    monkeypatch.setattr(task_import, "ANALYZE_AFTER", 1_000)
    return 5


@pytest.mark.usefixtures("small_bulk_load")
async def test_a_large_import_drops_the_sort_indexes_once_and_builds_them_at_the_end() -> None:
    imp, tasks, _ = importer()

    await imp.run(valid(11))

    # Batches of 3: the second one reaches 6 >= 5 rows, so it goes in without indexes.
    assert tasks.events == [
        "insert 3",
        "drop indexes",
        "insert 3",
        "insert 3",
        "insert 2",
        "create indexes",
    ]


@pytest.mark.usefixtures("small_bulk_load")
async def test_an_import_smaller_than_the_table_keeps_the_indexes() -> None:
    imp, tasks, _ = importer(tasks=FakeTasks(existing=100))

    await imp.run(valid(11))

    assert tasks.events == ["insert 3", "insert 3", "insert 3", "insert 2"]
    assert tasks.counts == 1


@pytest.mark.usefixtures("small_bulk_load")
async def test_an_import_that_outgrows_the_table_drops_the_indexes_then() -> None:
    imp, tasks, _ = importer(tasks=FakeTasks(existing=7))

    await imp.run(valid(11))

    # 6 rows after the second batch are fewer than the 7 already there; 9 are not.
    assert tasks.events == [
        "insert 3",
        "insert 3",
        "drop indexes",
        "insert 3",
        "insert 2",
        "create indexes",
    ]
    assert tasks.counts == 1  # the table is counted once, not per batch


@pytest.mark.usefixtures("small_bulk_load")
async def test_a_small_import_never_counts_the_table() -> None:
    imp, tasks, _ = importer(tasks=FakeTasks(existing=100))

    await imp.run(valid(4))

    assert tasks.counts == 0
    assert tasks.events == ["insert 3", "insert 1"]


@pytest.mark.usefixtures("small_bulk_load")
async def test_a_database_that_cannot_drop_indexes_is_asked_once() -> None:
    imp, tasks, _ = importer(tasks=FakeTasks(can_drop_indexes=False))

    await imp.run(valid(11))

    assert tasks.events == ["insert 3", "keep indexes", "insert 3", "insert 3", "insert 2"]


@pytest.mark.usefixtures("small_bulk_load")
async def test_a_rejected_large_import_never_rebuilds_the_indexes() -> None:
    imp, tasks, _ = importer()

    with pytest.raises(ImportRejectedError):
        await imp.run([*valid(9), bad(10)])

    # The caller's rollback restores the dropped indexes along with everything else.
    assert "create indexes" not in tasks.events


async def test_attributes_left_out_are_counted_over_the_records_imported() -> None:
    def with_extras(number: int, *unmapped: str, **fields: Any) -> RawRecord:
        return RawRecord(
            number, {"title": f"t{number}", **fields}, f"raw {number}", None, None, unmapped
        )

    imp, _, _ = importer()
    report = await imp.run(
        [
            with_extras(1, "scheduled", "wait"),
            with_extras(2, "wait"),
            with_extras(3, "estimate", priority="extreme"),  # rejected: nothing of it counts
            with_extras(4),
        ],
        on_error=OnError.SKIP,
    )

    assert (report.imported, report.rejected) == (3, 1)
    assert report.unmapped == {"scheduled": 1, "wait": 2}
