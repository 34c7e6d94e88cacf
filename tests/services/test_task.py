"""TaskService rules, with mocked repositories and a fixed clock."""

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from unittest.mock import AsyncMock

import pytest

from app.core.enums import Priority, SortField, SortOrder, TaskStatus
from app.core.errors import (
    ConflictError,
    FieldProblem,
    InvalidInputError,
    NotFoundError,
    PreconditionFailedError,
)
from app.dal.project import ProjectRepository
from app.dal.task import Keyset, TaskRepository
from app.models import Project, Task
from app.schemas.task import TaskCreate, TaskFilters, TaskQuery, TaskUpdate
from app.services import task as task_module
from app.services.cursor import InvalidCursorError, decode_cursor, encode_cursor
from app.services.task import (
    ALLOWED_TRANSITIONS,
    InvalidTransitionError,
    StaleVersionError,
    TaskNotFoundError,
    TaskService,
    UnknownProjectError,
    check_transition,
)

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(days=3)

S = TaskStatus
# PRODUCT.md "Domain" table, written out here rather than read from the service.
ALLOWED = frozenset(
    {
        (S.TODO, S.IN_PROGRESS),
        (S.TODO, S.DONE),
        (S.TODO, S.CANCELLED),
        (S.IN_PROGRESS, S.TODO),
        (S.IN_PROGRESS, S.DONE),
        (S.IN_PROGRESS, S.CANCELLED),
        (S.DONE, S.TODO),
        (S.CANCELLED, S.TODO),
    }
)
CHANGES = [(a, b) for a in TaskStatus for b in TaskStatus if a != b]
ALLOWED_CHANGES = [pair for pair in CHANGES if pair in ALLOWED]
FORBIDDEN_CHANGES = [pair for pair in CHANGES if pair not in ALLOWED]
READ_FIELDS = (
    "id",
    "title",
    "description",
    "status",
    "priority",
    "due_date",
    "tags",
    "created_at",
    "updated_at",
    "completed_at",
    "version",
)


class FakeRow(SimpleNamespace):
    """Stands in for a SQLAlchemy `Row`: attribute access plus `_asdict()`."""

    def _asdict(self) -> dict[str, Any]:
        return dict(vars(self))


def read_row(**overrides: Any) -> FakeRow:
    values: dict[str, Any] = {
        "id": 1,
        "title": "Write the report",
        "description": None,
        "status": TaskStatus.TODO,
        "priority": Priority.MEDIUM,
        "due_date": None,
        "project": None,
        "tags": [],
        "created_at": EARLIER,
        "updated_at": EARLIER,
        "completed_at": None,
        "version": 1,
    }
    values.update(overrides)
    return FakeRow(**values)


def stored_task(**overrides: Any) -> Task:
    values: dict[str, Any] = {
        "id": 1,
        "title": "Write the report",
        "description": None,
        "status": TaskStatus.TODO,
        "priority": Priority.MEDIUM,
        "due_date": None,
        "project_id": None,
        "tags": [],
        "created_at": EARLIER,
        "updated_at": EARLIER,
        "completed_at": None,
        "version": 1,
    }
    values.update(overrides)
    return Task(**values)


def project(project_id: int = 7, name: str = "Work") -> Project:
    return Project(
        id=project_id,
        name=name,
        name_key=name.casefold(),
        description=None,
        created_at=EARLIER,
        updated_at=EARLIER,
    )


def make_service(task: Task | None = None) -> tuple[TaskService, AsyncMock, AsyncMock]:
    """A service on mocked repositories; `task` is what the task repository holds."""
    tasks = AsyncMock(spec=TaskRepository)
    projects = AsyncMock(spec=ProjectRepository)
    tasks.get_for_update.return_value = task
    tasks.get.side_effect = lambda _task_id: (
        None if task is None else read_row(**{name: getattr(task, name) for name in READ_FIELDS})
    )
    projects.get_by_name.return_value = None
    return TaskService(tasks, projects, clock=lambda: NOW), tasks, projects


def completed_at_for(status: TaskStatus) -> datetime | None:
    return EARLIER if status is TaskStatus.DONE else None


# --- transitions -------------------------------------------------------------------------


