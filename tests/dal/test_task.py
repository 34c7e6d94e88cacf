"""TaskRepository on the real database: filters, ordering, keyset pages, versions, stats."""

import base64
import json
import os
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import inspect, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from app.core.database import Database
from app.core.enums import Priority, SortField, SortOrder, TaskStatus
from app.dal.project import ProjectRepository
from app.dal.task import SORT_COLUMNS, Keyset, TaskRepository
from app.models import Task
from app.schemas.task import TaskFilters, TaskQuery
from app.services.cursor import InvalidCursorError, encode_cursor
from app.services.stats import StatsService
from app.services.task import TaskService

ON_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").strip().startswith("postgresql")
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
SORTS_AND_ORDERS = [(sort, order) for sort in SortField for order in SortOrder]


def row(title: str, **values: Any) -> dict[str, Any]:
    """Column values of a new task; anything not given gets a plain default."""
    defaults: dict[str, Any] = {
        "title": title,
        "description": None,
        "status": TaskStatus.TODO,
        "priority": Priority.MEDIUM,
        "due_date": None,
        "project_id": None,
        "tags": [],
        "created_at": NOW,
        "updated_at": NOW,
        "completed_at": None,
        "version": 1,
    }
    return defaults | values


async def add_projects(session: AsyncSession, *names: str) -> dict[str, int]:
    """Create projects; map each name as given to its id."""
    ids, _ = await ProjectRepository(session).add_many(names, NOW)
    return {name: ids[name.casefold()] for name in names}


async def titles(repo: TaskRepository, today: date = TODAY, **filters: Any) -> list[str]:
    """Titles of the tasks matching `filters`, in id order."""
    rows = await repo.page(TaskFilters.model_validate(filters), today, None, 200)
    return [r.title for r in rows]


# --- writing and reading -----------------------------------------------------------------


async def test_add_and_get_returns_read_row(db: Database) -> None:
    async with db.session() as session:
        projects = await add_projects(session, "Work")
        repo = TaskRepository(session)
        task_id = await repo.add(
            row(
                "Write",
                description="d",
                status=TaskStatus.DONE,
                priority=Priority.URGENT,
                due_date=date(2026, 2, 1),
                project_id=projects["Work"],
                tags=["a_b", "x-y"],
                completed_at=NOW,
            )
        )

        got = await repo.get(task_id)

        assert got is not None
        assert got._asdict() == {
            "id": task_id,
            "title": "Write",
            "description": "d",
            "status": TaskStatus.DONE,
            "priority": Priority.URGENT,
            "due_date": date(2026, 2, 1),
            "project": "Work",
            "tags": ["a_b", "x-y"],
            "created_at": NOW,
            "updated_at": NOW,
            "completed_at": NOW,
            "version": 1,
        }
        assert await repo.get(task_id + 1000) is None
        assert await repo.get_for_update(task_id + 1000) is None


async def test_add_many_returns_ids_in_order(db: Database) -> None:
    async with db.session() as session:
        repo = TaskRepository(session)

        ids = await repo.add_many([row(f"t{i}") for i in range(5)], return_ids=True)

        assert ids == sorted(ids)
        assert len(set(ids)) == 5
        assert await titles(repo) == [f"t{i}" for i in range(5)]
        assert [r.id for r in await all_rows(repo)] == ids
        assert await repo.add_many([], return_ids=True) == []


async def test_add_many_without_ids(db: Database) -> None:
    async with db.session() as session:
        repo = TaskRepository(session)

        assert await repo.add_many([row("a"), row("b", tags=["x"])], return_ids=False) == []

        assert await titles(repo) == ["a", "b"]
        assert await titles(repo, tag=["x"]) == ["b"]


async def index_names(session: AsyncSession) -> set[str]:
    connection = await session.connection()
    indexes = await connection.run_sync(lambda sync: inspect(sync).get_indexes("tasks"))
    return {index["name"] for index in indexes}


