"""Single-task endpoints: create, read, update (status transitions included), delete."""

import re
from typing import Any

import httpx
import pytest

from tests.api.helpers import (
    ISO_UTC,
    TASKS,
    assert_invalid,
    assert_problem,
    create_project,
    create_task,
    get_task,
    moment,
    task_url,
)
from tests.factories import task_payload

ALLOWED = [
    ("todo", "in_progress"),
    ("todo", "done"),
    ("todo", "cancelled"),
    ("in_progress", "todo"),
    ("in_progress", "done"),
    ("in_progress", "cancelled"),
    ("done", "todo"),
    ("cancelled", "todo"),
]
FORBIDDEN = [
    ("done", "in_progress"),
    ("done", "cancelled"),
    ("cancelled", "in_progress"),
    ("cancelled", "done"),
]
STATUSES = ["todo", "in_progress", "done", "cancelled"]


def without_times(task: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in task.items() if k not in {"created_at", "updated_at", "completed_at"}}


async def patch(
    client: httpx.AsyncClient, task_id: int, if_match: str | None = None, **fields: Any
) -> httpx.Response:
    headers = {"If-Match": if_match} if if_match is not None else {}
    return await client.patch(task_url(task_id), json=fields, headers=headers)


# --- create and read -------------------------------------------------------------------------


async def test_create_returns_201_location_etag_and_the_defaults(client: httpx.AsyncClient) -> None:
    response = await client.post(TASKS, json={"title": "Write the report"})

    assert response.status_code == 201
    task = response.json()
    assert response.headers["location"] == f"/api/v1/tasks/{task['id']}"
    assert response.headers["etag"] == '"1"'
    assert without_times(task) == {
        "id": task["id"],
        "title": "Write the report",
        "description": None,
        "status": "todo",
        "priority": "medium",
        "due_date": None,
        "project": None,
        "tags": [],
        "version": 1,
    }
    assert re.fullmatch(ISO_UTC, task["created_at"])
    assert task["updated_at"] == task["created_at"]
    assert task["completed_at"] is None


async def test_location_of_a_created_task_serves_the_same_task(client: httpx.AsyncClient) -> None:
    created = await client.post(TASKS, json=task_payload(tags=["x"]))

    fetched = await client.get(created.headers["location"])

    assert fetched.status_code == 200
    assert fetched.json() == created.json()


async def test_create_with_every_field(client: httpx.AsyncClient) -> None:
    await create_project(client, "Home")

    task = await create_task(
        client,
        title="Fix the sink",
        description="Kitchen, not bathroom.",
        status="in_progress",
        priority="urgent",
        due_date="2030-05-01",
        project="hOME",
        tags=["plumbing", "diy"],
    )

    assert without_times(task) == {
        "id": task["id"],
        "title": "Fix the sink",
        "description": "Kitchen, not bathroom.",
        "status": "in_progress",
        "priority": "urgent",
        "due_date": "2030-05-01",
        "project": "Home",
        "tags": ["diy", "plumbing"],
        "version": 1,
    }
    assert task["completed_at"] is None


async def test_create_as_done_sets_completed_at(client: httpx.AsyncClient) -> None:
    task = await create_task(client, status="done")

    assert re.fullmatch(ISO_UTC, task["completed_at"])


async def test_get_returns_the_task_with_its_version_as_etag(client: httpx.AsyncClient) -> None:
    task = await create_task(client)
    await client.patch(task_url(task["id"]), json={"title": "Renamed"})

    response = await client.get(task_url(task["id"]))

    assert response.status_code == 200
    assert response.headers["etag"] == '"2"'
    assert response.json()["version"] == 2
    assert response.json()["title"] == "Renamed"


@pytest.mark.parametrize(
    ("method", "body"), [("GET", None), ("PATCH", {"title": "x"}), ("DELETE", None)]
)
async def test_unknown_task_id_is_404(
    client: httpx.AsyncClient, method: str, body: dict[str, Any] | None
) -> None:
    task = await create_task(client)
    missing = task["id"] + 1000

    response = await client.request(method, task_url(missing), json=body)

    problem = assert_problem(response, 404, "/problems/not-found")
    assert str(missing) in problem["detail"]


