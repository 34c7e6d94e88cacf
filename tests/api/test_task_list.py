"""GET /api/v1/tasks: filters, sorts and keyset pagination."""

import base64
import json
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.api.helpers import (
    TASKS,
    assert_invalid,
    assert_problem,
    create_project,
    create_task,
    create_tasks,
    day,
    list_ids,
    task_url,
    walk,
)
from tests.factories import task_payload

SORTS = ["id", "created_at", "updated_at", "due_date", "priority", "title"]
ORDERS = ["asc", "desc"]
PRIORITY_RANK = {"low": 1, "medium": 2, "high": 3, "urgent": 4}

# Ties in every sort key, and tasks without a due date.
SORT_SEED = [
    task_payload(title="beta", priority="high", due_date="2030-01-02"),
    task_payload(title="alpha", priority="low"),
    task_payload(title="beta", priority="urgent", due_date="2030-01-01"),
    task_payload(title="gamma", priority="medium", due_date="2030-01-02"),
    task_payload(title="alpha", priority="high"),
    task_payload(title="delta", priority="low", due_date="2030-01-03"),
    task_payload(title="alpha", priority="medium", due_date="2030-01-01"),
]


async def seed_for_sorting(client: httpx.AsyncClient) -> list[int]:
    """14 tasks: two bulk batches (equal timestamps inside each), singles, later updates."""
    ids = await create_tasks(client, *SORT_SEED)
    for payload in SORT_SEED[:3]:
        ids.append((await client.post(TASKS, json=payload)).json()["id"])
    ids += await create_tasks(client, *SORT_SEED[3:])
    for task_id in (ids[1], ids[4]):
        response = await client.patch(task_url(task_id), json={"description": "touched"})
        assert response.status_code == 200
    return ids


def sort_value(task: dict[str, Any], sort: str) -> Any:
    value = task[sort]
    if value is None:
        return None
    if sort == "priority":
        return PRIORITY_RANK[value]
    if sort in {"created_at", "updated_at"}:
        return datetime.fromisoformat(value)
    return value


def assert_in_order(tasks: list[dict[str, Any]], sort: str, order: str) -> None:
    """Sort values follow `order`, and tasks without a value come last."""
    values = [sort_value(task, sort) for task in tasks]
    present = [v for v in values if v is not None]
    assert values == present + [None] * (len(values) - len(present)), values
    assert present == sorted(present, reverse=order == "desc"), values


def forge(cursor: str, change: Any) -> str:
    """The cursor decoded (urlsafe base64 JSON), every integer in it replaced, re-encoded."""
    payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    payload = {k: change if isinstance(v, int) else v for k, v in payload.items()}
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


async def first_cursor(client: httpx.AsyncClient, **params: Any) -> str:
    response = await client.get(TASKS, params={"limit": 1, **params})
    assert response.status_code == 200
    cursor: str = response.json()["next_cursor"]
    assert cursor
    return cursor


# --- isolation and defaults ------------------------------------------------------------------


async def test_isolation_a_test_creates_a_task(client: httpx.AsyncClient) -> None:
    await create_task(client, title="only in this test")

    response = await client.get(TASKS)

    assert [t["title"] for t in response.json()["items"]] == ["only in this test"]


async def test_isolation_the_next_test_sees_an_empty_database(client: httpx.AsyncClient) -> None:
    response = await client.get(TASKS)

    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}


async def test_default_is_by_id_ascending_in_pages_of_50(client: httpx.AsyncClient) -> None:
    ids = await create_tasks(client, *[task_payload(title=f"t{i:02}") for i in range(51)])

    first = (await client.get(TASKS)).json()
    second = (await client.get(TASKS, params={"cursor": first["next_cursor"]})).json()

    assert [t["id"] for t in first["items"]] == sorted(ids)[:50]
    assert [t["id"] for t in second["items"]] == sorted(ids)[50:]
    assert second["next_cursor"] is None