async def test_indexes_dropped_for_a_bulk_load_come_back_with_a_rollback(
    db: Database,
) -> None:
    async with db.session() as session:
        expected = await index_names(session)
    seen: list[tuple[bool, set[str]]] = []

    async def failing_import() -> None:
        async with db.session() as session:
            dropped = await TaskRepository(session).drop_secondary_indexes()
            seen.append((dropped, await index_names(session)))
            raise RuntimeError("the import fails")

    with pytest.raises(RuntimeError):
        await failing_import()
    [(dropped, during)] = seen
    assert during == (set() if dropped else expected)

    async with db.session(write=False) as session:
        assert await index_names(session) == expected
    assert dropped is (db.backend == "sqlite")  # PostgreSQL would lock readers out


async def test_indexes_rebuilt_after_a_bulk_load_serve_the_sorts(db: Database) -> None:
    async with db.session() as session:
        repo = TaskRepository(session)
        expected = await index_names(session)
        assert await repo.count() == 0
        dropped = await repo.drop_secondary_indexes()
        await repo.add_many([row("b"), row("a"), row("c")], return_ids=False)
        if dropped:
            await repo.create_secondary_indexes()

    async with db.session(write=False) as session:
        repo = TaskRepository(session)
        assert await index_names(session) == expected
        assert await repo.count() == 3
        assert await titles(repo) == ["b", "a", "c"]
        assert await titles(repo, sort="title") == ["a", "b", "c"]
        assert await titles(repo, sort="title", order="desc") == ["c", "b", "a"]


async def test_analyze_gives_the_planner_statistics_on_every_index(db: Database) -> None:
    async with db.session() as session:
        repo = TaskRepository(session)
        await repo.add_many([row(f"task {i}") for i in range(50)], return_ids=False)
        await repo.analyze()

    async with db.session(write=False) as session:
        connection = await session.connection()
        if db.backend == "sqlite":
            result = await connection.exec_driver_sql("SELECT idx, stat FROM sqlite_stat1")
            stats = {idx: stat for idx, stat in result.all() if idx}
            assert set(stats) >= await index_names(session)
            assert all(stat.split()[0] == "50" for stat in stats.values())
        else:
            result = await connection.exec_driver_sql(
                "SELECT reltuples FROM pg_class WHERE relname = 'tasks'"
            )
            assert result.scalar_one() == 50


async def test_version_increments_on_every_flush_with_a_change(db: Database) -> None:
    async with db.session() as session:
        repo = TaskRepository(session)
        task_id = await repo.add(row("Write"))
        task = await repo.get_for_update(task_id)
        assert task is not None
        assert task.version == 1

        task.title = "Rewrite"
        await repo.flush()
        assert task.version == 2

        await repo.flush()
        assert task.version == 2

        task.priority = Priority.HIGH
        task.tags = ["a"]
        await repo.flush()
        assert task.version == 3
        stored = await repo.get(task_id)
        assert stored is not None
        assert (stored.version, stored.title, stored.priority) == (3, "Rewrite", Priority.HIGH)


async def test_flush_refuses_change_over_a_concurrent_one(db: Database) -> None:
    async with db.session() as session:
        repo = TaskRepository(session)
        task_id = await repo.add(row("Write"))
        task = await repo.get_for_update(task_id)
        assert task is not None
        await session.execute(
            update(Task.__table__).where(Task.id == task_id).values(version=Task.version + 1)
        )

        async def rename_in_savepoint() -> None:
            # The change must be made inside the savepoint: begin_nested() flushes first.
            async with session.begin_nested():
                task.title = "Mine"
                await repo.flush()

        with pytest.raises(StaleDataError):
            await rename_in_savepoint()


async def test_delete(db: Database) -> None:
    async with db.session() as session:
        repo = TaskRepository(session)
        keep, gone = await repo.add_many([row("keep"), row("gone")], return_ids=True)
        task = await repo.get_for_update(gone)
        assert task is not None

        await repo.delete(task)

        assert await repo.get(gone) is None
        assert await titles(repo) == ["keep"]
        assert keep != gone


# --- filters -----------------------------------------------------------------------------

