"""A large import on a real database: indexes dropped and rebuilt, or restored on failure."""

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import Database
from app.dal.task import TaskRepository
from app.services import task_import
from app.services.formats import RawRecord
from app.services.task_import import ImportRejectedError, TaskImporter


@pytest.fixture(autouse=True)
def small_bulk_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(task_import, "BATCH_SIZE", 3)
    monkeypatch.setattr(task_import, "BULK_LOAD_AFTER", 5)


@pytest.fixture
def drops(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """What each `drop_secondary_indexes` call returned (True: dropped, on SQLite)."""
    seen: list[bool] = []
    original = TaskRepository.drop_secondary_indexes

    async def spy(self: TaskRepository) -> bool:
        seen.append(await original(self))
        return seen[-1]

    monkeypatch.setattr(TaskRepository, "drop_secondary_indexes", spy)
    return seen


def records(count: int, first: int = 1) -> list[RawRecord]:
    return [
        RawRecord(n, {"title": f"task {n:03}", "project": "Bulk"}, f"line {n}")
        for n in range(first, first + count)
    ]


async def index_names(session: AsyncSession) -> set[str]:
    connection = await session.connection()
    indexes = await connection.run_sync(lambda sync: inspect(sync).get_indexes("tasks"))
    return {index["name"] for index in indexes}


async def test_a_large_import_ends_with_every_index_and_row(
    db: Database, drops: list[bool]
) -> None:
    async with db.session() as session:
        expected = await index_names(session)

    async with db.session() as session:
        report = await TaskImporter.from_session(session).run(records(11))

    assert report.imported == 11
    assert drops == [db.backend == "sqlite"]
    async with db.session(write=False) as session:
        assert await index_names(session) == expected
        assert await TaskRepository(session).count() == 11


async def test_a_large_import_rejected_after_the_drop_leaves_the_database_as_it_was(
    db: Database, drops: list[bool]
) -> None:
    async with db.session() as session:
        await TaskImporter.from_session(session).run(records(4))
        expected = await index_names(session)
    bad = RawRecord(99, {}, "broken", error="expected 2 cells, found 1")

    async def rejected_import() -> None:
        async with db.session() as session:
            # 12 valid rows outgrow the 4 already there: the indexes go after batch 4.
            await TaskImporter.from_session(session).run([*records(12, first=5), bad])

    with pytest.raises(ImportRejectedError):
        await rejected_import()
    assert drops == [db.backend == "sqlite"]

    async with db.session(write=False) as session:
        assert await index_names(session) == expected
        assert await TaskRepository(session).count() == 4