async def test_listed_tasks_have_the_same_shape_as_a_single_task(
    client: httpx.AsyncClient,
) -> None:
    await create_project(client, "Work")
    created = await create_task(client, project="Work", tags=["b", "a"], due_date="2030-01-01")

    response = await client.get(TASKS)

    assert response.json()["items"] == [created]


# --- filters ---------------------------------------------------------------------------------


async def test_status_filter_is_repeatable_and_ors(client: httpx.AsyncClient) -> None:
    ids = {s: (await create_task(client, status=s))["id"] for s in ["todo", "in_progress", "done"]}
    cancelled = (await create_task(client, status="cancelled"))["id"]

    assert await list_ids(client, status="done") == [ids["done"]]
    assert await list_ids(client, status=["todo", "cancelled"]) == [ids["todo"], cancelled]


async def test_priority_filter_is_repeatable_and_ors(client: httpx.AsyncClient) -> None:
    ids = {p: (await create_task(client, priority=p))["id"] for p in PRIORITY_RANK}

    assert await list_ids(client, priority="urgent") == [ids["urgent"]]
    assert await list_ids(client, priority=["low", "high"]) == [ids["low"], ids["high"]]


async def test_project_filter_matches_the_name_ignoring_case(client: httpx.AsyncClient) -> None:
    await create_project(client, "Work")
    await create_project(client, "Workshop")
    work = (await create_task(client, project="Work"))["id"]
    await create_task(client, project="Workshop")
    await create_task(client)

    assert await list_ids(client, project="wORK") == [work]
    assert await list_ids(client, project="Nowhere") == []


async def test_tag_filter_is_repeatable_and_requires_every_tag(client: httpx.AsyncClient) -> None:
    only_a = (await create_task(client, tags=["a"]))["id"]
    a_b = (await create_task(client, tags=["a", "b"]))["id"]
    await create_task(client, tags=["b"])
    a_b_c = (await create_task(client, tags=["a", "b", "c"]))["id"]

    assert await list_ids(client, tag="a") == [only_a, a_b, a_b_c]
    assert await list_ids(client, tag=["b", "a"]) == [a_b, a_b_c]
    assert await list_ids(client, tag=["A", "B", "C"]) == [a_b_c]


async def test_tag_filter_matches_whole_tags_literally(client: httpx.AsyncClient) -> None:
    underscore = (await create_task(client, tags=["a_b"]))["id"]
    await create_task(client, tags=["axb"])
    longer = (await create_task(client, tags=["abc"]))["id"]

    assert await list_ids(client, tag="a_b") == [underscore]
    assert await list_ids(client, tag="ab") == []
    assert await list_ids(client, tag="abc") == [longer]


@pytest.mark.parametrize("value", ["x1,x2", "x2,x3", "", " ", "-x", "a b", "%", "x" * 33])
async def test_a_tag_filter_that_cannot_name_a_tag_is_422(
    client: httpx.AsyncClient, value: str
) -> None:
    # Tags are stored as ",x1,x2,x3,": a comma in the filter used to match adjacent tags.
    await create_task(client, tags=["x1", "x2", "x3"])

    response = await client.get(TASKS, params={"tag": ["x1", value]})

    body = assert_invalid(response, ["query", "tag", 1])
    assert "a-z, 0-9" in body["errors"][0]["msg"]


async def test_more_tag_filters_than_a_task_can_have_is_422(client: httpx.AsyncClient) -> None:
    # ~1,000 of them made SQLite's expression tree too deep: a 500.
    twenty = [f"t{n}" for n in range(20)]
    assert (await client.get(TASKS, params={"tag": twenty})).status_code == 200

    for count in (21, 1_000):
        response = await client.get(TASKS, params={"tag": [f"t{n}" for n in range(count)]})
        assert_invalid(response, ["query", "tag"])
        export = await client.get(
            f"{TASKS}/export", params={"tag": [f"t{n}" for n in range(count)]}
        )
        assert_invalid(export, ["query", "tag"])