def test_transition_table_is_the_products() -> None:
    implemented = {(a, b) for a, targets in ALLOWED_TRANSITIONS.items() for b in targets}
    assert implemented == ALLOWED


@pytest.mark.parametrize(("current", "requested"), ALLOWED_CHANGES)
def test_check_transition_allows(current: TaskStatus, requested: TaskStatus) -> None:
    check_transition(current, requested)


@pytest.mark.parametrize(("current", "requested"), FORBIDDEN_CHANGES)
def test_check_transition_refuses(current: TaskStatus, requested: TaskStatus) -> None:
    with pytest.raises(InvalidTransitionError) as caught:
        check_transition(current, requested)
    assert isinstance(caught.value, ConflictError)
    assert f"'{current}'" in caught.value.message
    assert f"'{requested}'" in caught.value.message


@pytest.mark.parametrize("status", list(TaskStatus))
def test_check_transition_to_same_status_is_a_no_op(status: TaskStatus) -> None:
    check_transition(status, status)


@pytest.mark.parametrize(("current", "requested"), ALLOWED_CHANGES)
async def test_update_makes_allowed_status_change(
    current: TaskStatus, requested: TaskStatus
) -> None:
    task = stored_task(status=current, completed_at=completed_at_for(current))
    service, tasks, _ = make_service(task)

    result = await service.update(1, TaskUpdate(status=requested))

    assert result.status is requested
    assert task.status is requested
    assert task.updated_at == NOW
    tasks.flush.assert_awaited_once()


@pytest.mark.parametrize(("current", "requested"), FORBIDDEN_CHANGES)
async def test_update_refuses_forbidden_status_change(
    current: TaskStatus, requested: TaskStatus
) -> None:
    task = stored_task(status=current, completed_at=completed_at_for(current))
    service, tasks, _ = make_service(task)

    with pytest.raises(InvalidTransitionError):
        await service.update(1, TaskUpdate(status=requested, title="Also renamed"))

    assert task.status is current
    assert task.title == "Write the report"
    assert task.updated_at == EARLIER
    tasks.flush.assert_not_awaited()


@pytest.mark.parametrize(("current", "requested"), FORBIDDEN_CHANGES)
async def test_change_status_refuses_forbidden_change(
    current: TaskStatus, requested: TaskStatus
) -> None:
    service, tasks, _ = make_service(stored_task(status=current))

    with pytest.raises(InvalidTransitionError):
        await service.change_status(1, requested)
    tasks.flush.assert_not_awaited()


@pytest.mark.parametrize("status", list(TaskStatus))
async def test_update_to_same_status_changes_nothing(status: TaskStatus) -> None:
    task = stored_task(status=status, completed_at=completed_at_for(status))
    service, tasks, _ = make_service(task)

    result = await service.update(1, TaskUpdate(status=status))

    assert result.status is status
    assert task.updated_at == EARLIER
    assert task.completed_at == completed_at_for(status)
    tasks.flush.assert_not_awaited()


@pytest.mark.parametrize(("current", "requested"), ALLOWED_CHANGES)
async def test_completed_at_is_set_on_entering_done_and_cleared_on_leaving(
    current: TaskStatus, requested: TaskStatus
) -> None:
    task = stored_task(status=current, completed_at=completed_at_for(current))
    service, _, _ = make_service(task)

    result = await service.change_status(1, requested)

    expected = NOW if requested is TaskStatus.DONE else None
    assert task.completed_at == expected
    assert result.completed_at == expected


# --- updates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "update",
    [
        {},
        {"title": "Write the report"},
        {"title": "  Write the report  "},
        {"description": None},
        {"priority": "medium"},
        {"due_date": None},
        {"tags": ["b", "a"]},
        {"tags": ["A", "b", "a"]},
        {"project": None},
        {"title": "Write the report", "status": "todo", "priority": "medium"},
    ],
)
async def test_update_without_a_real_change_leaves_updated_at(update: dict[str, Any]) -> None:
    task = stored_task(tags=["a", "b"])
    service, tasks, projects = make_service(task)

    result = await service.update(1, TaskUpdate.model_validate(update))

    assert task.updated_at == EARLIER
    assert result.updated_at == EARLIER
    tasks.flush.assert_not_awaited()
    projects.get_by_name.assert_not_awaited()


