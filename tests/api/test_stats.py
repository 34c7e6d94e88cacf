"""GET /api/v1/stats: counts by status, priority, overdue and project."""

from typing import Any

import httpx
import pytest

from tests.api.helpers import assert_invalid, create_project, create_task, day, project_url

STATS = "/api/v1/stats"


def by_status(
    todo: int = 0, in_progress: int = 0, done: int = 0, cancelled: int = 0
) -> dict[str, int]:
    return {"todo": todo, "in_progress": in_progress, "done": done, "cancelled": cancelled}


def by_priority(low: int = 0, medium: int = 0, high: int = 0, urgent: int = 0) -> dict[str, int]:
    return {"low": low, "medium": medium, "high": high, "urgent": urgent}


async def stats(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get(STATS)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_empty_tracker_lists_every_key_with_zero(client: httpx.AsyncClient) -> None:
    assert await stats(client) == {
        "total": 0,
        "by_status": by_status(),
        "by_priority": by_priority(),
        "overdue": 0,
        "by_project": [],
    }


async def test_counts_by_status_priority_overdue_and_project(client: httpx.AsyncClient) -> None:
    await create_project(client, "Work")
    await create_project(client, "home")
    await create_task(client, project="Work", priority="high", due_date=day(-2))
    await create_task(client, project="Work", status="in_progress", priority="urgent")
    await create_task(client, project="Work", status="done", due_date=day(-2))
    await create_task(client, project="home", status="cancelled", priority="low")
    await create_task(client, priority="low", due_date=day(-1))
    await create_task(client, due_date=day(3))

    assert await stats(client) == {
        "total": 6,
        "by_status": by_status(todo=3, in_progress=1, done=1, cancelled=1),
        "by_priority": by_priority(low=2, medium=2, high=1, urgent=1),
        "overdue": 2,
        "by_project": [
            {"project": "home", "total": 1, "overdue": 0, "by_status": by_status(cancelled=1)},
            {
                "project": "Work",
                "total": 3,
                "overdue": 1,
                "by_status": by_status(todo=1, in_progress=1, done=1),
            },
            {"project": None, "total": 2, "overdue": 1, "by_status": by_status(todo=2)},
        ],
    }


async def test_a_project_without_tasks_is_listed_with_zeros(client: httpx.AsyncClient) -> None:
    await create_project(client, "Someday")
    task = await create_task(client, project="Someday")
    await client.delete(f"/api/v1/tasks/{task['id']}")

    assert (await stats(client))["by_project"] == [
        {"project": "Someday", "total": 0, "overdue": 0, "by_status": by_status()}
    ]


async def test_closed_tasks_are_never_overdue(client: httpx.AsyncClient) -> None:
    await create_task(client, status="done", due_date=day(-30))
    await create_task(client, status="cancelled", due_date=day(-30))
    await create_task(client, due_date=day(0))
    late = await create_task(client, status="in_progress", due_date=day(-30))

    assert (await stats(client))["overdue"] == 1

    await client.patch(f"/api/v1/tasks/{late['id']}", json={"status": "done"})
    assert (await stats(client))["overdue"] == 0


async def test_stats_follow_a_project_rename(client: httpx.AsyncClient) -> None:
    project = await create_project(client, "Work")
    await create_task(client, project="Work")

    await client.patch(project_url(project["id"]), json={"name": "Office"})

    assert [p["project"] for p in (await stats(client))["by_project"]] == ["Office"]


@pytest.mark.parametrize("path", ["/api/v1/stats", "/api/v1/projects"])
async def test_a_filter_on_an_unfiltered_listing_is_422_not_ignored(
    client: httpx.AsyncClient, path: str
) -> None:
    """`?project=Work` must not quietly answer for every project."""
    response = await client.get(path, params={"project": "Work", "limit": "1"})

    assert_invalid(response, ["query", "project"], ["query", "limit"])
    assert (await client.get(path)).status_code == 200