async def test_non_integer_task_id_is_a_problem_not_a_crash(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{TASKS}/abc")

    problem = assert_problem(response, 422, "/problems/validation")
    assert problem["errors"][0]["loc"] == ["path", "task_id"]


# --- update ----------------------------------------------------------------------------------


async def test_patch_changes_only_the_fields_sent_and_bumps_the_version(
    client: httpx.AsyncClient,
) -> None:
    await create_project(client, "Work")
    task = await create_task(client, description="keep me", tags=["a"])

    response = await patch(
        client,
        task["id"],
        title="New title",
        priority="high",
        due_date="2031-01-02",
        project="work",
    )

    assert response.status_code == 200
    updated = response.json()
    assert response.headers["etag"] == '"2"'
    assert without_times(updated) == {
        **without_times(task),
        "title": "New title",
        "priority": "high",
        "due_date": "2031-01-02",
        "project": "Work",
        "version": 2,
    }
    assert updated["created_at"] == task["created_at"]
    assert moment(updated["updated_at"]) > moment(task["updated_at"])
    assert await get_task(client, task["id"]) == updated


async def test_patch_null_clears_nullable_fields(client: httpx.AsyncClient) -> None:
    await create_project(client, "Work")
    task = await create_task(client, description="d", due_date="2030-01-01", project="Work")

    response = await patch(client, task["id"], description=None, due_date=None, project=None)

    assert response.status_code == 200
    assert response.json()["description"] is None
    assert response.json()["due_date"] is None
    assert response.json()["project"] is None
    assert response.json()["version"] == 2


async def test_patch_replaces_tags_normalised(client: httpx.AsyncClient) -> None:
    task = await create_task(client, tags=["old"])

    response = await patch(client, task["id"], tags=["Zeta", "alpha", "ZETA"])

    assert response.status_code == 200
    assert response.json()["tags"] == ["alpha", "zeta"]


async def test_patch_that_changes_nothing_keeps_the_version(client: httpx.AsyncClient) -> None:
    task = await create_task(client, title="Same", priority="low", tags=["b", "a"])

    response = await patch(client, task["id"], title="  Same ", priority="low", tags=["A", "b"])

    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'
    assert response.json() == task


async def test_empty_patch_is_a_no_op(client: httpx.AsyncClient) -> None:
    task = await create_task(client)

    response = await patch(client, task["id"])

    assert response.status_code == 200
    assert response.json() == task


async def test_patch_with_matching_if_match_succeeds(client: httpx.AsyncClient) -> None:
    task = await create_task(client)
    etag = (await client.get(task_url(task["id"]))).headers["etag"]

    response = await patch(client, task["id"], if_match=etag, title="Mine")

    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert response.headers["etag"] == '"2"'


async def test_patch_with_stale_if_match_is_412_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    task = await create_task(client, title="Original")
    stale = (await client.get(task_url(task["id"]))).headers["etag"]
    assert (await patch(client, task["id"], title="Someone else")).status_code == 200

    response = await patch(client, task["id"], if_match=stale, title="Mine")

    assert_problem(response, 412, "/problems/precondition-failed")
    current = await get_task(client, task["id"])
    assert current["title"] == "Someone else"
    assert current["version"] == 2


async def test_if_match_star_matches_any_version(client: httpx.AsyncClient) -> None:
    task = await create_task(client)

    response = await patch(client, task["id"], if_match="*", title="Any")

    assert response.status_code == 200


async def task_at_version_2(client: httpx.AsyncClient) -> dict[str, Any]:
    """A task changed once since it was created: titled "Second", ETag "2"."""
    task = await create_task(client)
    response = await patch(client, task["id"], title="Second")
    assert response.status_code == 200
    updated: dict[str, Any] = response.json()
    return updated


@pytest.mark.parametrize(
    "if_match", ['"2"', '"0", "2"', '"2", "0"', '"1",\t"2"', 'W/"1", "2"', ', "1", , "2",']
)
async def test_if_match_holds_when_any_listed_tag_is_current(
    client: httpx.AsyncClient, if_match: str
) -> None:
    task = await task_at_version_2(client)

    response = await patch(client, task["id"], if_match=if_match, title="Mine")

    assert response.status_code == 200
    assert response.json()["version"] == 3


async def test_if_match_on_several_header_lines_is_one_list(client: httpx.AsyncClient) -> None:
    task = await task_at_version_2(client)
    url = task_url(task["id"])

    stale = await client.patch(url, json={"title": "x"}, headers=[("If-Match", '"1"')])
    listed = await client.patch(
        url, json={"title": "Mine"}, headers=[("If-Match", '"1"'), ("If-Match", '"2"')]
    )

    assert_problem(stale, 412, "/problems/precondition-failed")
    assert listed.status_code == 200


@pytest.mark.parametrize(
    "if_match", ['W/"2"', '"02"', '"2.0"', '"1", "3"', '"a,2"', f'"{"1" * 5000}"']
)
async def test_if_match_compares_tags_strongly_and_exactly(
    client: httpx.AsyncClient, if_match: str
) -> None:
    task = await task_at_version_2(client)

    patched = await patch(client, task["id"], if_match=if_match, title="Mine")
    deleted = await client.delete(task_url(task["id"]), headers={"If-Match": if_match})

    assert_problem(patched, 412, "/problems/precondition-failed")
    assert_problem(deleted, 412, "/problems/precondition-failed")
    assert (await get_task(client, task["id"]))["title"] == "Second"


# --- status transitions ----------------------------------------------------------------------


@pytest.mark.parametrize(("current", "requested"), ALLOWED)
async def test_allowed_transition_is_200(
    client: httpx.AsyncClient, current: str, requested: str
) -> None:
    task = await create_task(client, status=current)

    response = await patch(client, task["id"], status=requested)

    assert response.status_code == 200
    assert response.json()["status"] == requested
    assert response.json()["version"] == 2
    if requested == "done":
        assert re.fullmatch(ISO_UTC, response.json()["completed_at"])
    else:
        assert response.json()["completed_at"] is None


@pytest.mark.parametrize(("current", "requested"), FORBIDDEN)
async def test_forbidden_transition_is_409_and_changes_nothing(
    client: httpx.AsyncClient, current: str, requested: str
) -> None:
    task = await create_task(client, status=current)

    response = await patch(client, task["id"], status=requested, title="not applied")

    problem = assert_problem(response, 409, "/problems/invalid-transition")
    assert current in problem["detail"]
    assert requested in problem["detail"]
    assert await get_task(client, task["id"]) == task


@pytest.mark.parametrize("status", STATUSES)
async def test_patch_to_the_same_status_is_a_no_op(client: httpx.AsyncClient, status: str) -> None:
    task = await create_task(client, status=status)

    response = await patch(client, task["id"], status=status)

    assert response.status_code == 200
    assert response.json() == task


async def test_completed_at_is_set_entering_done_and_cleared_leaving_it(
    client: httpx.AsyncClient,
) -> None:
    task = await create_task(client)

    started = (await patch(client, task["id"], status="in_progress")).json()
    done = (await patch(client, task["id"], status="done")).json()
    reopened = (await patch(client, task["id"], status="todo")).json()
    done_again = (await patch(client, task["id"], status="done")).json()

    assert started["completed_at"] is None
    assert (
        moment(started["updated_at"]) < moment(done["completed_at"]) <= moment(done["updated_at"])
    )
    assert reopened["completed_at"] is None
    assert moment(done_again["completed_at"]) > moment(reopened["updated_at"])
    assert done_again["version"] == 5


# --- delete ----------------------------------------------------------------------------------


async def test_delete_is_204_and_the_task_is_gone(client: httpx.AsyncClient) -> None:
    task = await create_task(client)

    response = await client.delete(task_url(task["id"]))

    assert response.status_code == 204
    assert response.content == b""
    assert_problem(await client.get(task_url(task["id"])), 404)
    assert_problem(await client.delete(task_url(task["id"])), 404)


async def test_delete_with_matching_if_match_is_204(client: httpx.AsyncClient) -> None:
    task = await create_task(client)

    response = await client.delete(task_url(task["id"]), headers={"If-Match": '"1"'})

    assert response.status_code == 204


async def test_delete_with_stale_if_match_is_412_and_keeps_the_task(
    client: httpx.AsyncClient,
) -> None:
    task = await create_task(client)
    await patch(client, task["id"], title="changed")

    response = await client.delete(task_url(task["id"]), headers={"If-Match": '"1"'})

    assert_problem(response, 412, "/problems/precondition-failed")
    assert (await get_task(client, task["id"]))["version"] == 2


# --- validation ------------------------------------------------------------------------------


async def test_title_is_trimmed(client: httpx.AsyncClient) -> None:
    task = await create_task(client, title="  Buy milk \t")

    assert task["title"] == "Buy milk"


@pytest.mark.parametrize("title", ["x" * 200, f" {'x' * 198} "])
async def test_title_of_200_characters_is_accepted(client: httpx.AsyncClient, title: str) -> None:
    task = await create_task(client, title=title)

    assert task["title"] == title.strip()


# The OpenAPI's maxLength is on what is sent: padding does not make a long title fit.
@pytest.mark.parametrize("title", ["x" * 201, f" {'x' * 200}", "", "   "])
async def test_title_too_long_or_blank_is_422(client: httpx.AsyncClient, title: str) -> None:
    response = await client.post(TASKS, json={"title": title})

    assert_invalid(response, ["body", "title"])


async def test_missing_title_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(TASKS, json={"description": "no title"})

    assert_invalid(response, ["body", "title"])


async def test_description_limit_is_5000_characters(client: httpx.AsyncClient) -> None:
    ok = await client.post(TASKS, json=task_payload(description="d" * 5000))
    too_long = await client.post(TASKS, json=task_payload(description="d" * 5001))

    assert ok.status_code == 201
    assert_invalid(too_long, ["body", "description"])


async def test_tags_are_lowercased_deduplicated_and_sorted(client: httpx.AsyncClient) -> None:
    task = await create_task(client, tags=["Urgent", "b-2", "a_1", "urgent", "URGENT", "9lives"])

    assert task["tags"] == ["9lives", "a_1", "b-2", "urgent"]


async def test_twenty_tags_are_accepted(client: httpx.AsyncClient) -> None:
    tags = [f"t{i}" for i in range(20)]

    task = await create_task(client, tags=tags)

    assert task["tags"] == sorted(tags)


async def test_twenty_one_distinct_tags_are_422(client: httpx.AsyncClient) -> None:
    response = await client.post(TASKS, json=task_payload(tags=[f"t{i}" for i in range(21)]))

    assert_invalid(response, ["body", "tags"])
    [error] = response.json()["errors"]
    assert error["msg"] == "at most 20 tags, got 21"  # the rule's words, no "Value error, "


async def test_a_tag_of_32_characters_is_accepted(client: httpx.AsyncClient) -> None:
    task = await create_task(client, tags=["a" * 32])

    assert task["tags"] == ["a" * 32]


@pytest.mark.parametrize("tag", ["bad tag", "-x", "_x", "a" * 33, "", "a,b", "é"])
async def test_invalid_tag_is_422(client: httpx.AsyncClient, tag: str) -> None:
    response = await client.post(TASKS, json=task_payload(tags=["fine", tag]))

    assert_invalid(response, ["body", "tags"])


async def test_unknown_project_on_create_is_422_on_the_project_field(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(TASKS, json=task_payload(project="Nowhere"))

    problem = assert_invalid(response, ["body", "project"])
    assert problem["type"] == "/problems/unknown-project"
    assert "Nowhere" in problem["detail"]
    assert (await client.get(TASKS)).json()["items"] == []


async def test_unknown_project_on_patch_is_422(client: httpx.AsyncClient) -> None:
    task = await create_task(client)

    response = await patch(client, task["id"], project="Nowhere")

    problem = assert_invalid(response, ["body", "project"])
    assert problem["type"] == "/problems/unknown-project"
    assert await get_task(client, task["id"]) == task


@pytest.mark.parametrize("field", ["title", "status", "priority", "tags"])
async def test_null_for_a_required_field_in_patch_is_422(
    client: httpx.AsyncClient, field: str
) -> None:
    task = await create_task(client)

    response = await patch(client, task["id"], **{field: None})

    problem = assert_problem(response, 422, "/problems/validation")
    assert [error["loc"] for error in problem["errors"]] == [["body", field]]
    assert await get_task(client, task["id"]) == task


async def test_null_title_in_patch_points_at_the_title_field(client: httpx.AsyncClient) -> None:
    task = await create_task(client)

    response = await patch(client, task["id"], title=None)

    assert_invalid(response, ["body", "title"])


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_unknown_field_is_422(client: httpx.AsyncClient, method: str) -> None:
    task = await create_task(client)
    url = TASKS if method == "POST" else task_url(task["id"])

    response = await client.request(method, url, json={"title": "t", "colour": "red"})

    assert_invalid(response, ["body", "colour"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "finished"),
        ("priority", "critical"),
        ("due_date", "2030-02-30"),
        ("due_date", "tomorrow"),
        ("tags", "not-a-list"),
        ("description", 42),
    ],
)
async def test_wrong_value_type_is_422(client: httpx.AsyncClient, field: str, value: Any) -> None:
    response = await client.post(TASKS, json=task_payload(**{field: value}))

    assert_invalid(response, ["body", field])
