"""The OpenAPI document says what the API sends: formats a client generator can use."""

from typing import Any

import httpx


async def test_timestamps_are_declared_as_date_times(client: httpx.AsyncClient) -> None:
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]

    def format_of(schema: dict[str, Any]) -> str | None:
        options = schema.get("anyOf", [schema])
        return next((o["format"] for o in options if o.get("type") == "string"), None)

    for model, fields in {
        "TaskRead": ("created_at", "updated_at", "completed_at"),
        "ProjectRead": ("created_at", "updated_at"),
    }.items():
        for field in fields:
            assert format_of(schemas[model]["properties"][field]) == "date-time", (model, field)
    assert format_of(schemas["TaskRead"]["properties"]["due_date"]) == "date"