@pytest.mark.parametrize(
    ("update", "field", "value"),
    [
        ({"title": " New title "}, "title", "New title"),
        ({"description": "Details"}, "description", "Details"),
        ({"priority": "urgent"}, "priority", Priority.URGENT),
        ({"due_date": "2026-02-01"}, "due_date", date(2026, 2, 1)),
        ({"tags": ["Z", "a"]}, "tags", ["a", "z"]),
        ({"tags": []}, "tags", []),
    ],
)
async def test_update_applies_change_and_sets_updated_at(
    update: dict[str, Any], field: str, value: Any
) -> None:
    task = stored_task(tags=["a", "b"])
    service, tasks, _ = make_service(task)

    result = await service.update(1, TaskUpdate.model_validate(update))

    assert getattr(task, field) == value
    assert getattr(result, field) == value
    assert task.updated_at == NOW
    tasks.flush.assert_awaited_once()


async def test_update_clears_nullable_fields() -> None:
    task = stored_task(description="Old", due_date=date(2026, 1, 1), project_id=7)
    service, tasks, projects = make_service(task)

    await service.update(1, TaskUpdate(description=None, due_date=None, project=None))

    assert (task.description, task.due_date, task.project_id) == (None, None, None)
    assert task.updated_at == NOW
    projects.get_by_name.assert_not_awaited()
    tasks.flush.assert_awaited_once()


async def test_update_moves_task_to_existing_project() -> None:
    task = stored_task()
    service, tasks, projects = make_service(task)
    projects.get_by_name.return_value = project(7, "Work")

    await service.update(1, TaskUpdate(project="work"))

    projects.get_by_name.assert_awaited_once_with("work")
    assert task.project_id == 7
    assert task.updated_at == NOW
    tasks.flush.assert_awaited_once()


async def test_update_to_same_project_in_other_case_changes_nothing() -> None:
    task = stored_task(project_id=7)
    service, tasks, projects = make_service(task)
    projects.get_by_name.return_value = project(7, "Work")

    await service.update(1, TaskUpdate(project="WORK"))

    assert task.updated_at == EARLIER
    tasks.flush.assert_not_awaited()


async def test_update_to_unknown_project_is_refused() -> None:
    task = stored_task(project_id=7)
    service, tasks, _ = make_service(task)

    with pytest.raises(UnknownProjectError) as caught:
        await service.update(1, TaskUpdate(project="Nope", title="Renamed"))

    assert isinstance(caught.value, InvalidInputError)
    assert caught.value.problems == (
        FieldProblem(
            loc=("body", "project"), msg="Project 'Nope' does not exist; create it first."
        ),
    )
    assert (task.project_id, task.title, task.updated_at) == (7, "Write the report", EARLIER)
    tasks.flush.assert_not_awaited()


@pytest.mark.parametrize("expected_versions", [None, {3}, {2, 3}])
async def test_update_with_current_or_no_expected_version(
    expected_versions: set[int] | None,
) -> None:
    task = stored_task(version=3)
    service, tasks, _ = make_service(task)

    result = await service.update(1, TaskUpdate(title="New"), expected_versions=expected_versions)

    assert result.title == "New"
    tasks.flush.assert_awaited_once()


@pytest.mark.parametrize("expected_versions", [{1}, {2, 4}, set()])
async def test_update_with_stale_version_is_refused(expected_versions: set[int]) -> None:
    task = stored_task(version=3)
    service, tasks, _ = make_service(task)

    with pytest.raises(StaleVersionError) as caught:
        await service.update(1, TaskUpdate(title="New"), expected_versions=expected_versions)

    assert isinstance(caught.value, PreconditionFailedError)
    assert "version 3" in caught.value.message
    assert task.title == "Write the report"
    tasks.flush.assert_not_awaited()


async def test_change_status_checks_expected_version() -> None:
    service, tasks, _ = make_service(stored_task(version=2))

    with pytest.raises(StaleVersionError):
        await service.change_status(1, TaskStatus.DONE, expected_versions={1})
    tasks.flush.assert_not_awaited()


