"""Checks that the test fixtures isolate tests from each other."""

import httpx


async def test_first_test_creates_a_task(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/tasks", json={"title": "only in this test"})
    assert response.status_code == 201
    listed = await client.get("/api/v1/tasks")
    assert [t["title"] for t in listed.json()["items"]] == ["only in this test"]


async def test_second_test_sees_an_empty_database(client: httpx.AsyncClient) -> None:
    listed = await client.get("/api/v1/tasks")
    assert listed.json()["items"] == []
