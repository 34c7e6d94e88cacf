"""TaskExporter: a format's text from the service's task stream, and what it leaves out."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import cast

import pytest

from app.schemas.task import TaskFilters, TaskRead
from app.services.formats import UNWRITTEN, FileFormat
from app.services.task import TaskService
from app.services.task_export import TaskExporter

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def task(task_id: int, description: str | None) -> TaskRead:
    return TaskRead(
        id=task_id,
        title=f"Task {task_id}",
        description=description,
        status="todo",
        priority="medium",
        due_date=None,
        project=None,
        tags=[],
        created_at=NOW,
        updated_at=NOW,
        completed_at=None,
        version=1,
    )


class FakeTasks:
    """The one TaskService method an exporter calls, over a fixed list."""

    def __init__(self, tasks: list[TaskRead]) -> None:
        self.tasks = tasks

    async def iter_tasks(self, filters: TaskFilters) -> AsyncIterator[TaskRead]:
        for one in self.tasks:
            yield one


async def export(fmt: FileFormat, tasks: list[TaskRead]) -> tuple[str, TaskExporter]:
    exporter = TaskExporter(cast(TaskService, FakeTasks(tasks)))
    text = "".join([chunk async for chunk in exporter.chunks(TaskFilters(), fmt)])
    return text, exporter


TASKS = [task(1, "Details"), task(2, None), task(3, ""), task(4, "More")]


async def test_todotxt_counts_the_descriptions_it_leaves_out() -> None:
    text, exporter = await export(FileFormat.TODOTXT, TASKS)

    assert exporter.exported == 4
    assert "Details" not in text
    assert exporter.left_out == {"description": 2}  # an empty description is no loss


@pytest.mark.parametrize(
    "fmt", [FileFormat.CSV, FileFormat.JSONL, FileFormat.JSON, FileFormat.TASKWARRIOR]
)
async def test_formats_that_hold_the_description_leave_nothing_out(fmt: FileFormat) -> None:
    text, exporter = await export(fmt, TASKS)

    assert exporter.exported == 4
    assert "Details" in text
    assert "More" in text
    assert not exporter.left_out


def test_every_format_declares_task_fields_it_leaves_out() -> None:
    assert set(UNWRITTEN) == set(FileFormat)
    assert all(set(left_out) <= set(TaskRead.model_fields) for left_out in UNWRITTEN.values())
