"""Database access for projects."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Project, Task


def name_key(name: str) -> str:
    """The case-insensitive identity of a project name."""
    return name.casefold()


class ProjectRepository:
    """Reads and writes projects; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, project_id: int) -> Project | None:
        """The project with this id, if any."""
        return await self.session.get(Project, project_id)

    async def get_by_name(self, name: str) -> Project | None:
        """The project with this name, ignoring case, if any."""
        result = await self.session.execute(
            select(Project).where(Project.name_key == name_key(name))
        )
        return result.scalar_one_or_none()

    async def list_all(self) -> Sequence[Project]:
        """Every project, sorted by name ignoring case."""
        result = await self.session.execute(select(Project).order_by(Project.name_key))
        return result.scalars().all()

    async def add(self, name: str, description: str | None, now: datetime) -> Project:
        """Insert a project and return it with its id."""
        project = Project(
            name=name,
            name_key=name_key(name),
            description=description,
            created_at=now,
            updated_at=now,
        )
        self.session.add(project)
        await self.session.flush()
        return project

    async def rename(self, project: Project, name: str) -> None:
        """Give the project a new name (and name key), written now.

        Written at once, not at commit, so the project's row is locked from here on
        (PostgreSQL): a task added to the project meanwhile waits for this transaction
        instead of slipping past what the rename does to its tasks.
        """
        project.name = name
        project.name_key = name_key(name)
        await self.session.flush()

    async def delete(self, project: Project) -> None:
        """Delete the project."""
        await self.session.delete(project)
        await self.session.flush()

    async def has_tasks(self, project_id: int) -> bool:
        """Whether any task still belongs to the project."""
        result = await self.session.execute(
            select(Task.id).where(Task.project_id == project_id).limit(1)
        )
        return result.first() is not None

    async def ids_by_key(self, keys: Iterable[str]) -> dict[str, int]:
        """Map name keys to ids for the projects that exist."""
        wanted = list(keys)
        if not wanted:
            return {}
        result = await self.session.execute(
            select(Project.name_key, Project.id).where(Project.name_key.in_(wanted))
        )
        return {row.name_key: row.id for row in result}

    async def add_many(self, names: Iterable[str], now: datetime) -> tuple[dict[str, int], int]:
        """Insert the projects that do not exist yet; map every name key to its id.

        ON CONFLICT DO NOTHING (in sorted order, so two imports cannot deadlock) lets a
        concurrent import create the same project first. Returns the ids and how many
        projects this call created.
        """
        first_spelling: dict[str, str] = {}
        for name in names:
            first_spelling.setdefault(name_key(name), name)
        wanted = sorted(first_spelling.items())
        if not wanted:
            return {}, 0
        rows = [
            {"name": n, "name_key": key, "created_at": now, "updated_at": now} for key, n in wanted
        ]
        stmt = _insert_ignoring_conflicts(
            (await self.session.connection()).dialect.name, ["name_key"]
        )
        result = await self.session.execute(stmt.returning(Project.id), rows)
        created = len(result.all())
        return await self.ids_by_key(key for key, _ in wanted), created

    async def count(self) -> int:
        """How many projects exist."""
        return int(await self.session.scalar(select(func.count()).select_from(Project)) or 0)


def _insert_ignoring_conflicts(dialect: str, index_elements: list[str]) -> Any:
    """`INSERT … ON CONFLICT DO NOTHING` into projects, in the dialect's own construct.

    The dialect modules are imported here, not at module level: the PostgreSQL one alone
    adds about 60 ms to every CLI command's start-up on SQLite.
    """
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(Project).on_conflict_do_nothing(index_elements=index_elements)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(Project).on_conflict_do_nothing(index_elements=index_elements)
