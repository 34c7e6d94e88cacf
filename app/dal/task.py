"""Database access for tasks: every task query, filter, sort and keyset page."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Row,
    Select,
    Table,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    text,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.schema import CreateIndex, DropIndex

from app.core.database import POINT_READ, SHORT_READ
from app.core.enums import CLOSED_STATUSES, SortField, SortOrder
from app.dal import task_bulk
from app.dal.project import name_key
from app.models import Project, Task
from app.models.base import casefold
from app.schemas.task import TaskFilters

READ_COLUMNS = (
    Task.id,
    Task.title,
    Task.description,
    Task.status,
    Task.priority,
    Task.due_date,
    Project.name.label("project"),
    Task.tags,
    Task.created_at,
    Task.updated_at,
    Task.completed_at,
    Task.version,
)

TASKS: Table = Task.__table__  # type: ignore[assignment]

SORT_COLUMNS: dict[SortField, InstrumentedAttribute[Any]] = {
    SortField.ID: Task.id,
    SortField.CREATED_AT: Task.created_at,
    SortField.UPDATED_AT: Task.updated_at,
    SortField.DUE_DATE: Task.due_date,
    SortField.PRIORITY: Task.priority,
    SortField.TITLE: Task.title,
}
NULLABLE_SORTS = frozenset({SortField.DUE_DATE})
FEW_VALUE_SORTS = frozenset({SortField.PRIORITY})


@dataclass(frozen=True, slots=True)
class Keyset:
    """Where the next page starts: the last row's sort value and id.

    `value` is None inside the trailing segment of rows whose sort value is null.
    """

    value: Any
    id: int


class TaskRepository:
    """Reads and writes tasks; never commits. Reads return rows shaped like `TaskRead`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, task_id: int) -> Row[Any] | None:
        """The task with this id, as a read row, if any."""
        result = await self._read(_GET_BY_ID, {"task_id": task_id})
        row: Row[Any] | None = result.first()
        return row

    async def get_for_update(self, task_id: int) -> Task | None:
        """The task with this id, locked for the rest of the transaction (PostgreSQL)."""
        stmt = select(Task).where(Task.id == task_id).with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def add(self, values: Mapping[str, Any]) -> int:
        """Insert one task and return its id."""
        # A constant Core statement, values as parameters: building `.values(**values)`
        # per call cost more than the insert itself.
        result = await self.session.execute(_INSERT_RETURNING_ID, dict(values))
        return int(result.scalar_one())

    async def add_many(self, rows: Sequence[Mapping[str, Any]], *, return_ids: bool) -> list[int]:
        """Insert many tasks in one executemany; return their ids in order if asked."""
        if not rows:
            return []
        if not return_ids:
            connection = await self.session.connection()
            if connection.dialect.name == "sqlite":
                await task_bulk.insert_tasks(connection, rows)
            else:
                # The Core table, not the ORM entity: one executemany, no per-row ORM work.
                await self.session.execute(insert(TASKS), rows)
            return []
        stmt = insert(Task).returning(Task.id, sort_by_parameter_order=True)
        return list((await self.session.scalars(stmt, rows)).all())

    async def touch_project_tasks(self, project_id: int, now: datetime) -> None:
        """Give every task of the project a new version and `updated_at`, in one UPDATE."""
        await self.session.execute(
            update(TASKS)
            .where(TASKS.c.project_id == project_id)
            .values(version=TASKS.c.version + 1, updated_at=now)
        )

    async def delete(self, task: Task) -> None:
        """Delete the task (the version check guards against a concurrent change)."""
        await self.session.delete(task)
        await self.session.flush()

    async def count(self) -> int:
        """How many tasks there are."""
        return int(await self.session.scalar(select(func.count()).select_from(TASKS)) or 0)

    async def drop_secondary_indexes(self) -> bool:
        """Drop the tasks indexes for a bulk load, inside this transaction (SQLite only).

        These are the sort indexes and the project index. Building an index once, over
        sorted keys, costs a fraction of updating six B-trees for every inserted row.
        SQLite's DDL is transactional and WAL readers keep seeing the committed schema, so
        readers are unaffected and a rollback brings the indexes back. On PostgreSQL, DROP
        INDEX would lock every reader out until the commit, so this does nothing there and
        returns False.
        """
        connection = await self.session.connection()
        if connection.dialect.name != "sqlite":
            return False
        for index in TASKS.indexes:
            await connection.execute(DropIndex(index, if_exists=True))
        return True

    async def create_secondary_indexes(self) -> None:
        """Create the indexes `drop_secondary_indexes` dropped, in the same transaction."""
        connection = await self.session.connection()
        for index in TASKS.indexes:
            await connection.execute(CreateIndex(index, if_not_exists=True))

    async def analyze(self) -> None:
        """Refresh the query planner's statistics for tasks (after a large import)."""
        await self.session.execute(text(f"ANALYZE {TASKS.name}"))

    async def flush(self) -> None:
        """Write pending changes (the version counter is checked and bumped here)."""
        await self.session.flush()

    async def page(
        self, filters: TaskFilters, today: date, after: Keyset | None, limit: int
    ) -> list[Row[Any]]:
        """Up to `limit` matching rows after `after`, in the filters' sort order.

        Keyset pagination: each page is an index range scan, so a deep page costs what
        the first does. Rows whose sort value is null come last in both directions.
        """
        base = _read_select().where(*_conditions(filters, today))
        if not filters.q:
            # A short read (see `app.core.sqlite_driver`). A text search scans, and SQLite
            # cannot count the Python case folding it calls for every row against a budget.
            base = base.execution_options(**{SHORT_READ: True})
        column = SORT_COLUMNS[filters.sort]
        descending = filters.order is SortOrder.DESC
        if filters.sort is SortField.ID:
            stmt = base if after is None else base.where(_after_id(after.id, descending))
            return await self._rows(stmt.order_by(_directed(Task.id, descending)).limit(limit))

        rows: list[Row[Any]] = []
        nullable = filters.sort in NULLABLE_SORTS
        if after is None or after.value is not None:
            stmt = base.where(column.is_not(None)) if nullable else base
            order = (_directed(column, descending), _directed(Task.id, descending))
            if after is not None and filters.sort in FEW_VALUE_SORTS:
                # Rest of the current value's run, then the values after it: two exact
                # index ranges. SQLite bounds a row-value range by its first column only,
                # which for a column of 4 values means walking a quarter of the table.
                value = literal(after.value, column.type)
                same = stmt.where(column == value, _after_id(after.id, descending))
                rows = await self._rows(same.order_by(_directed(Task.id, descending)).limit(limit))
                if len(rows) < limit:
                    rest = stmt.where(column < value if descending else column > value)
                    rows += await self._rows(rest.order_by(*order).limit(limit - len(rows)))
            else:
                if after is not None:
                    key = tuple_(column, Task.id)
                    bound = tuple_(literal(after.value, column.type), literal(after.id))
                    stmt = stmt.where(key < bound if descending else key > bound)
                rows = await self._rows(stmt.order_by(*order).limit(limit))
        if nullable and len(rows) < limit:
            stmt = base.where(column.is_(None))
            if after is not None and after.value is None:
                stmt = stmt.where(_after_id(after.id, descending))
            stmt = stmt.order_by(_directed(Task.id, descending)).limit(limit - len(rows))
            rows += await self._rows(stmt)
        return rows

    async def stats(self, today: date) -> Sequence[Row[Any]]:
        """Counts grouped by project, status and priority, with the overdue count of each.

        A project without tasks has one row of its own: status and priority null, total 0.
        """
        overdue = case((_overdue(today), 1), else_=0)
        grouped = (
            select(
                Project.name.label("project"),
                Task.status,
                Task.priority,
                func.count().label("total"),
                func.sum(overdue).label("overdue"),
            )
            .select_from(Task)
            .outerjoin(Project, Task.project_id == Project.id)
            .group_by(Project.id, Project.name, Task.status, Task.priority)
        )
        empty_projects = select(Project.name, null(), null(), literal(0), literal(0)).where(
            ~exists().where(Task.project_id == Project.id)
        )
        stmt: CompoundSelect[Any] = union_all(grouped, empty_projects)
        rows: Sequence[Row[Any]] = (await self.session.execute(stmt)).all()
        return rows

    async def _rows(self, stmt: Select[Any]) -> list[Row[Any]]:
        return list((await self._read(stmt)).all())

    async def _read(self, stmt: Select[Any], params: Mapping[str, Any] | None = None) -> Any:
        """Run a read on the session's connection: plain rows, none of the ORM's loading.

        There is no autoflush on this path: a caller that changed a `Task` it loaded
        flushes before reading it back (as `TaskService.update` does).
        """
        connection = await self.session.connection()
        return await connection.execute(stmt, params)