async def test_update_unknown_task_is_not_found() -> None:
    service, tasks, _ = make_service(None)

    with pytest.raises(TaskNotFoundError) as caught:
        await service.update(42, TaskUpdate(title="New"))

    assert isinstance(caught.value, NotFoundError)
    assert caught.value.task_id == 42
    assert "42" in caught.value.message
    tasks.get_for_update.assert_awaited_once_with(42)


# --- get and delete ----------------------------------------------------------------------


async def test_get_returns_the_row_as_task_read() -> None:
    service, tasks, _ = make_service()
    tasks.get.side_effect = None
    tasks.get.return_value = read_row(id=5, project="Work", tags=["a"], version=4)

    result = await service.get(5)

    assert (result.id, result.project, result.tags, result.version) == (5, "Work", ["a"], 4)
    tasks.get.assert_awaited_once_with(5)


async def test_get_unknown_task_is_not_found() -> None:
    service, _, _ = make_service(None)

    with pytest.raises(TaskNotFoundError) as caught:
        await service.get(9)
    assert caught.value.task_id == 9


@pytest.mark.parametrize("expected_versions", [None, {3}, {2, 3}])
async def test_delete(expected_versions: set[int] | None) -> None:
    task = stored_task(version=3)
    service, tasks, _ = make_service(task)

    await service.delete(1, expected_versions=expected_versions)

    tasks.delete.assert_awaited_once_with(task)


@pytest.mark.parametrize("expected_versions", [{1}, {2, 4}, set()])
async def test_delete_with_stale_version_is_refused(expected_versions: set[int]) -> None:
    service, tasks, _ = make_service(stored_task(version=3))

    with pytest.raises(StaleVersionError):
        await service.delete(1, expected_versions=expected_versions)
    tasks.delete.assert_not_awaited()


async def test_delete_unknown_task_is_not_found() -> None:
    service, tasks, _ = make_service(None)

    with pytest.raises(TaskNotFoundError):
        await service.delete(3)
    tasks.delete.assert_not_awaited()


# --- create ------------------------------------------------------------------------------


async def test_create_inserts_new_row_and_returns_it() -> None:
    service, tasks, _ = make_service()
    tasks.add.return_value = 11
    tasks.get.side_effect = None
    tasks.get.return_value = read_row(id=11)

    result = await service.create(TaskCreate(title=" Plan ", tags=["B", "a"]))

    assert result.id == 11
    tasks.add.assert_awaited_once_with(
        {
            "title": "Plan",
            "description": None,
            "status": TaskStatus.TODO,
            "priority": Priority.MEDIUM,
            "due_date": None,
            "project_id": None,
            "tags": ["a", "b"],
            "created_at": NOW,
            "updated_at": NOW,
            "completed_at": None,
            "version": 1,
        }
    )
    tasks.get.assert_awaited_once_with(11)


@pytest.mark.parametrize(
    ("status", "completed_at"),
    [(S.TODO, None), (S.IN_PROGRESS, None), (S.DONE, NOW), (S.CANCELLED, None)],
)
async def test_create_sets_completed_at_only_for_done(
    status: TaskStatus, completed_at: datetime | None
) -> None:
    service, tasks, _ = make_service()
    tasks.get.side_effect = None
    tasks.get.return_value = read_row()

    await service.create(TaskCreate(title="t", status=status))

    values = tasks.add.await_args.args[0]
    assert values["status"] is status
    assert values["completed_at"] == completed_at


async def test_create_in_existing_project_uses_its_id() -> None:
    service, tasks, projects = make_service()
    projects.get_by_name.return_value = project(7, "Work")
    tasks.get.side_effect = None
    tasks.get.return_value = read_row(project="Work")

    await service.create(TaskCreate(title="t", project="WORK"))

    projects.get_by_name.assert_awaited_once_with("WORK")
    assert tasks.add.await_args.args[0]["project_id"] == 7


async def test_create_in_unknown_project_is_refused() -> None:
    service, tasks, _ = make_service()

    with pytest.raises(UnknownProjectError) as caught:
        await service.create(TaskCreate(title="t", project="Nope"))

    assert caught.value.code == "unknown-project"
    assert [p.loc for p in caught.value.problems] == [("body", "project")]
    assert "Nope" in caught.value.problems[0].msg
    tasks.add.assert_not_awaited()