FILTER_TASKS = [
    # title, description, status, priority, due date, project, tags
    ("alpha", "Needs 100% effort", "todo", "low", date(2026, 1, 10), "Work", ["a_b", "x-y"]),
    ("beta", None, "in_progress", "medium", date(2026, 1, 20), "work", ["axb"]),
    ("gamma", "under_score", "done", "high", date(2026, 1, 1), "Home", ["a_b"]),
    ("delta", "plain", "cancelled", "urgent", None, None, []),
    ("Epsilon Report", "MIXED Case", "todo", "urgent", date(2026, 1, 15), "Home", ["a_b", "x-y"]),
    ("zeta 50%", None, "todo", "medium", date(2026, 1, 14), None, ["xzy", "a"]),
    ("eta_x", "underscore", "in_progress", "low", None, "Work", ["a-b"]),
    ("theta", "old", "cancelled", "high", date(2026, 1, 2), None, ["x_y"]),
]


async def seed_filter_tasks(session: AsyncSession) -> TaskRepository:
    projects = await add_projects(session, "Work", "Home")
    project_ids = {name.casefold(): pid for name, pid in projects.items()}
    repo = TaskRepository(session)
    await repo.add_many(
        [
            row(
                title,
                description=description,
                status=TaskStatus(status),
                priority=Priority(priority),
                due_date=due,
                project_id=project_ids[project.casefold()] if project else None,
                tags=tags,
            )
            for title, description, status, priority, due, project, tags in FILTER_TASKS
        ],
        return_ids=False,
    )
    return repo


ALL_TITLES = [task[0] for task in FILTER_TASKS]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ALL_TITLES),
        ({"status": ["todo"]}, ["alpha", "Epsilon Report", "zeta 50%"]),
        ({"status": ["todo", "done"]}, ["alpha", "gamma", "Epsilon Report", "zeta 50%"]),
        ({"status": ["cancelled", "in_progress"]}, ["beta", "delta", "eta_x", "theta"]),
        ({"priority": ["urgent"]}, ["delta", "Epsilon Report"]),
        ({"priority": ["low", "high"]}, ["alpha", "gamma", "eta_x", "theta"]),
        ({"status": ["todo"], "priority": ["urgent", "medium"]}, ["Epsilon Report", "zeta 50%"]),
    ],
)
async def test_status_and_priority_filters(
    db: Database, filters: dict[str, Any], expected: list[str]
) -> None:
    async with db.session() as session:
        repo = await seed_filter_tasks(session)
        assert await titles(repo, **filters) == expected


@pytest.mark.parametrize(
    ("project", "expected"),
    [
        ("Work", ["alpha", "beta", "eta_x"]),
        ("WORK", ["alpha", "beta", "eta_x"]),
        ("work", ["alpha", "beta", "eta_x"]),
        ("hOmE", ["gamma", "Epsilon Report"]),
        ("Nope", []),
        ("Wor", []),
        ("%", []),
    ],
)
async def test_project_filter_ignores_case(db: Database, project: str, expected: list[str]) -> None:
    async with db.session() as session:
        repo = await seed_filter_tasks(session)
        assert await titles(repo, project=project) == expected


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["a_b"], ["alpha", "gamma", "Epsilon Report"]),  # not "axb" nor "a-b"
        (["A_B"], ["alpha", "gamma", "Epsilon Report"]),
        (["a-b"], ["eta_x"]),
        (["x-y"], ["alpha", "Epsilon Report"]),  # not "xzy" nor "x_y"
        (["x_y"], ["theta"]),
        (["a_b", "x-y"], ["alpha", "Epsilon Report"]),
        (["x-y", "a_b", "a_b"], ["alpha", "Epsilon Report"]),
        (["a_b", "axb"], []),
        (["a"], ["zeta 50%"]),  # whole tags only, never a prefix
        (["b"], []),
        (["nope"], []),
        # "%", or "_" first, is no tag: TaskFilters refuses them (tests/api/test_task_list.py).
    ],
)
async def test_tag_filter_requires_every_tag_literally(
    db: Database, tags: list[str], expected: list[str]
) -> None:
    async with db.session() as session:
        repo = await seed_filter_tasks(session)
        assert await titles(repo, tag=tags) == expected


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"due_before": "2026-01-15"}, ["alpha", "gamma", "zeta 50%", "theta"]),
        ({"due_before": "2026-01-10"}, ["gamma", "theta"]),
        ({"due_after": "2026-01-15"}, ["beta"]),
        ({"due_after": "2026-01-14"}, ["beta", "Epsilon Report"]),
        ({"due_after": "2026-01-09", "due_before": "2026-01-15"}, ["alpha", "zeta 50%"]),
        ({"due_after": "2026-01-20"}, []),
    ],
)
async def test_due_date_filters_are_strict_and_skip_undated(
    db: Database, filters: dict[str, Any], expected: list[str]
) -> None:
    async with db.session() as session:
        repo = await seed_filter_tasks(session)
        assert await titles(repo, **filters) == expected


