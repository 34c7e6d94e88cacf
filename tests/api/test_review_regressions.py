"""Regression tests for problems found in review."""

import base64
import json

import httpx

from app.core.enums import SortField
from app.schemas.task import TaskFilters
from app.services.cursor import encode_cursor


async def test_cursor_with_a_lone_surrogate_is_400_not_500(client: httpx.AsyncClient) -> None:
    real = encode_cursor(TaskFilters(sort=SortField.TITLE), "x", 1)
    payload = json.loads(base64.urlsafe_b64decode(real + "=="))
    payload["v"] = "\ud800"  # JSON carries it as the escape `\ud800`
    cursor = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()

    response = await client.get("/api/v1/tasks", params={"sort": "title", "cursor": cursor})

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
