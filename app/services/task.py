"""Task business rules: creation, status transitions, updates, listing and deletion."""

from collections.abc import AsyncIterator, Callable, Sequence, Set
from datetime import datetime
from typing import Any, Self

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.core.enums import SortField, TaskStatus
from app.core.errors import (
    ConflictError,
    FieldProblem,
    InvalidInputError,
    NotFoundError,
    PreconditionFailedError,
)
from app.core.ids import MAX_ID
from app.dal.project import ProjectRepository, name_key
from app.dal.task import SORT_COLUMNS, Keyset, TaskRepository
from app.schemas.task import (
    TaskCreate,
    TaskFilters,
    TaskImport,
    TaskPage,
    TaskQuery,
    TaskRead,
    TaskUpdate,
)
from app.services.cursor import decode_cursor, encode_cursor

ALLOWED_TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.TODO: frozenset({TaskStatus.IN_PROGRESS, TaskStatus.DONE, TaskStatus.CANCELLED}),
    TaskStatus.IN_PROGRESS: frozenset({TaskStatus.TODO, TaskStatus.DONE, TaskStatus.CANCELLED}),
    TaskStatus.DONE: frozenset({TaskStatus.TODO}),
    TaskStatus.CANCELLED: frozenset({TaskStatus.TODO}),
}
EXPORT_BATCH = 1000


class TaskNotFoundError(NotFoundError):
    """No task has this id."""

    def __init__(self, task_id: int) -> None:
        super().__init__(f"Task {task_id} does not exist.")
        self.task_id = task_id


class InvalidTransitionError(ConflictError):
    """The status change is not in the transition table."""

    code = "invalid-transition"

    def __init__(self, current: TaskStatus, requested: TaskStatus) -> None:
        allowed = ", ".join(sorted(ALLOWED_TRANSITIONS[current])) or "none"
        super().__init__(
            f"A task cannot go from '{current}' to '{requested}'; from '{current}' it can go to: "
            f"{allowed}."
        )


class UnknownProjectError(InvalidInputError):
    """Tasks name projects that do not exist: one field problem for each."""

    code = "unknown-project"

    def __init__(self, *unknown: tuple[str, tuple[str | int, ...]]) -> None:
        problems = [
            FieldProblem(loc=loc, msg=f"Project '{name}' does not exist; create it first.")
            for name, loc in unknown
        ]
        message = problems[0].msg
        if len(problems) > 1:
            message = f"{len(problems)} tasks name projects that do not exist; create them first."
        super().__init__(message, problems)


class StaleVersionError(PreconditionFailedError):
    """The caller's version (If-Match) is not the task's current version."""

    def __init__(self, task_id: int, current: int) -> None:
        super().__init__(
            f"Task {task_id} has changed (now version {current}); fetch it again and retry."
        )


def check_transition(current: TaskStatus, requested: TaskStatus) -> None:
    """Raise `InvalidTransitionError` unless `current → requested` is allowed (or a no-op)."""
    if requested != current and requested not in ALLOWED_TRANSITIONS[current]:
        raise InvalidTransitionError(current, requested)


def to_read(row: Row[Any]) -> TaskRead:
    """Build the API shape from a repository read row."""
    return TaskRead.model_validate(row._asdict())