@pytest.mark.parametrize(
    ("today", "overdue", "expected"),
    [
        (TODAY, True, ["alpha", "zeta 50%"]),
        (TODAY, False, ["beta", "gamma", "delta", "Epsilon Report", "eta_x", "theta"]),
        (date(2026, 1, 16), True, ["alpha", "Epsilon Report", "zeta 50%"]),
        (date(2026, 1, 21), True, ["alpha", "beta", "Epsilon Report", "zeta 50%"]),
        (date(2026, 1, 10), True, []),
        (date(2026, 1, 10), False, ALL_TITLES),
    ],
)
async def test_overdue_filter_uses_given_today_and_skips_closed(
    db: Database, today: date, overdue: bool, expected: list[str]
) -> None:
    async with db.session() as session:
        repo = await seed_filter_tasks(session)
        assert await titles(repo, today, overdue=overdue) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("report", ["Epsilon Report"]),
        ("EPSILON", ["Epsilon Report"]),
        ("mixed case", ["Epsilon Report"]),
        ("Needs", ["alpha"]),
        ("ALPH", ["alpha"]),
        ("eta", ["beta", "zeta 50%", "eta_x", "theta"]),
        ("100%", ["alpha"]),
        ("%", ["alpha", "zeta 50%"]),
        ("50%", ["zeta 50%"]),
        ("_", ["gamma", "eta_x"]),
        ("a_x", ["eta_x"]),
        ("under_", ["gamma"]),
        ("e_s", []),
        ("%e", []),
        ("/", []),
        ("\\", []),
        ("'", []),
        ("nothing like it", []),
    ],
)
async def test_q_matches_title_or_description_ignoring_case_literally(
    db: Database, q: str, expected: list[str]
) -> None:
    async with db.session() as session:
        repo = await seed_filter_tasks(session)
        assert await titles(repo, q=q) == expected


@pytest.mark.parametrize("q", ["été", "ÉTÉ", "Été"])
async def test_q_ignores_case_of_non_ascii_letters_in_title(db: Database, q: str) -> None:
    async with db.session() as session:
        repo = TaskRepository(session)
        await repo.add_many([row("Bilan de l'été"), row("BILAN DE L'ÉTÉ")], return_ids=False)
        assert await titles(repo, q=q) == ["Bilan de l'été", "BILAN DE L'ÉTÉ"]


async def test_filters_combine(db: Database) -> None:
    async with db.session() as session:
        repo = await seed_filter_tasks(session)
        assert await titles(repo, status=["todo"], project="home") == ["Epsilon Report"]
        assert await titles(repo, tag=["a_b"], overdue=False, q="e") == ["gamma", "Epsilon Report"]
        assert await titles(repo, priority=["low"], due_before="2026-01-11", tag=["x-y"]) == [
            "alpha"
        ]


@pytest.mark.parametrize(
    "filters",
    [
        pytest.param({"q": "a\x00"}, id="q"),
        pytest.param({"tag": ["a\x00"]}, id="tag"),
        pytest.param({"project": "Wo\x00rk"}, id="project"),
    ],
)
async def test_filter_value_with_nul_matches_nothing_or_is_refused(
    db: Database, filters: dict[str, Any]
) -> None:
    async with db.session() as session:
        repo = await seed_filter_tasks(session)
        try:
            parsed = TaskFilters.model_validate(filters)
        except ValidationError:
            return
        assert await repo.page(parsed, TODAY, None, 10) == []