async def test_due_before_and_after_are_strict_and_skip_undated_tasks(
    client: httpx.AsyncClient,
) -> None:
    first = (await create_task(client, due_date="2030-01-01"))["id"]
    second = (await create_task(client, due_date="2030-01-02"))["id"]
    third = (await create_task(client, due_date="2030-01-03"))["id"]
    await create_task(client)

    assert await list_ids(client, due_before="2030-01-02") == [first]
    assert await list_ids(client, due_after="2030-01-02") == [third]
    assert await list_ids(client, due_after="2030-01-01", due_before="2030-01-03") == [second]


async def test_overdue_filter(client: httpx.AsyncClient) -> None:
    late = (await create_task(client, due_date=day(-3)))["id"]
    late_started = (await create_task(client, due_date=day(-1), status="in_progress"))["id"]
    others = [
        (await create_task(client, due_date=day(-3), status="done"))["id"],
        (await create_task(client, due_date=day(-3), status="cancelled"))["id"],
        (await create_task(client, due_date=day(0)))["id"],
        (await create_task(client, due_date=day(5)))["id"],
        (await create_task(client))["id"],
    ]

    assert await list_ids(client, overdue="true") == [late, late_started]
    assert await list_ids(client, overdue="false") == others


async def test_q_matches_title_or_description_ignoring_case(client: httpx.AsyncClient) -> None:
    in_title = (await create_task(client, title="Buy MILK"))["id"]
    in_description = (await create_task(client, title="Chores", description="milk the cow"))["id"]
    await create_task(client, title="Buy bread", description="no dairy")

    assert await list_ids(client, q="mIlK") == [in_title, in_description]
    assert await list_ids(client, q="cow") == [in_description]


async def test_q_ignores_case_beyond_ascii(client: httpx.AsyncClient) -> None:
    match = (await create_task(client, title="CAFÉ CRÈME"))["id"]
    await create_task(client, title="cafe creme")

    assert await list_ids(client, q="café") == [match]
    assert await list_ids(client, q="crème") == [match]


async def test_q_folds_case_as_unicode_does(client: httpx.AsyncClient) -> None:
    # Python's lower() makes a word-final Σ a ς, so lowering "ΟΔΟΣ" missed "ΟΔΟΣΤΡΩΜΑ"
    # (and "οδός"); ß folds to ss, as project names already compared.
    road_works = (await create_task(client, title="ΟΔΟΣΤΡΩΜΑ repair"))["id"]
    sign = (await create_task(client, title="Fix ΟΔΟΣ sign"))["id"]
    lowercase = (await create_task(client, title="η οδός"))["id"]
    street = (await create_task(client, title="Große Straße"))["id"]

    for q in ("ΟΔΟΣ", "οδοσ", "οδος"):
        assert await list_ids(client, q=q) == [road_works, sign], q
    assert await list_ids(client, q="οδός") == [lowercase]
    for q in ("STRASSE", "straße", "GROSSE STRASSE"):
        assert await list_ids(client, q=q) == [street], q


async def test_q_finds_turkish_dotted_capital_i_as_i(client: httpx.AsyncClient) -> None:
    # Unicode folds "İ" to "i" plus a combining dot, so "istanbul" missed "İSTANBUL" on
    # SQLite while PostgreSQL's lower() found it.
    city = (await create_task(client, title="Visit İSTANBUL"))["id"]
    other = (await create_task(client, title="izmir notes"))["id"]

    for q in ("istanbul", "İstanbul", "ISTANBUL"):
        assert await list_ids(client, q=q) == [city], q
    assert await list_ids(client, q="İZMİR") == [other]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("%", ["100% done"]),
        ("0%", ["100% done"]),
        ("_", ["snake_case"]),
        ("e_c", ["snake_case"]),
        ("/", ["either/or"]),
        ("\\", ["back\\slash"]),
    ],
)
async def test_q_treats_wildcards_literally(
    client: httpx.AsyncClient, q: str, expected: list[str]
) -> None:
    titles = ["100% done", "1000 done", "snake_case", "snakeXcase", "either/or", "back\\slash"]
    await create_tasks(client, *[task_payload(title=title) for title in titles])

    response = await client.get(TASKS, params={"q": q})

    assert [t["title"] for t in response.json()["items"]] == expected


