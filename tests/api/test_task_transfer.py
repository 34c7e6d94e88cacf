"""POST /api/v1/tasks/bulk (all or nothing, ≤ 1,000) and GET /api/v1/tasks/export (streamed)."""

import csv
import io
import json
from typing import Any

import httpx
import pytest

PROBLEM = "application/problem+json"
CSV_HEADER = "title,description,status,priority,due_date,project,tags,created_at,completed_at"


async def export(client: httpx.AsyncClient, **params: Any) -> httpx.Response:
    response = await client.get("/api/v1/tasks/export", params=params)
    assert response.status_code == 200, response.text
    return response


async def exported(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    """Every task the jsonl export returns."""
    text = (await export(client, **params)).text
    return [json.loads(line) for line in text.splitlines()]


async def bulk(client: httpx.AsyncClient, tasks: list[dict[str, Any]]) -> httpx.Response:
    return await client.post("/api/v1/tasks/bulk", json={"tasks": tasks})


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["detail"]
    assert "Traceback" not in response.text
    return body


def locs(body: dict[str, Any]) -> list[list[Any]]:
    return [error["loc"] for error in body["errors"]]


# --- bulk create ----------------------------------------------------------------------------


async def test_bulk_creates_every_task_and_returns_ids_in_order(client: httpx.AsyncClient) -> None:
    await client.post("/api/v1/projects", json={"name": "Work"})
    tasks = [
        {"title": "First", "priority": "high", "project": "work", "tags": ["B", "a"]},
        {"title": "Second", "status": "done", "due_date": "2030-01-02"},
        {"title": "Third", "description": "d"},
    ]
    response = await bulk(client, tasks)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["created"] == 3
    assert len(body["ids"]) == 3
    for task_id, sent in zip(body["ids"], tasks, strict=True):
        got = (await client.get(f"/api/v1/tasks/{task_id}")).json()
        assert got["title"] == sent["title"]
    first = (await client.get(f"/api/v1/tasks/{body['ids'][0]}")).json()
    assert (first["project"], first["tags"], first["priority"]) == ("Work", ["a", "b"], "high")
    second = (await client.get(f"/api/v1/tasks/{body['ids'][1]}")).json()
    assert second["completed_at"] is not None


async def test_bulk_accepts_a_thousand_tasks(client: httpx.AsyncClient) -> None:
    response = await bulk(client, [{"title": f"task {n}"} for n in range(1000)])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["created"] == 1000
    assert body["ids"] == sorted(set(body["ids"]))
    assert [t["title"] for t in await exported(client)] == [f"task {n}" for n in range(1000)]


async def test_bulk_of_a_thousand_tasks_at_every_length_limit_fits_the_body_limit(
    client: httpx.AsyncClient,
) -> None:
    """1,000 tasks at their longest, sent as `json.dumps` escapes them (32 MB): not a 413."""
    longest = {"title": "é" * 200, "description": "é" * 5000, "tags": [f"t{n}" for n in range(20)]}
    body = json.dumps({"tasks": [longest] * 1000}).encode()  # \u00e9: six bytes a character

    response = await client.post(
        "/api/v1/tasks/bulk", content=body, headers={"content-type": "application/json"}
    )

    assert len(body) > 30_000_000
    assert response.status_code == 201, response.text[:300]
    assert response.json()["created"] == 1000


async def test_bulk_refuses_a_thousand_and_one_tasks(client: httpx.AsyncClient) -> None:
    response = await bulk(client, [{"title": f"task {n}"} for n in range(1001)])
    body = assert_problem(response, 422)
    assert locs(body) == [["body", "tasks"]]
    assert await exported(client) == []


async def test_bulk_refuses_an_empty_list(client: httpx.AsyncClient) -> None:
    body = assert_problem(await bulk(client, []), 422)
    assert locs(body) == [["body", "tasks"]]


async def test_bulk_is_all_or_nothing_and_locates_every_bad_field(
    client: httpx.AsyncClient,
) -> None:
    before = (await client.post("/api/v1/tasks", json={"title": "already here"})).json()
    tasks = [
        {"title": "fine"},
        {"title": "bad priority", "priority": "whenever"},
        {"title": "fine too"},
        {"title": "   "},
        {"title": "bad tag and date", "tags": ["no spaces"], "due_date": "2030-02-30"},
        {"title": "unknown field", "owner": "me"},
    ]
    body = assert_problem(await bulk(client, tasks), 422)
    assert sorted(map(tuple, locs(body))) == sorted(
        [
            ("body", "tasks", 1, "priority"),
            ("body", "tasks", 3, "title"),
            ("body", "tasks", 4, "tags"),
            ("body", "tasks", 4, "due_date"),
            ("body", "tasks", 5, "owner"),
        ]
    )
    assert all(error["msg"] for error in body["errors"])
    assert await exported(client) == [before]


async def test_bulk_unknown_projects_are_located_and_nothing_is_created(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/api/v1/projects", json={"name": "Work"})
    tasks = [
        {"title": "a", "project": "Work"},
        {"title": "b", "project": "Nowhere"},
        {"title": "c"},
        {"title": "d", "project": "Elsewhere"},
    ]
    body = assert_problem(await bulk(client, tasks), 422)
    assert locs(body) == [["body", "tasks", 1, "project"], ["body", "tasks", 3, "project"]]
    assert "Nowhere" in body["errors"][0]["msg"]
    single = assert_problem(await client.post("/api/v1/tasks", json=tasks[1]), 422)
    assert body["type"] == single["type"] == "/problems/unknown-project"
    assert body["errors"][0]["msg"] == single["errors"][0]["msg"]  # one wording, one place
    assert await exported(client) == []
    projects = (await client.get("/api/v1/projects")).json()["items"]
    assert [p["name"] for p in projects] == ["Work"]  # bulk never creates projects


async def test_bulk_lists_at_most_100_unknown_projects(client: httpx.AsyncClient) -> None:
    # Like schema errors: a 1,000-task bulk naming 1,000 missing projects got 80 KB back.
    body = assert_problem(await bulk(client, [{"title": "t", "project": "Nope"}] * 1000), 422)
    assert locs(body) == [["body", "tasks", n, "project"] for n in range(100)]
    assert "1000 tasks" in body["detail"]
    assert "the first 100" in body["detail"]


async def test_bulk_body_must_be_an_object_with_tasks(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/tasks/bulk", json=[{"title": "x"}])
    assert_problem(response, 422)
    response = await client.post("/api/v1/tasks/bulk", json={"tasks": [], "extra": 1})
    assert_problem(response, 422)


async def test_bulk_nul_character_is_a_located_422(client: httpx.AsyncClient) -> None:
    response = await bulk(client, [{"title": "ok"}, {"title": "nul \u0000 inside"}])
    body = assert_problem(response, 422)
    assert ["body", "tasks", 1, "title"] in locs(body)


# --- export ---------------------------------------------------------------------------------

SEED = [
    {
        "title": "Write report",
        "description": 'Numbers, "quoted"\nand a second line',
        "priority": "urgent",
        "due_date": "2020-01-10",
        "project": "Work",
        "tags": ["writing", "q1"],
    },
    {
        "title": "Review, PR",
        "status": "in_progress",
        "priority": "high",
        "due_date": "2099-03-01",
        "project": "Work",
        "tags": ["code"],
    },
    {"title": "Buy milk", "status": "done", "priority": "low", "project": "Home", "tags": ["x"]},
    {"title": "Old idea", "status": "cancelled", "due_date": "2020-01-01"},
    {"title": "Café ✓", "tags": ["writing"], "due_date": "2099-12-31"},
]
TITLES = [t["title"] for t in SEED]


@pytest.fixture
async def seeded(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    for name in ("Work", "Home"):
        await client.post("/api/v1/projects", json={"name": name})
    response = await bulk(client, SEED)
    assert response.status_code == 201, response.text
    listed = (await client.get("/api/v1/tasks", params={"limit": 200})).json()["items"]
    return list(listed)


async def test_export_jsonl_streams_every_task_in_the_api_shape(
    client: httpx.AsyncClient, seeded: list[dict[str, Any]]
) -> None:
    response = await export(client)
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert 'filename="tasks.jsonl"' in response.headers["content-disposition"]
    assert response.text.endswith("\n")
    assert [json.loads(line) for line in response.text.splitlines()] == seeded


async def test_export_csv(client: httpx.AsyncClient, seeded: list[dict[str, Any]]) -> None:
    response = await export(client, format="csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="tasks.csv"' in response.headers["content-disposition"]
    assert response.text.startswith(CSV_HEADER + "\r\n")
    rows = list(csv.DictReader(io.StringIO(response.text, newline="")))
    assert [r["title"] for r in rows] == TITLES
    first = rows[0]
    assert first["description"] == 'Numbers, "quoted"\nand a second line'
    assert first["tags"] == "q1;writing"
    assert (first["status"], first["priority"], first["due_date"], first["project"]) == (
        "todo",
        "urgent",
        "2020-01-10",
        "Work",
    )
    assert first["created_at"] == seeded[0]["created_at"]
    assert rows[2]["completed_at"] == seeded[2]["completed_at"]
    assert rows[3]["completed_at"] == ""


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "done"}, ["Buy milk"]),
        ({"status": ["todo", "in_progress"]}, ["Write report", "Review, PR", "Café ✓"]),
        ({"priority": ["urgent", "high"]}, ["Write report", "Review, PR"]),
        ({"project": "work"}, ["Write report", "Review, PR"]),
        ({"tag": ["writing", "q1"]}, ["Write report"]),
        ({"tag": "writing"}, ["Write report", "Café ✓"]),
        ({"q": "SECOND LINE"}, ["Write report"]),
        ({"due_before": "2021-01-01"}, ["Write report", "Old idea"]),
        ({"due_after": "2099-06-01"}, ["Café ✓"]),
        ({"overdue": "true"}, ["Write report"]),
        (
            {"sort": "due_date", "order": "desc"},
            ["Café ✓", "Review, PR", "Write report", "Old idea", "Buy milk"],
        ),
        ({"project": "Home", "status": "todo"}, []),
    ],
)
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
async def test_export_applies_the_list_filters(
    client: httpx.AsyncClient,
    seeded: list[dict[str, Any]],
    fmt: str,
    params: dict[str, Any],
    expected: list[str],
) -> None:
    text = (await export(client, format=fmt, **params)).text
    if fmt == "jsonl":
        titles = [json.loads(line)["title"] for line in text.splitlines()]
    else:
        titles = [row["title"] for row in csv.DictReader(io.StringIO(text, newline=""))]
    assert titles == expected


async def test_export_matches_what_the_list_pages_return(
    client: httpx.AsyncClient, seeded: list[dict[str, Any]]
) -> None:
    page = (await client.get("/api/v1/tasks", params={"tag": "writing", "sort": "title"})).json()
    assert await exported(client, tag="writing", sort="title") == page["items"]


async def test_export_of_nothing(client: httpx.AsyncClient) -> None:
    assert (await export(client)).text == ""
    assert (await export(client, format="csv")).text == CSV_HEADER + "\r\n"


async def test_export_streams_more_than_one_fetch_batch(client: httpx.AsyncClient) -> None:
    for start in range(0, 2500, 1000):
        batch = [{"title": f"task {n:04}"} for n in range(start, min(start + 1000, 2500))]
        assert (await bulk(client, batch)).status_code == 201
    titles = [t["title"] for t in await exported(client)]
    assert titles == [f"task {n:04}" for n in range(2500)]
    rows = list(csv.DictReader(io.StringIO((await export(client, format="csv")).text)))
    assert len(rows) == 2500
    descending = [t["title"] for t in await exported(client, sort="title", order="desc")]
    assert descending == titles[::-1]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"format": "xml"}, "format"),
        ({"format": "taskwarrior"}, "format"),
        ({"status": "paused"}, "status"),
        ({"due_before": "31/12/2030"}, "due_before"),
        ({"sort": "colour"}, "sort"),
    ],
)
async def test_export_invalid_parameters_are_422(
    client: httpx.AsyncClient, params: dict[str, Any], field: str
) -> None:
    response = await client.get("/api/v1/tasks/export", params=params)
    body = assert_problem(response, 422)
    assert ["query", field] in [loc[:2] for loc in locs(body)]
