"""Regression tests for problems found in review."""

import httpx

from app.core.enums import SortField
from app.schemas.task import TaskFilters
from app.services.cursor import encode_cursor


async def test_cursor_with_a_lone_surrogate_is_400_not_500(client: httpx.AsyncClient) -> None:
    cursor = encode_cursor(TaskFilters(sort=SortField.TITLE), "\ud800", 1)

    response = await client.get("/api/v1/tasks", params={"sort": "title", "cursor": cursor})

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
