"""ProjectRepository on the real database."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import Database
from app.core.enums import TaskStatus
from app.dal.project import ProjectRepository, name_key
from app.dal.task import TaskRepository
from app.models import Project

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def task_row(project_id: int | None) -> dict[str, object]:
    return {
        "title": "t",
        "status": TaskStatus.TODO,
        "priority": "medium",
        "project_id": project_id,
        "tags": [],
        "created_at": NOW,
        "updated_at": NOW,
        "version": 1,
    }


@pytest.mark.parametrize(("name", "key"), [("Work", "work"), ("STRASSE", "strasse"), ("ß", "ss")])
def test_name_key_casefolds(name: str, key: str) -> None:
    assert name_key(name) == key


async def test_add_then_get(db: Database) -> None:
    async with db.session() as session:
        repo = ProjectRepository(session)
        added = await repo.add("Work", "desc", NOW)

        assert added.id is not None
        stored = await repo.get(added.id)
        assert stored is not None
        assert (stored.name, stored.name_key, stored.description) == ("Work", "work", "desc")
        assert (stored.created_at, stored.updated_at) == (NOW, NOW)
        assert await repo.get(added.id + 1000) is None


@pytest.mark.parametrize("asked", ["Work Stuff", "work stuff", "WORK STUFF", "wORK sTUFF"])
async def test_get_by_name_ignores_case(db: Database, asked: str) -> None:
    async with db.session() as session:
        repo = ProjectRepository(session)
        added = await repo.add("Work Stuff", None, NOW)

        found = await repo.get_by_name(asked)

        assert found is not None
        assert found.id == added.id
        assert await repo.get_by_name("Work") is None


async def test_list_all_sorted_by_name_ignoring_case(db: Database) -> None:
    async with db.session() as session:
        repo = ProjectRepository(session)
        for name in ["beta", "Gamma", "alpha", "Delta"]:
            await repo.add(name, None, NOW)

        assert [p.name for p in await repo.list_all()] == ["alpha", "beta", "Delta", "Gamma"]
        assert await repo.count() == 4


async def test_add_many_maps_keys_to_new_ids(db: Database) -> None:
    async with db.session() as session:
        repo = ProjectRepository(session)
        existing = await repo.add("Home", None, NOW)

        ids, created = await repo.add_many(["Work", "Garden Shed"], NOW)

        assert created == 2
        assert set(ids) == {"work", "garden shed"}
        assert existing.id not in ids.values()
        for key, project_id in ids.items():
            project = await repo.get(project_id)
            assert project is not None
            assert project.name_key == key
        assert await repo.add_many([], NOW) == ({}, 0)


async def test_ids_by_key_returns_only_existing(db: Database) -> None:
    async with db.session() as session:
        repo = ProjectRepository(session)
        work = await repo.add("Work", None, NOW)
        home = await repo.add("HOME", None, NOW)

        assert await repo.ids_by_key(["work", "home", "nope"]) == {"work": work.id, "home": home.id}
        assert await repo.ids_by_key(k for k in ["home"]) == {"home": home.id}
        assert await repo.ids_by_key(["Work"]) == {}
        assert await repo.ids_by_key([]) == {}


async def test_has_tasks(db: Database) -> None:
    async with db.session() as session:
        repo = ProjectRepository(session)
        used = await repo.add("Used", None, NOW)
        unused = await repo.add("Unused", None, NOW)
        await TaskRepository(session).add(task_row(used.id))
        await TaskRepository(session).add(task_row(None))

        assert await repo.has_tasks(used.id) is True
        assert await repo.has_tasks(unused.id) is False


async def test_rename_updates_name_key(db: Database) -> None:
    async with db.session() as session:
        repo = ProjectRepository(session)
        project = await repo.add("Work", None, NOW)

        await repo.rename(project, "Office")
        await session.flush()

        assert await repo.get_by_name("work") is None
        found = await repo.get_by_name("OFFICE")
        assert found is not None
        assert found.id == project.id


async def test_delete(db: Database) -> None:
    async with db.session() as session:
        repo = ProjectRepository(session)
        project = await repo.add("Work", None, NOW)

        await repo.delete(project)

        assert await repo.get_by_name("Work") is None
        assert await repo.count() == 0


async def test_database_refuses_project_with_tasks_being_deleted(db: Database) -> None:
    async with db.session() as session:
        repo = ProjectRepository(session)
        project = await repo.add("Work", None, NOW)
        await TaskRepository(session).add(task_row(project.id))

        with pytest.raises(IntegrityError):
            async with session.begin_nested():
                await repo.delete(project)


async def assert_refused(session: AsyncSession, name: str) -> None:
    """A second project whose name differs only in case breaks the unique name key."""
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            await session.execute(
                insert(Project).values(
                    name=name, name_key=name_key(name), created_at=NOW, updated_at=NOW
                )
            )


@pytest.mark.parametrize("second", ["Work", "WORK", "work", "wOrK"])
async def test_database_enforces_unique_name_ignoring_case(db: Database, second: str) -> None:
    async with db.session() as session:
        repo = ProjectRepository(session)
        await repo.add("Work", None, NOW)

        await assert_refused(session, second)

        assert [p.name for p in await repo.list_all()] == ["Work"]


async def test_add_of_duplicate_is_refused_by_database(db: Database) -> None:
    async with db.session() as session:
        repo = ProjectRepository(session)
        await repo.add("Work", None, NOW)

        with pytest.raises(IntegrityError):
            async with session.begin_nested():
                await repo.add("WORK", None, NOW)


async def test_add_many_skips_names_that_already_exist_ignoring_case(db: Database) -> None:
    async with db.session() as session:
        repo = ProjectRepository(session)
        existing = await repo.add("Work", None, NOW)

        ids, created = await repo.add_many(["work", "WORK", "Home"], NOW + timedelta(seconds=1))

        assert created == 1
        assert ids["work"] == existing.id
        assert await repo.count() == 2
