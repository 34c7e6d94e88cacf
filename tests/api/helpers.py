"""Helpers shared by the API tests: requests that must succeed and the problem-details check."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.factories import task_payload

TASKS = "/api/v1/tasks"
PROJECTS = "/api/v1/projects"
PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_KEYS = {"type", "title", "status", "detail", "request_id"}
ISO_UTC = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00"


def day(offset: int) -> str:
    """Today (UTC) plus `offset` days, as `YYYY-MM-DD`."""
    return (datetime.now(UTC).date() + timedelta(days=offset)).isoformat()


def moment(value: str) -> datetime:
    """A timestamp from a response, for comparing in time (not as text)."""
    return datetime.fromisoformat(value)


def task_url(task_id: int) -> str:
    return f"{TASKS}/{task_id}"


def project_url(project_id: int) -> str:
    return f"{PROJECTS}/{project_id}"


async def create_task(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    """POST a task (default payload plus `overrides`) that must be created."""
    response = await client.post(TASKS, json=task_payload(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def create_tasks(client: httpx.AsyncClient, *payloads: dict[str, Any]) -> list[int]:
    """Create tasks in one bulk call (they share created_at/updated_at); return their ids."""
    response = await client.post(f"{TASKS}/bulk", json={"tasks": list(payloads)})
    assert response.status_code == 201, response.text
    ids: list[int] = response.json()["ids"]
    return ids


async def create_project(client: httpx.AsyncClient, name: str, **fields: Any) -> dict[str, Any]:
    """POST a project that must be created."""
    response = await client.post(PROJECTS, json={"name": name, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def get_task(client: httpx.AsyncClient, task_id: int) -> dict[str, Any]:
    response = await client.get(task_url(task_id))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def list_ids(client: httpx.AsyncClient, **params: Any) -> list[int]:
    """Ids of the first page (limit 200) of a task list."""
    response = await client.get(TASKS, params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    return [task["id"] for task in response.json()["items"]]


async def walk(client: httpx.AsyncClient, limit: int, **params: Any) -> list[dict[str, Any]]:
    """Every task of a list, page by page, following `next_cursor`."""
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):
        query = {**params, "limit": limit} | ({"cursor": cursor} if cursor else {})
        response = await client.get(TASKS, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
        assert page["items"], "a page with a next_cursor must not be empty"
    raise AssertionError("pagination does not end")


def assert_problem(
    response: httpx.Response, status: int, type_: str | None = None
) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status (and type); return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]
    if type_ is not None:
        assert body["type"] == type_
    return body


def assert_invalid(response: httpx.Response, *locs: list[str | int]) -> dict[str, Any]:
    """A 422 validation problem whose `errors` point at exactly these locations."""
    body = assert_problem(response, 422)
    assert [error["loc"] for error in body["errors"]] == list(locs), body["errors"]
    assert all(isinstance(error["msg"], str) and error["msg"] for error in body["errors"])
    return body