def keys_recorder(existing: dict[str, int]) -> tuple[list[list[str]], Any]:
    """A side effect for `ids_by_key` that records the keys asked for (a generator)."""
    asked: list[list[str]] = []

    def ids_by_key(keys: Any) -> dict[str, int]:
        wanted = sorted(keys)
        asked.append(wanted)
        return {key: existing[key] for key in wanted if key in existing}

    return asked, ids_by_key


async def test_create_many_reports_every_unknown_project_with_its_index() -> None:
    service, tasks, projects = make_service()
    asked, projects.ids_by_key.side_effect = keys_recorder({"work": 3})
    items = [
        TaskCreate(title="a", project="Work"),
        TaskCreate(title="b", project="Nope"),
        TaskCreate(title="c"),
        TaskCreate(title="d", project="Other"),
        TaskCreate(title="e", project="NOPE"),
        TaskCreate(title="f", project="work"),
    ]

    with pytest.raises(UnknownProjectError) as caught:  # the single create's error, as a list
        await service.create_many(items)

    assert [(p.loc, p.msg) for p in caught.value.problems] == [
        (("body", "tasks", 1, "project"), "Project 'Nope' does not exist; create it first."),
        (("body", "tasks", 3, "project"), "Project 'Other' does not exist; create it first."),
        (("body", "tasks", 4, "project"), "Project 'NOPE' does not exist; create it first."),
    ]
    assert caught.value.message == "3 tasks name projects that do not exist; create them first."
    assert [set(keys) for keys in asked] == [{"nope", "other", "work"}]
    tasks.add_many.assert_not_awaited()


async def test_create_many_inserts_all_valid_rows_in_order() -> None:
    service, tasks, projects = make_service()
    _, projects.ids_by_key.side_effect = keys_recorder({"work": 3, "home": 4})
    tasks.add_many.return_value = [21, 22, 23]
    items = [
        TaskCreate(title="a", project="Work"),
        TaskCreate(title="b", status="done"),
        TaskCreate(title="c", project="HOME", priority="urgent"),
    ]

    ids = await service.create_many(items)

    assert ids == [21, 22, 23]
    rows = tasks.add_many.await_args.args[0]
    assert tasks.add_many.await_args.kwargs == {"return_ids": True}
    assert [(r["title"], r["project_id"]) for r in rows] == [("a", 3), ("b", None), ("c", 4)]
    assert [r["completed_at"] for r in rows] == [None, NOW, None]
    assert {(r["created_at"], r["updated_at"], r["version"]) for r in rows} == {(NOW, NOW, 1)}
    assert rows[2]["priority"] is Priority.URGENT


async def test_create_many_without_projects_does_not_look_them_up() -> None:
    service, tasks, projects = make_service()
    tasks.add_many.return_value = [1, 2]

    assert await service.create_many([TaskCreate(title="a"), TaskCreate(title="b")]) == [1, 2]
    projects.ids_by_key.assert_not_awaited()


# --- listing -----------------------------------------------------------------------------


def listed_row(index: int) -> FakeRow:
    """Row `index` of a list; each sort value differs from row to row."""
    return read_row(
        id=100 + index,
        title=f"title {index:02}",
        priority=list(Priority)[index % 4],
        due_date=date(2026, 1, 1) + timedelta(days=index),
        created_at=EARLIER + timedelta(minutes=index),
        updated_at=NOW + timedelta(seconds=index),
    )


def query(**values: Any) -> TaskQuery:
    return TaskQuery.model_validate(values)


@pytest.mark.parametrize("limit", [1, 3, 50])
async def test_list_page_asks_for_one_row_more_than_the_limit(limit: int) -> None:
    service, tasks, _ = make_service()
    tasks.page.return_value = [listed_row(i) for i in range(limit)]
    q = query(limit=limit, status=["todo"], sort="title")

    page = await service.list_page(q)

    tasks.page.assert_awaited_once_with(q.filters, NOW.date(), None, limit + 1)
    assert [item.id for item in page.items] == [100 + i for i in range(limit)]
    assert page.next_cursor is None


async def test_list_page_with_fewer_rows_than_limit_has_no_next_cursor() -> None:
    service, tasks, _ = make_service()
    tasks.page.return_value = [listed_row(0)]

    page = await service.list_page(query(limit=5))

    assert len(page.items) == 1
    assert page.next_cursor is None