async def test_filters_combine_with_and(client: httpx.AsyncClient) -> None:
    await create_project(client, "Work")
    match = (
        await create_task(client, project="Work", priority="high", tags=["x"], title="Deploy")
    )["id"]
    await create_task(client, project="Work", priority="low", tags=["x"], title="Deploy")
    await create_task(client, priority="high", tags=["x"], title="Deploy")
    await create_task(client, project="Work", priority="high", title="Deploy")
    await create_task(client, project="Work", priority="high", tags=["x"], title="Other")

    ids = await list_ids(client, project="work", priority="high", tag="x", q="deploy")

    assert ids == [match]


# --- sorting ---------------------------------------------------------------------------------


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("sort", SORTS)
async def test_sort_orders_every_task(client: httpx.AsyncClient, sort: str, order: str) -> None:
    ids = await seed_for_sorting(client)

    response = await client.get(TASKS, params={"sort": sort, "order": order, "limit": 200})

    items = response.json()["items"]
    assert sorted(t["id"] for t in items) == sorted(ids)
    assert_in_order(items, sort, order)


async def test_priority_sorts_by_rank_not_alphabet(client: httpx.AsyncClient) -> None:
    await create_tasks(client, *[task_payload(priority=p) for p in ["medium", "urgent", "low"]])
    await create_tasks(client, *[task_payload(priority=p) for p in ["high", "low", "urgent"]])

    asc = (await client.get(TASKS, params={"sort": "priority"})).json()["items"]
    desc = (await client.get(TASKS, params={"sort": "priority", "order": "desc"})).json()["items"]

    expected = ["low", "low", "medium", "high", "urgent", "urgent"]
    assert [t["priority"] for t in asc] == expected
    assert [t["priority"] for t in desc] == expected[::-1]


@pytest.mark.parametrize("order", ORDERS)
async def test_tasks_without_due_date_come_last(client: httpx.AsyncClient, order: str) -> None:
    undated = (await create_task(client))["id"]
    late = (await create_task(client, due_date="2030-06-01"))["id"]
    undated_too = (await create_task(client))["id"]
    early = (await create_task(client, due_date="2030-01-01"))["id"]

    ids = await list_ids(client, sort="due_date", order=order)

    dated = [early, late] if order == "asc" else [late, early]
    assert ids[:2] == dated
    assert sorted(ids[2:]) == sorted([undated, undated_too])


# --- pagination ------------------------------------------------------------------------------


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("sort", SORTS)
async def test_walking_all_pages_returns_every_task_once_in_order(
    client: httpx.AsyncClient, sort: str, order: str
) -> None:
    ids = await seed_for_sorting(client)
    one_page = await list_ids(client, sort=sort, order=order)

    for limit in (1, 2, 5):
        walked = await walk(client, limit, sort=sort, order=order)

        assert [t["id"] for t in walked] == one_page, f"limit={limit}"
        assert sorted(one_page) == sorted(ids)
        assert_in_order(walked, sort, order)


@pytest.mark.parametrize("sort", ["due_date", "title", "priority"])
async def test_walking_a_filtered_list_returns_only_matches_once(
    client: httpx.AsyncClient, sort: str
) -> None:
    ids = await seed_for_sorting(client)
    for task_id in ids[::3]:
        await client.patch(task_url(task_id), json={"status": "done"})
    expected = await list_ids(client, status=["todo"], q="a", sort=sort, order="desc")

    walked = await walk(client, 2, status=["todo"], q="a", sort=sort, order="desc")

    assert [t["id"] for t in walked] == expected
    assert all(t["status"] == "todo" and "a" in t["title"] for t in walked)
    assert len(expected) == len(set(expected)) > 4


