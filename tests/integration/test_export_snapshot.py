"""An export sees one moment of the database, whatever changes while it streams.

Exports read in batches of 1,000 by keyset; without one read transaction a task renamed
(or updated) mid-stream moves in the sort order, so it came out twice or not at all.
"""

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from app.core.database import Database
from app.core.enums import SortField
from app.schemas.task import TaskCreate, TaskFilters, TaskQuery, TaskUpdate
from app.services.formats import FileFormat
from app.services.task import TaskService
from app.services.task_export import TaskExporter
from tests.conftest import ON_POSTGRES

TASKS = 2_500  # three fetch batches


@pytest.fixture
async def database(committed_database_url: str) -> AsyncIterator[Database]:
    database = Database(committed_database_url)
    await database.create_all()
    try:
        yield database
    finally:
        await database.dispose()


async def change_while_exporting(
    database: Database, sort: SortField, change: TaskUpdate
) -> tuple[list[int], list[int]]:
    """Export sorted by `sort`, applying `change` to the first 5 exported tasks after the
    first chunk; return the exported ids and every id in the database."""
    async with database.session() as session:
        ids = await TaskService.from_session(session).create_many(
            [TaskCreate(title=f"task {n:05d}") for n in range(TASKS)]
        )
    exported: list[int] = []
    async with database.session(write=False, snapshot=True) as session:
        exporter = TaskExporter(TaskService.from_session(session))
        changed = False
        async for chunk in exporter.chunks(TaskFilters(sort=sort), FileFormat.JSONL):
            exported += [json.loads(line)["id"] for line in chunk.splitlines()]
            if not changed:
                async with database.session() as writer:
                    service = TaskService.from_session(writer)
                    for task_id in exported[:5]:
                        await service.update(task_id, change)
                changed = True
    return exported, ids


@pytest.mark.parametrize(
    ("sort", "change"),
    [
        (SortField.TITLE, TaskUpdate(title="zzz moved to the end")),
        (SortField.UPDATED_AT, TaskUpdate(description="touched")),
    ],
)
async def test_tasks_changed_mid_export_come_out_once(
    database: Database, sort: SortField, change: TaskUpdate
) -> None:
    exported, ids = await change_while_exporting(database, sort, change)

    assert sorted(exported) == sorted(ids)  # each task exactly once


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite: exports bypass the reader pool")
async def test_open_exports_leave_the_reader_pool_to_the_api(committed_database_url: str) -> None:
    """Slow export clients used to hold every pooled reader: reads then waited 30 s."""
    database = Database(committed_database_url, pool_size=1)
    await database.create_all()
    try:
        async with (
            database.session(write=False, snapshot=True) as first,
            database.session(write=False, snapshot=True) as second,
        ):
            for export in (first, second):  # both mid-stream: their transactions are open
                await TaskService.from_session(export).list_page(TaskQuery())
            async with asyncio.timeout(5), database.session(write=False) as read:
                page = await TaskService.from_session(read).list_page(TaskQuery())
        assert page.items == []
    finally:
        await database.dispose()