# --- ordering and keyset pages -----------------------------------------------------------

WALK_TITLES = ["beta", "alpha", "Gamma", "alpha", "delta b", "delta a", "Alpha"]
WALK_SIZE = 40
PAGE_SIZE = 7


def walk_row(i: int) -> dict[str, Any]:
    """Row `i` of the walk set: many ties in every sort, and a quarter without due date."""
    return row(
        WALK_TITLES[(i * 5) % len(WALK_TITLES)],
        status=list(TaskStatus)[i % 4],
        priority=list(Priority)[(i * 3) % 4],
        due_date=None if i % 4 == 1 else date(2026, 1, 10) + timedelta(days=(i * 7) % 5),
        created_at=NOW + timedelta(minutes=(i * 11) % 7),
        updated_at=NOW + timedelta(hours=(i * 3) % 5, microseconds=(i % 2) * 5),
        tags=["even"] if i % 2 == 0 else [],
    )


async def seed_walk_tasks(session: AsyncSession) -> TaskRepository:
    repo = TaskRepository(session)
    await repo.add_many([walk_row(i) for i in range(WALK_SIZE)], return_ids=False)
    return repo


def sort_value(item: Any, sort: SortField) -> Any:
    value = getattr(item, SORT_COLUMNS[sort].key)
    return value.rank if sort is SortField.PRIORITY else value


def expected_order(rows: Sequence[Any], sort: SortField, order: SortOrder) -> list[int]:
    """Ids in the contract's order: by value, then id, both in the sort direction; nulls last."""
    descending = order is SortOrder.DESC
    present = [r for r in rows if sort_value(r, sort) is not None]
    missing = [r for r in rows if sort_value(r, sort) is None]
    present.sort(key=lambda r: (sort_value(r, sort), r.id), reverse=descending)
    missing.sort(key=lambda r: r.id, reverse=descending)
    return [r.id for r in present + missing]


async def all_rows(repo: TaskRepository) -> list[Any]:
    return await repo.page(TaskFilters(), TODAY, None, 1000)


def test_walk_set_has_ties_and_nulls_in_every_sort() -> None:
    rows = [walk_row(i) for i in range(WALK_SIZE)]
    for column in ("title", "priority", "due_date", "created_at", "updated_at"):
        counts = Counter(r[column] for r in rows)
        assert max(counts.values()) > 1, column
    assert sum(r["due_date"] is None for r in rows) == WALK_SIZE // 4


@pytest.mark.parametrize(("sort", "order"), SORTS_AND_ORDERS)
async def test_one_page_is_in_sort_order(db: Database, sort: SortField, order: SortOrder) -> None:
    async with db.session() as session:
        repo = await seed_walk_tasks(session)
        everything = await all_rows(repo)

        rows = await repo.page(TaskFilters(sort=sort, order=order), TODAY, None, 1000)

        assert [r.id for r in rows] == expected_order(everything, sort, order)


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (SortOrder.ASC, ["low", "medium", "high", "urgent"]),
        (SortOrder.DESC, ["urgent", "high", "medium", "low"]),
    ],
)
async def test_priority_sorts_by_rank_not_alphabet(
    db: Database, order: SortOrder, expected: list[str]
) -> None:
    async with db.session() as session:
        repo = TaskRepository(session)
        await repo.add_many(
            [row(p, priority=Priority(p)) for p in ["high", "urgent", "low", "medium"]],
            return_ids=False,
        )
        assert await titles(repo, sort="priority", order=order) == expected


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (SortOrder.ASC, ["jan 2 a", "jan 2 b", "jan 9", "none a", "none b"]),
        (SortOrder.DESC, ["jan 9", "jan 2 b", "jan 2 a", "none b", "none a"]),
    ],
)
async def test_tasks_without_due_date_come_last_in_both_orders(
    db: Database, order: SortOrder, expected: list[str]
) -> None:
    async with db.session() as session:
        repo = TaskRepository(session)
        await repo.add_many(
            [
                row("none a"),
                row("jan 9", due_date=date(2026, 1, 9)),
                row("jan 2 a", due_date=date(2026, 1, 2)),
                row("none b"),
                row("jan 2 b", due_date=date(2026, 1, 2)),
            ],
            return_ids=False,
        )
        assert await titles(repo, sort="due_date", order=order) == expected