async def test_list_page_of_nothing() -> None:
    service, tasks, _ = make_service()
    tasks.page.return_value = []

    page = await service.list_page(query())

    assert page.items == []
    assert page.next_cursor is None


@pytest.mark.parametrize("sort", list(SortField))
@pytest.mark.parametrize("order", list(SortOrder))
async def test_list_page_cursor_resumes_after_last_item(sort: SortField, order: SortOrder) -> None:
    service, tasks, _ = make_service()
    tasks.page.return_value = [listed_row(i) for i in range(4)]
    q = query(limit=3, sort=sort, order=order, q="report")

    page = await service.list_page(q)

    assert [item.id for item in page.items] == [100, 101, 102]
    assert page.next_cursor is not None
    last = listed_row(2)
    expected_value = {
        SortField.ID: None,
        SortField.CREATED_AT: last.created_at,
        SortField.UPDATED_AT: last.updated_at,
        SortField.DUE_DATE: last.due_date,
        SortField.PRIORITY: last.priority.rank,
        SortField.TITLE: last.title,
    }[sort]
    assert decode_cursor(page.next_cursor, q.filters) == Keyset(value=expected_value, id=102)


async def test_list_page_cursor_for_row_without_due_date() -> None:
    service, tasks, _ = make_service()
    tasks.page.return_value = [read_row(id=5), read_row(id=6)]
    q = query(limit=1, sort="due_date")

    page = await service.list_page(q)

    assert page.next_cursor is not None
    assert decode_cursor(page.next_cursor, q.filters) == Keyset(value=None, id=5)


async def test_list_page_passes_decoded_cursor_to_repository() -> None:
    service, tasks, _ = make_service()
    tasks.page.return_value = []
    filters = TaskFilters(sort=SortField.PRIORITY, order=SortOrder.DESC)
    cursor = encode_cursor(filters, Priority.HIGH, 17)

    await service.list_page(query(sort="priority", order="desc", limit=10, cursor=cursor))

    tasks.page.assert_awaited_once_with(
        filters, NOW.date(), Keyset(value=Priority.HIGH.rank, id=17), 11
    )


@pytest.mark.parametrize(
    "cursor_filters",
    [
        {"sort": "priority"},
        {"sort": "priority", "order": "desc", "status": ["todo"]},
        {"sort": "title", "order": "desc"},
    ],
)
async def test_list_page_refuses_cursor_of_another_query(cursor_filters: dict[str, Any]) -> None:
    service, tasks, _ = make_service()
    cursor = encode_cursor(TaskFilters.model_validate(cursor_filters), Priority.HIGH, 17)

    with pytest.raises(InvalidCursorError):
        await service.list_page(query(sort="priority", order="desc", cursor=cursor))
    tasks.page.assert_not_awaited()


async def test_list_page_refuses_garbage_cursor() -> None:
    service, tasks, _ = make_service()

    with pytest.raises(InvalidCursorError):
        await service.list_page(query(cursor="not a cursor"))
    tasks.page.assert_not_awaited()


@pytest.mark.parametrize("count", [0, 1, 2, 5, 6])
async def test_iter_tasks_fetches_batches_until_a_short_one(
    monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    monkeypatch.setattr(task_module, "EXPORT_BATCH", 2)
    rows = [listed_row(i) for i in range(count)]
    service, tasks, _ = make_service()

    def page(filters: TaskFilters, today: date, after: Keyset | None, limit: int) -> list[Any]:
        start = 0 if after is None else next(i for i, r in enumerate(rows) if r.id == after.id) + 1
        return rows[start : start + limit]

    tasks.page.side_effect = page
    filters = TaskFilters(sort=SortField.TITLE)

    ids = [task.id async for task in service.iter_tasks(filters)]

    assert ids == [row.id for row in rows]
    assert tasks.page.await_count == count // 2 + 1
    afters = [call.args[2] for call in tasks.page.await_args_list]
    assert afters[0] is None
    assert (
        afters[1:]
        == [Keyset(rows[i].title, rows[i].id) for i in range(1, count, 2)][: len(afters) - 1]
    )