def _read_select() -> Select[Any]:
    stmt = select(*READ_COLUMNS).select_from(Task)
    joined: Select[Any] = stmt.outerjoin(Project, Task.project_id == Project.id)  # type: ignore[assignment]
    return joined


# One statement object for every call: SQLAlchemy memoises its cache key, so the hot
# `GET /tasks/{id}` skips building and hashing the statement (about half its ORM cost).
# A primary-key look-up: cheap enough for SQLite's reader to run without a thread hop.
_GET_BY_ID = (
    _read_select().where(Task.id == bindparam("task_id")).execution_options(**{POINT_READ: True})
)
_INSERT_RETURNING_ID = insert(TASKS).returning(TASKS.c.id)


def _directed(column: Any, descending: bool) -> Any:
    return column.desc() if descending else column.asc()


def _after_id(task_id: int, descending: bool) -> ColumnElement[bool]:
    return Task.id < task_id if descending else Task.id > task_id


def _overdue(today: date) -> ColumnElement[bool]:
    return and_(Task.due_date < today, Task.status.not_in(CLOSED_STATUSES))


def _conditions(filters: TaskFilters, today: date) -> list[ColumnElement[bool]]:
    """SQL conditions for the filters; every value is a bound parameter."""
    conditions: list[ColumnElement[bool]] = []
    if filters.status:
        conditions.append(Task.status.in_(filters.status))
    if filters.priority:
        conditions.append(Task.priority.in_(filters.priority))
    if filters.project is not None:
        conditions.append(Project.name_key == name_key(filters.project))
    conditions.extend(Task.tags.contains(f",{tag},", autoescape=True) for tag in filters.tag)
    if filters.due_before is not None:
        conditions.append(Task.due_date < filters.due_before)
    if filters.due_after is not None:
        conditions.append(Task.due_date > filters.due_after)
    if filters.overdue is True:
        conditions.append(_overdue(today))
    elif filters.overdue is False:
        conditions.append(
            or_(
                Task.due_date.is_(None),
                Task.due_date >= today,
                Task.status.in_(CLOSED_STATUSES),
            )
        )
    if filters.q:
        # Folded in SQL like the columns, so both sides fold alike on either engine.
        needle = casefold(literal(_like_escaped(filters.q)))
        conditions.append(
            or_(
                casefold(Task.title).contains(needle, escape=_LIKE_ESCAPE),
                casefold(Task.description).contains(needle, escape=_LIKE_ESCAPE),
            )
        )
    return conditions


_LIKE_ESCAPE = "/"


def _like_escaped(text: str) -> str:
    """`text` matched literally by LIKE: its wildcards and the escape character escaped."""
    for special in (_LIKE_ESCAPE, "%", "_"):
        text = text.replace(special, _LIKE_ESCAPE + special)
    return text