class TaskService:
    """Every task use case; the API and the CLI call these and nothing below them."""

    def __init__(
        self,
        tasks: TaskRepository,
        projects: ProjectRepository,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.tasks = tasks
        self.projects = projects
        self.clock = clock

    @classmethod
    def from_session(cls, session: AsyncSession) -> Self:
        """The service wired to the real repositories on `session`."""
        return cls(TaskRepository(session), ProjectRepository(session))

    async def create(self, data: TaskCreate) -> TaskRead:
        """Create a task in its project (which must exist)."""
        project_id = await self._project_id(data.project)
        task_id = await self.tasks.add(self.new_row(data, project_id, self.clock()))
        return await self._read(task_id)

    async def create_many(self, items: Sequence[TaskCreate]) -> list[int]:
        """Create tasks all or nothing (the caller's transaction); return their ids in order."""
        names = {item.project for item in items if item.project is not None}
        ids_by_key: dict[str, int] = {}
        if names:
            ids_by_key = await self.projects.ids_by_key(name_key(n) for n in names)
        unknown = [
            (item.project, ("body", "tasks", index, "project"))
            for index, item in enumerate(items)
            if item.project is not None and name_key(item.project) not in ids_by_key
        ]
        if unknown:
            raise UnknownProjectError(*unknown)
        now = self.clock()
        rows = [
            self.new_row(item, ids_by_key[name_key(item.project)] if item.project else None, now)
            for item in items
        ]
        return await self.tasks.add_many(rows, return_ids=True)

    async def get(self, task_id: int) -> TaskRead:
        """The task with this id."""
        if not 0 < task_id <= MAX_ID:  # no such id can exist; don't send it to the database
            raise TaskNotFoundError(task_id)
        return await self._read(task_id)

    async def _read(self, task_id: int) -> TaskRead:
        row = await self.tasks.get(task_id)
        if row is None:
            raise TaskNotFoundError(task_id)
        return to_read(row)

    async def list_page(self, query: TaskQuery) -> TaskPage:
        """One page of matching tasks, and the cursor of the next page."""
        filters = query.filters
        after = decode_cursor(query.cursor, filters) if query.cursor else None
        rows = await self.tasks.page(filters, self.clock().date(), after, query.limit + 1)
        items = [to_read(row) for row in rows[: query.limit]]
        next_cursor = None
        if len(rows) > query.limit:
            last = items[-1]
            next_cursor = encode_cursor(filters, getattr(last, _sort_attr(filters.sort)), last.id)
        return TaskPage(items=items, next_cursor=next_cursor)

    async def iter_tasks(self, filters: TaskFilters) -> AsyncIterator[TaskRead]:
        """Every matching task in order, fetched a batch at a time (for exports)."""
        today = self.clock().date()
        after = None
        while True:
            rows = await self.tasks.page(filters, today, after, EXPORT_BATCH)
            for row in rows:
                yield to_read(row)
            if len(rows) < EXPORT_BATCH:
                return
            last = rows[-1]
            after = Keyset(value=getattr(last, _sort_attr(filters.sort)), id=last.id)

    async def update(
        self, task_id: int, update: TaskUpdate, expected_versions: Set[int] | None = None
    ) -> TaskRead:
        """Apply a partial update, status change included; bumps `version` if anything changed.

        `expected_versions`: refuse (`StaleVersionError`) unless the task is at one of them.
        """
        task = await self.tasks.get_for_update(task_id) if 0 < task_id <= MAX_ID else None
        if task is None:
            raise TaskNotFoundError(task_id)
        if expected_versions is not None and task.version not in expected_versions:
            raise StaleVersionError(task_id, task.version)
        changes = update.changes()
        now = self.clock()
        if "project" in changes:
            changes["project_id"] = await self._project_id(changes.pop("project"))
        if "status" in changes:
            check_transition(task.status, changes["status"])
            if changes["status"] != task.status:
                entering_done = changes["status"] is TaskStatus.DONE
                changes["completed_at"] = now if entering_done else None
        changed = {name: value for name, value in changes.items() if getattr(task, name) != value}
        if changed:
            for name, value in changed.items():
                setattr(task, name, value)
            task.updated_at = now
            await self.tasks.flush()
        return await self._read(task_id)

    async def change_status(
        self, task_id: int, status: TaskStatus, expected_versions: Set[int] | None = None
    ) -> TaskRead:
        """Move a task to `status` (start, done, cancel, reopen)."""
        return await self.update(task_id, TaskUpdate(status=status), expected_versions)

    async def delete(self, task_id: int, expected_versions: Set[int] | None = None) -> None:
        """Delete a task (only at one of `expected_versions`, when given)."""
        task = await self.tasks.get_for_update(task_id) if 0 < task_id <= MAX_ID else None
        if task is None:
            raise TaskNotFoundError(task_id)
        if expected_versions is not None and task.version not in expected_versions:
            raise StaleVersionError(task_id, task.version)
        await self.tasks.delete(task)

    async def _project_id(self, name: str | None) -> int | None:
        if name is None:
            return None
        project = await self.projects.get_by_name(name)
        if project is None:
            raise UnknownProjectError((name, ("body", "project")))
        return project.id

    @staticmethod
    def new_row(data: TaskCreate, project_id: int | None, now: datetime) -> dict[str, Any]:
        """The column values of a new task (imports may carry their own history)."""
        created_at = now
        completed_at = now if data.status is TaskStatus.DONE else None
        if isinstance(data, TaskImport):
            created_at = data.created_at or now
            if data.status is TaskStatus.DONE:
                completed_at = data.completed_at or now
        return {
            "title": data.title,
            "description": data.description,
            "status": data.status,
            "priority": data.priority,
            "due_date": data.due_date,
            "project_id": project_id,
            "tags": data.tags,
            "created_at": created_at,
            "updated_at": now,
            "completed_at": completed_at,
            "version": 1,
        }


def _sort_attr(sort: SortField) -> str:
    return SORT_COLUMNS[sort].key