@pytest.mark.parametrize(("sort", "order"), SORTS_AND_ORDERS)
@pytest.mark.parametrize("due_date", [date(2026, 1, 5), None])
async def test_ties_are_broken_by_id_in_sort_direction(
    db: Database, sort: SortField, order: SortOrder, due_date: date | None
) -> None:
    async with db.session() as session:
        repo = TaskRepository(session)
        ids = await repo.add_many([row("same", due_date=due_date)] * 4, return_ids=True)

        rows = await repo.page(TaskFilters(sort=sort, order=order), TODAY, None, 10)

        assert [r.id for r in rows] == sorted(ids, reverse=order is SortOrder.DESC)


async def walk_repository(
    repo: TaskRepository, filters: TaskFilters, limit: int = PAGE_SIZE
) -> list[list[int]]:
    """Every page of `filters`, resuming each after the previous page's last row."""
    pages: list[list[int]] = []
    after: Keyset | None = None
    while len(pages) <= WALK_SIZE:
        rows = await repo.page(filters, TODAY, after, limit)
        pages.append([r.id for r in rows])
        if len(rows) < limit:
            return pages
        last = rows[-1]
        after = Keyset(value=getattr(last, SORT_COLUMNS[filters.sort].key), id=last.id)
    raise AssertionError("the walk does not end")


async def walk_service(service: TaskService, query: TaskQuery) -> list[list[int]]:
    """Every page of `query` through the service, following `next_cursor`."""
    pages: list[list[int]] = []
    cursor: str | None = None
    while len(pages) <= WALK_SIZE:
        page = await service.list_page(query.model_copy(update={"cursor": cursor}))
        pages.append([item.id for item in page.items])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor
    raise AssertionError("the walk does not end")


WALK_FILTERS = [{}, {"status": ["todo", "done"]}, {"tag": ["even"], "overdue": False}]


def matching(rows: Sequence[Any], filters: dict[str, Any]) -> list[Any]:
    statuses = filters.get("status")
    return [
        r
        for r in rows
        if (statuses is None or r.status in statuses)
        and ("tag" not in filters or "even" in r.tags)
        and not (
            "overdue" in filters
            and r.due_date is not None
            and r.due_date < TODAY
            and r.status not in (TaskStatus.DONE, TaskStatus.CANCELLED)
        )
    ]


def assert_pages(pages: list[list[int]], expected: list[int], limit: int = PAGE_SIZE) -> None:
    assert [i for page in pages for i in page] == expected
    assert all(len(page) == limit for page in pages[:-1])
    assert len(pages[-1]) <= limit


@pytest.mark.parametrize("filters", WALK_FILTERS)
@pytest.mark.parametrize(("sort", "order"), SORTS_AND_ORDERS)
async def test_keyset_walk_returns_every_row_once_in_order(
    db: Database, sort: SortField, order: SortOrder, filters: dict[str, Any]
) -> None:
    async with db.session() as session:
        repo = await seed_walk_tasks(session)
        expected = expected_order(matching(await all_rows(repo), filters), sort, order)

        pages = await walk_repository(
            repo, TaskFilters.model_validate({**filters, "sort": sort, "order": order})
        )

        assert_pages(pages, expected)
        assert len(pages) > 1


@pytest.mark.parametrize(("sort", "order"), SORTS_AND_ORDERS)
@pytest.mark.parametrize("limit", [1, PAGE_SIZE, WALK_SIZE, WALK_SIZE + 1])
async def test_cursor_walk_through_service(
    db: Database, sort: SortField, order: SortOrder, limit: int
) -> None:
    async with db.session() as session:
        repo = await seed_walk_tasks(session)
        service = TaskService(repo, ProjectRepository(session), clock=lambda: NOW)
        expected = expected_order(await all_rows(repo), sort, order)

        pages = await walk_service(service, TaskQuery(sort=sort, order=order, limit=limit))

        assert_pages(pages, expected, limit)
        assert pages[-1] != [] or len(pages) == 1


