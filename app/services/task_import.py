"""Batch import: numbered raw records in, validated tasks out, all or nothing by default.

The importer never holds the file: it pulls records from a format reader (a generator),
validates each with the same schema the API uses, and inserts them in batches through
one executemany per batch. The caller's transaction makes the whole import atomic.
"""

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Self

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.core.errors import AppError
from app.dal.project import ProjectRepository, name_key
from app.dal.task import TaskRepository
from app.schemas.task import TaskImport
from app.schemas.types import error_message
from app.services.formats import RawRecord
from app.services.task import TaskService

BATCH_SIZE = 5_000
ANALYZE_AFTER = 10_000  # imports this large refresh the query planner's statistics
# An import this large, and larger than the table it goes into, drops the table's indexes
# and builds them once at the end: far cheaper than updating each for every row.
BULK_LOAD_AFTER = 20_000
MAX_LISTED_PROBLEMS = 20


class OnError(StrEnum):
    """What an invalid record does to the import."""

    ABORT = "abort"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record that was not imported, as read, and why."""

    number: int
    raw: str
    reason: str


@dataclass(slots=True)
class ImportReport:
    """What an import did (or, with dry_run, would do)."""

    read: int = 0
    imported: int = 0
    rejected: int = 0
    skipped: int = 0
    projects_created: int = 0
    dry_run: bool = False
    seconds: float = 0.0
    problems: list[Rejection] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unmapped: Counter[str] = field(default_factory=Counter)
    """Attributes no task field holds, with how many imported records had each."""

    @property
    def unlisted_problems(self) -> int:
        """Rejections beyond the ones kept for display."""
        return self.rejected - len(self.problems)


class ImportRejectedError(AppError):
    """All-or-nothing import refused because some records are invalid; nothing was written."""

    code = "import-rejected"
    title = "Import rejected"

    def __init__(self, report: ImportReport) -> None:
        super().__init__(
            f"{report.rejected} of {report.read} records are invalid; nothing was imported."
        )
        self.report = report


def describe_validation_error(error: ValidationError) -> str:
    """`field: message` for every invalid field of a record."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'record'}: {error_message(e)}"
        for e in error.errors()
    )


ProgressCallback = Callable[[int], None]
RejectCallback = Callable[[Rejection], None]


class TaskImporter:
    """Validates records and writes them in batches; never commits."""

    def __init__(
        self,
        tasks: TaskRepository,
        projects: ProjectRepository,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.tasks = tasks
        self.projects = projects
        self.clock = clock
        self._project_ids: dict[str, int] = {}
        self._tasks_before: int | None = None
        self._indexes_dropped: bool | None = None  # None until a large import decides

    @classmethod
    def from_session(cls, session: AsyncSession) -> Self:
        """The importer wired to the real repositories on `session`."""
        return cls(TaskRepository(session), ProjectRepository(session))

    async def run(
        self,
        records: Iterable[RawRecord],
        *,
        on_error: OnError = OnError.ABORT,
        dry_run: bool = False,
        on_reject: RejectCallback | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> ImportReport:
        """Import every record; raise `ImportRejectedError` in abort mode if any is invalid."""
        started = time.perf_counter()
        report = ImportReport(dry_run=dry_run)
        now = self.clock()
        batch: list[tuple[TaskImport, dict[str, Any]]] = []
        for record in records:
            report.read += 1
            task = self._accept(record, report, on_reject)
            if record.unmapped and task is not None:
                report.unmapped.update(record.unmapped)
            writing = not dry_run and (on_error is OnError.SKIP or report.rejected == 0)
            if task is not None and writing:
                batch.append((task, TaskService.new_row(task, None, now)))
                if len(batch) >= BATCH_SIZE:
                    await self._write(batch, report, now)
                    batch = []
            if on_progress is not None and report.read % 1000 == 0:
                on_progress(report.read)
        if on_error is OnError.ABORT and report.rejected:
            report.imported = 0  # what was inserted so far is rolled back with the error
            report.projects_created = 0  # and so are the projects made for it
            report.seconds = time.perf_counter() - started
            raise ImportRejectedError(report)
        if batch:
            await self._write(batch, report, now)
        if self._indexes_dropped:
            await self.tasks.create_secondary_indexes()
        if report.imported >= ANALYZE_AFTER:
            await self.tasks.analyze()  # fresh planner statistics for the new rows
        if dry_run:
            report.imported = report.read - report.rejected - report.skipped
        if on_progress is not None:
            on_progress(report.read)
        report.seconds = time.perf_counter() - started
        return report

    def _accept(
        self, record: RawRecord, report: ImportReport, on_reject: RejectCallback | None
    ) -> TaskImport | None:
        """The record's validated task, or None after recording why it was not taken."""
        if record.note is not None:
            report.skipped += 1
            if len(report.notes) < MAX_LISTED_PROBLEMS:
                report.notes.append(f"record {record.number}: {record.note}")
            return None
        reason = record.error
        if reason is None:
            try:
                return TaskImport.model_validate(record.fields)
            except ValidationError as error:
                reason = describe_validation_error(error)
        rejection = Rejection(number=record.number, raw=record.raw, reason=reason)
        report.rejected += 1
        if len(report.problems) < MAX_LISTED_PROBLEMS:
            report.problems.append(rejection)
        if on_reject is not None:
            on_reject(rejection)
        return None

    async def _write(
        self, batch: list[tuple[TaskImport, dict[str, Any]]], report: ImportReport, now: datetime
    ) -> None:
        """Insert one batch, creating the projects it names that do not exist yet."""
        # In file order, so the first spelling of a project name is the one created.
        names = list(dict.fromkeys(t.project for t, _ in batch if t.project))
        await self._ensure_projects(names, report, now)
        rows = []
        for task, row in batch:
            if task.project:
                row["project_id"] = self._project_ids[name_key(task.project)]
            rows.append(row)
        await self._bulk_load_if_large(report.imported, report.imported + len(rows))
        await self.tasks.add_many(rows, return_ids=False)
        report.imported += len(rows)

    async def _bulk_load_if_large(self, imported: int, rows_after_batch: int) -> None:
        """Drop the indexes once this import outgrows `BULK_LOAD_AFTER` and the table."""
        if self._indexes_dropped is not None or rows_after_batch < BULK_LOAD_AFTER:
            return
        if self._tasks_before is None:  # counted once, and only for a large import
            self._tasks_before = await self.tasks.count() - imported
        if rows_after_batch < self._tasks_before:
            return
        self._indexes_dropped = await self.tasks.drop_secondary_indexes()

    async def _ensure_projects(self, names: list[str], report: ImportReport, now: datetime) -> None:
        missing: dict[str, str] = {}
        for name in names:
            if name_key(name) not in self._project_ids:
                missing.setdefault(name_key(name), name)
        if not missing:
            return
        self._project_ids.update(await self.projects.ids_by_key(missing))
        to_create = [n for key, n in missing.items() if key not in self._project_ids]
        if to_create:
            ids, created = await self.projects.add_many(to_create, now)
            self._project_ids.update(ids)
            report.projects_created += created
