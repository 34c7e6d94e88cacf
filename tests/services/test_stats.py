"""StatsService aggregation, from fake grouped rows."""

from datetime import UTC, datetime
from types import SimpleNamespace
from unittest.mock import AsyncMock

from app.core.enums import Priority, TaskStatus
from app.dal.task import TaskRepository
from app.services.stats import StatsService

NOW = datetime(2026, 1, 15, 23, 59, tzinfo=UTC)
ZERO_STATUSES = {"todo": 0, "in_progress": 0, "done": 0, "cancelled": 0}


def group(
    project: str | None, status: str, priority: str, total: int, overdue: int | None
) -> SimpleNamespace:
    """One row of `TaskRepository.stats`."""
    return SimpleNamespace(
        project=project,
        status=TaskStatus(status),
        priority=Priority(priority),
        total=total,
        overdue=overdue,
    )


def empty_project(name: str) -> SimpleNamespace:
    """The row `TaskRepository.stats` gives a project without tasks."""
    return SimpleNamespace(project=name, status=None, priority=None, total=0, overdue=0)


def make_service(*rows: SimpleNamespace) -> tuple[StatsService, AsyncMock]:
    repo = AsyncMock(spec=TaskRepository)
    repo.stats.return_value = list(rows)
    return StatsService(repo, clock=lambda: NOW), repo


async def test_no_tasks_lists_every_status_and_priority_at_zero() -> None:
    service, repo = make_service()

    stats = await service.compute()

    repo.stats.assert_awaited_once_with(NOW.date())
    assert stats.model_dump() == {
        "total": 0,
        "by_status": ZERO_STATUSES,
        "by_priority": {"low": 0, "medium": 0, "high": 0, "urgent": 0},
        "overdue": 0,
        "by_project": [],
    }


async def test_aggregates_grouped_rows() -> None:
    service, _ = make_service(
        group("Zed", "todo", "high", 2, 1),
        group(None, "done", "low", 3, 0),
        group("alpha", "in_progress", "urgent", 1, 1),
        group("Zed", "todo", "low", 1, None),
        group("Beta", "cancelled", "low", 4, 0),
        group(None, "todo", "high", 5, 2),
        group("Zed", "done", "high", 1, 0),
    )

    stats = await service.compute()

    assert stats.total == 17
    assert stats.by_status == {"todo": 8, "in_progress": 1, "done": 4, "cancelled": 4}
    assert stats.by_priority == {"low": 8, "medium": 0, "high": 8, "urgent": 1}
    assert stats.overdue == 4
    assert [p.model_dump() for p in stats.by_project] == [
        {
            "project": "alpha",
            "total": 1,
            "overdue": 1,
            "by_status": ZERO_STATUSES | {"in_progress": 1},
        },
        {
            "project": "Beta",
            "total": 4,
            "overdue": 0,
            "by_status": ZERO_STATUSES | {"cancelled": 4},
        },
        {
            "project": "Zed",
            "total": 4,
            "overdue": 1,
            "by_status": ZERO_STATUSES | {"todo": 3, "done": 1},
        },
        {
            "project": None,
            "total": 8,
            "overdue": 2,
            "by_status": ZERO_STATUSES | {"todo": 5, "done": 3},
        },
    ]


async def test_tasks_without_project_alone() -> None:
    service, _ = make_service(group(None, "todo", "medium", 2, 2))

    stats = await service.compute()

    assert stats.overdue == 2
    assert [(p.project, p.total, p.overdue) for p in stats.by_project] == [(None, 2, 2)]
    assert stats.by_priority["medium"] == 2


async def test_a_project_without_tasks_is_listed_with_zeros() -> None:
    service, _ = make_service(group("Busy", "todo", "low", 2, 0), empty_project("Idle"))

    stats = await service.compute()

    assert stats.total == 2
    assert stats.by_status == ZERO_STATUSES | {"todo": 2}
    assert [p.model_dump() for p in stats.by_project] == [
        {"project": "Busy", "total": 2, "overdue": 0, "by_status": ZERO_STATUSES | {"todo": 2}},
        {"project": "Idle", "total": 0, "overdue": 0, "by_status": ZERO_STATUSES},
    ]