@pytest.mark.parametrize("char", ["я", "語", "😀"])
async def test_walking_long_titles_in_any_script_by_title(
    client: httpx.AsyncClient, char: str
) -> None:
    ids = await create_tasks(client, *[task_payload(title=char * (200 - n)) for n in range(3)])

    walked = await walk(client, 1, sort="title", order="desc")

    assert [t["id"] for t in walked] == ids


async def test_limit_bounds(client: httpx.AsyncClient) -> None:
    await create_tasks(client, *[task_payload() for _ in range(3)])

    one = await client.get(TASKS, params={"limit": 1})
    most = await client.get(TASKS, params={"limit": 200})

    assert len(one.json()["items"]) == 1
    assert one.json()["next_cursor"] is not None
    assert len(most.json()["items"]) == 3
    assert most.json()["next_cursor"] is None


@pytest.mark.parametrize("limit", [0, 201, -1])
async def test_limit_out_of_range_is_422(client: httpx.AsyncClient, limit: int) -> None:
    response = await client.get(TASKS, params={"limit": limit})

    assert_invalid(response, ["query", "limit"])


@pytest.mark.parametrize(
    ("param", "value", "loc"),
    [
        ("status", "finished", ["query", "status", 0]),
        ("priority", "critical", ["query", "priority", 0]),
        ("sort", "colour", ["query", "sort"]),
        ("order", "sideways", ["query", "order"]),
        ("overdue", "maybe", ["query", "overdue"]),
        ("due_before", "soon", ["query", "due_before"]),
    ],
)
async def test_bad_query_value_is_422(
    client: httpx.AsyncClient, param: str, value: str, loc: list[str | int]
) -> None:
    response = await client.get(TASKS, params={param: value})

    assert_invalid(response, loc)


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        base64.urlsafe_b64encode(b'{"hello": "world"}').decode(),
        base64.urlsafe_b64encode(b"[1, 2, 3]").decode(),
        base64.urlsafe_b64encode(b"not json at all").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe\x00junk").decode(),
        "%%%",
        "a" * 5000,
    ],
)
async def test_forged_cursor_is_400(client: httpx.AsyncClient, cursor: str) -> None:
    await create_tasks(client, task_payload(), task_payload())

    response = await client.get(TASKS, params={"cursor": cursor})

    assert_problem(response, 400, "/problems/invalid-cursor")


@pytest.mark.parametrize(
    "changed",
    [
        {"status": "done"},
        {"q": "other"},
        {"tag": "x"},
        {"sort": "title"},
        {"order": "desc"},
    ],
)
async def test_cursor_reused_with_another_query_is_400(
    client: httpx.AsyncClient, changed: dict[str, str]
) -> None:
    await create_tasks(client, *[task_payload() for _ in range(3)])
    cursor = await first_cursor(client)

    response = await client.get(TASKS, params={"cursor": cursor, **changed})

    assert_problem(response, 400, "/problems/invalid-cursor")


@pytest.mark.parametrize("number", [2**63, 2**70])
@pytest.mark.parametrize("sort", ["id", "title", "due_date"])
async def test_cursor_edited_to_hold_out_of_range_numbers_is_400(
    client: httpx.AsyncClient, sort: str, number: int
) -> None:
    await create_tasks(client, *[task_payload(due_date="2030-01-01") for _ in range(3)])
    cursor = forge(await first_cursor(client, sort=sort), number)

    response = await client.get(TASKS, params={"cursor": cursor, "sort": sort, "limit": 1})

    assert_problem(response, 400)