@pytest.mark.parametrize(("sort", "order"), SORTS_AND_ORDERS)
async def test_iter_tasks_returns_every_row_in_order(
    db: Database, sort: SortField, order: SortOrder
) -> None:
    async with db.session() as session:
        repo = await seed_walk_tasks(session)
        service = TaskService(repo, ProjectRepository(session), clock=lambda: NOW)
        expected = expected_order(await all_rows(repo), sort, order)

        ids = [task.id async for task in service.iter_tasks(TaskFilters(sort=sort, order=order))]

        assert ids == expected


async def test_keyset_inside_the_trailing_null_segment(db: Database) -> None:
    async with db.session() as session:
        repo = await seed_walk_tasks(session)
        everything = await all_rows(repo)
        undated = [r.id for r in everything if r.due_date is None]
        filters = TaskFilters(sort=SortField.DUE_DATE, order=SortOrder.DESC)

        rows = await repo.page(filters, TODAY, Keyset(value=None, id=undated[-2]), 100)

        assert [r.id for r in rows] == list(reversed(undated[:-2]))


def forged_cursor(filters: TaskFilters, value: Any, task_id: Any) -> str:
    real = json.loads(base64.urlsafe_b64decode(encode_cursor(filters, None, 1) + "=="))
    raw = json.dumps({"f": real["f"], "v": value, "i": task_id}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


async def list_with_forged_cursor(db: Database, sort: str, value: Any, task_id: Any) -> None:
    """A forged cursor gives InvalidCursorError or a page, never another error."""
    query = TaskQuery(sort=SortField(sort))
    cursor = forged_cursor(query.filters, value, task_id)
    async with db.session() as session:
        service = TaskService.from_session(session)
        await TaskRepository(session).add(row("t", due_date=date(2026, 1, 1)))
        try:
            async with session.begin_nested():
                await service.list_page(query.model_copy(update={"cursor": cursor}))
        except InvalidCursorError:
            pass


@pytest.mark.parametrize(
    ("sort", "value", "task_id"),
    [
        ("id", None, -1),
        ("id", None, 0),
        ("due_date", "0001-01-01", 1),
        ("due_date", "9999-12-31", 1),
        ("priority", 2.5, 1),
        ("title", "x" * 5000, 1),
        ("created_at", "2026-01-15T12:00:00+14:00", 1),
    ],
)
async def test_odd_but_harmless_cursor_values_give_a_page(
    db: Database, sort: str, value: Any, task_id: Any
) -> None:
    await list_with_forged_cursor(db, sort, value, task_id)


@pytest.mark.parametrize(
    "task_id",
    [
        pytest.param(2**31, id="2**31"),
        pytest.param(-(2**31) - 1, id="-2**31-1"),
        pytest.param(2**63, id="2**63"),
        pytest.param(-(2**63) - 1, id="-2**63-1"),
        pytest.param(10**40, id="10**40"),
    ],
)
async def test_cursor_id_out_of_range_is_refused(db: Database, task_id: int) -> None:
    await list_with_forged_cursor(db, "id", None, task_id)


@pytest.mark.parametrize(
    ("sort", "value"),
    [
        ("created_at", "0001-01-01T00:00:00+14:00"),
        ("updated_at", "9999-12-31T23:59:59-14:00"),
    ],
)
async def test_cursor_datetime_out_of_range_is_refused(db: Database, sort: str, value: str) -> None:
    await list_with_forged_cursor(db, sort, value, 1)


async def test_cursor_title_with_nul_is_refused(db: Database) -> None:
    await list_with_forged_cursor(db, "title", "a\x00b", 1)


# --- stats -------------------------------------------------------------------------------

STATS_TASKS = [
    # project, status, priority, due date
    ("Work", "todo", "high", date(2026, 1, 1)),  # overdue
    ("Work", "todo", "high", None),
    ("Work", "done", "high", date(2026, 1, 1)),  # closed: not overdue
    ("work", "in_progress", "low", date(2026, 1, 14)),  # overdue
    ("Home", "cancelled", "urgent", date(2026, 1, 2)),  # closed: not overdue
    ("Home", "todo", "medium", TODAY),  # due today: not overdue
    (None, "todo", "medium", date(2026, 1, 3)),  # overdue
    (None, "todo", "medium", None),
    (None, "in_progress", "low", date(2026, 2, 1)),
]


async def seed_stats_tasks(session: AsyncSession) -> None:
    projects = await add_projects(session, "Work", "Home", "Empty")
    project_ids = {name.casefold(): pid for name, pid in projects.items()}
    await TaskRepository(session).add_many(
        [
            row(
                "t",
                project_id=project_ids[project.casefold()] if project else None,
                status=TaskStatus(status),
                priority=Priority(priority),
                due_date=due,
            )
            for project, status, priority, due in STATS_TASKS
        ],
        return_ids=False,
    )


async def test_stats_groups_by_project_status_priority(db: Database) -> None:
    async with db.session() as session:
        await seed_stats_tasks(session)

        rows = await TaskRepository(session).stats(TODAY)

        grouped = {(r.project, r.status, r.priority): (r.total, int(r.overdue or 0)) for r in rows}
        assert grouped == {
            ("Work", TaskStatus.TODO, Priority.HIGH): (2, 1),
            ("Work", TaskStatus.DONE, Priority.HIGH): (1, 0),
            ("Work", TaskStatus.IN_PROGRESS, Priority.LOW): (1, 1),
            ("Home", TaskStatus.CANCELLED, Priority.URGENT): (1, 0),
            ("Home", TaskStatus.TODO, Priority.MEDIUM): (1, 0),
            (None, TaskStatus.TODO, Priority.MEDIUM): (2, 1),
            (None, TaskStatus.IN_PROGRESS, Priority.LOW): (1, 0),
            ("Empty", None, None): (0, 0),  # a project without tasks has a row of zeros
        }
        assert len(rows) == len(grouped)


async def test_stats_of_empty_database(db: Database) -> None:
    async with db.session() as session:
        assert list(await TaskRepository(session).stats(TODAY)) == []


async def test_stats_service_on_real_rows(db: Database) -> None:
    async with db.session() as session:
        await seed_stats_tasks(session)

        stats = await StatsService(TaskRepository(session), clock=lambda: NOW).compute()

        assert stats.total == len(STATS_TASKS)
        assert stats.overdue == 3
        assert stats.by_status == {"todo": 5, "in_progress": 2, "done": 1, "cancelled": 1}
        assert stats.by_priority == {"low": 2, "medium": 3, "high": 3, "urgent": 1}
        assert [(p.project, p.total, p.overdue) for p in stats.by_project] == [
            ("Empty", 0, 0),
            ("Home", 2, 0),
            ("Work", 4, 2),
            (None, 3, 1),
        ]


@pytest.mark.parametrize("bulk", [True, False], ids=["bulk", "one-by-one"])
async def test_timestamps_at_the_ends_of_the_calendar_read_back_and_sort(
    db: Database, bulk: bool
) -> None:
    """Years below 1000 keep four digits in storage, so they parse and sort like any other."""
    stamps = [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(999, 6, 1, 8, 30, 0, 5, tzinfo=UTC),
        NOW,
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ]
    rows = [row(f"t{i}", created_at=s, updated_at=s) for i, s in enumerate(reversed(stamps))]
    async with db.session() as session:
        repo = TaskRepository(session)
        if bulk:
            await repo.add_many(rows, return_ids=False)
        else:
            for values in rows:
                await repo.add(values)

    async with db.session(write=False) as session:
        repo = TaskRepository(session)
        by_created = TaskFilters(sort=SortField.CREATED_AT)
        page = await repo.page(by_created, TODAY, None, 10)
        assert [r.created_at for r in page] == stamps
        assert [r.updated_at for r in page] == stamps
