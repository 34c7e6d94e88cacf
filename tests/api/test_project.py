"""Project endpoints: create, list, read, rename, delete."""

import re
from typing import Any

import httpx
import pytest

from tests.api.helpers import (
    ISO_UTC,
    PROJECTS,
    TASKS,
    assert_invalid,
    assert_problem,
    create_project,
    create_task,
    get_task,
    list_ids,
    moment,
    project_url,
    task_url,
)


async def rename(client: httpx.AsyncClient, project_id: int, name: str) -> httpx.Response:
    return await client.patch(project_url(project_id), json={"name": name})


async def project_names(client: httpx.AsyncClient) -> list[str]:
    response = await client.get(PROJECTS)
    assert response.status_code == 200
    return [p["name"] for p in response.json()["items"]]


async def test_create_returns_201_with_location(client: httpx.AsyncClient) -> None:
    response = await client.post(PROJECTS, json={"name": "Work", "description": "Day job"})

    assert response.status_code == 201
    project = response.json()
    assert response.headers["location"] == f"/api/v1/projects/{project['id']}"
    assert {k: v for k, v in project.items() if k not in {"created_at", "updated_at"}} == {
        "id": project["id"],
        "name": "Work",
        "description": "Day job",
    }
    assert re.fullmatch(ISO_UTC, project["created_at"])
    assert project["updated_at"] == project["created_at"]
    fetched = await client.get(response.headers["location"])
    assert fetched.status_code == 200
    assert fetched.json() == project


async def test_name_is_trimmed_and_description_optional(client: httpx.AsyncClient) -> None:
    project = await create_project(client, "  Home  ")

    assert project["name"] == "Home"
    assert project["description"] is None


async def test_name_and_description_limits(client: httpx.AsyncClient) -> None:
    ok = await client.post(PROJECTS, json={"name": "n" * 100, "description": "d" * 2000})
    long_name = await client.post(PROJECTS, json={"name": "m" * 101})
    padded_name = await client.post(PROJECTS, json={"name": "p" * 100 + " "})  # as sent
    long_description = await client.post(PROJECTS, json={"name": "x", "description": "d" * 2001})

    assert ok.status_code == 201
    assert_invalid(long_name, ["body", "name"])
    assert_invalid(padded_name, ["body", "name"])
    assert_invalid(long_description, ["body", "description"])


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"name": "   "}, ["body", "name"]),
        ({"description": "no name"}, ["body", "name"]),
        ({"name": "ok", "owner": "me"}, ["body", "owner"]),
    ],
)
async def test_invalid_project_is_422(
    client: httpx.AsyncClient, body: dict[str, Any], loc: list[str]
) -> None:
    response = await client.post(PROJECTS, json=body)

    assert_invalid(response, loc)


@pytest.mark.parametrize("duplicate", ["Work", "work", "WORK", "  wOrK "])
async def test_duplicate_name_ignoring_case_is_409(
    client: httpx.AsyncClient, duplicate: str
) -> None:
    await create_project(client, "Work")

    response = await client.post(PROJECTS, json={"name": duplicate})

    assert_problem(response, 409, "/problems/duplicate-project")
    assert await project_names(client) == ["Work"]


async def test_list_is_sorted_by_name_ignoring_case(client: httpx.AsyncClient) -> None:
    assert (await client.get(PROJECTS)).json() == {"items": []}
    created = {}
    for name in ["beta", "Delta", "Alpha", "gamma"]:
        created[name] = await create_project(client, name)

    response = await client.get(PROJECTS)

    assert response.status_code == 200
    assert response.json() == {
        "items": [created[name] for name in ["Alpha", "beta", "Delta", "gamma"]]
    }


@pytest.mark.parametrize(
    ("method", "body"), [("GET", None), ("PATCH", {"name": "x"}), ("DELETE", None)]
)
async def test_unknown_project_id_is_404(
    client: httpx.AsyncClient, method: str, body: dict[str, Any] | None
) -> None:
    project = await create_project(client, "Work")

    response = await client.request(method, project_url(project["id"] + 1000), json=body)

    assert_problem(response, 404, "/problems/not-found")


async def test_rename(client: httpx.AsyncClient) -> None:
    project = await create_project(client, "Work", description="keep")

    response = await rename(client, project["id"], "  Office ")

    assert response.status_code == 200
    renamed = response.json()
    assert renamed["name"] == "Office"
    assert renamed["description"] == "keep"
    assert renamed["created_at"] == project["created_at"]
    assert moment(renamed["updated_at"]) > moment(project["updated_at"])
    assert (await client.get(project_url(project["id"]))).json() == renamed


async def test_rename_to_a_case_variant_of_its_own_name(client: httpx.AsyncClient) -> None:
    project = await create_project(client, "work")

    response = await rename(client, project["id"], "WORK")

    assert response.status_code == 200
    assert response.json()["name"] == "WORK"
    assert await project_names(client) == ["WORK"]


async def test_rename_onto_another_projects_name_is_409(client: httpx.AsyncClient) -> None:
    await create_project(client, "Home")
    work = await create_project(client, "Work")

    response = await rename(client, work["id"], "hOmE")

    assert_problem(response, 409, "/problems/duplicate-project")
    assert await project_names(client) == ["Home", "Work"]


async def test_patch_description_only(client: httpx.AsyncClient) -> None:
    project = await create_project(client, "Work")

    response = await client.patch(project_url(project["id"]), json={"description": "new"})

    assert response.status_code == 200
    assert response.json()["name"] == "Work"
    assert response.json()["description"] == "new"


async def test_patch_rejects_invalid_names_and_unknown_fields(client: httpx.AsyncClient) -> None:
    project = await create_project(client, "Work")

    too_long = await rename(client, project["id"], "n" * 101)
    unknown = await client.patch(project_url(project["id"]), json={"owner": "me"})

    assert_invalid(too_long, ["body", "name"])
    assert_invalid(unknown, ["body", "owner"])


async def test_null_name_in_patch_is_422(client: httpx.AsyncClient) -> None:
    project = await create_project(client, "Work")

    response = await client.patch(project_url(project["id"]), json={"name": None})

    assert_problem(response, 422, "/problems/validation")
    assert await project_names(client) == ["Work"]


async def test_patch_null_description_clears_it(client: httpx.AsyncClient) -> None:
    project = await create_project(client, "Work", description="old")

    response = await client.patch(project_url(project["id"]), json={"description": None})

    assert response.status_code == 200
    assert response.json()["description"] is None


async def test_names_ignore_case_beyond_ascii(client: httpx.AsyncClient) -> None:
    await create_project(client, "Café")

    duplicate = await client.post(PROJECTS, json={"name": "CAFÉ"})
    task = await create_task(client, project="CAFÉ")

    assert_problem(duplicate, 409, "/problems/duplicate-project")
    assert task["project"] == "Café"


async def test_tasks_show_the_new_name_after_a_rename(client: httpx.AsyncClient) -> None:
    project = await create_project(client, "Work")
    task = await create_task(client, project="work")

    await rename(client, project["id"], "Office")

    assert (await get_task(client, task["id"]))["project"] == "Office"
    assert await list_ids(client, project="office") == [task["id"]]
    assert await list_ids(client, project="Work") == []
    stale = await client.post(TASKS, json={"title": "t", "project": "Work"})
    assert_problem(stale, 422, "/problems/unknown-project")


async def test_a_rename_moves_its_tasks_version_etag_and_updated_at(
    client: httpx.AsyncClient,
) -> None:
    """A task shows its project's name: the same ETag must not stand for both names."""
    project = await create_project(client, "Work")
    task = await create_task(client, project="Work")
    other = await create_task(client)

    await rename(client, project["id"], "Office")

    response = await client.get(task_url(task["id"]))
    assert response.json()["version"] == task["version"] + 1
    assert response.headers["etag"] == f'"{task["version"] + 1}"'
    assert response.json()["updated_at"] > task["updated_at"]
    stale = await client.patch(
        task_url(task["id"]), json={"title": "t"}, headers={"If-Match": f'"{task["version"]}"'}
    )
    assert_problem(stale, 412)
    assert await get_task(client, other["id"]) == other  # a task of no project is untouched
    await client.patch(project_url(project["id"]), json={"description": "only this"})
    assert (await get_task(client, task["id"]))["version"] == task["version"] + 1


async def test_delete_is_204_and_the_project_is_gone(client: httpx.AsyncClient) -> None:
    project = await create_project(client, "Work")

    response = await client.delete(project_url(project["id"]))

    assert response.status_code == 204
    assert response.content == b""
    assert_problem(await client.get(project_url(project["id"])), 404)
    assert await project_names(client) == []


async def test_delete_while_tasks_use_it_is_409_and_deletes_nothing(
    client: httpx.AsyncClient,
) -> None:
    project = await create_project(client, "Work")
    task = await create_task(client, project="Work")

    refused = await client.delete(project_url(project["id"]))

    problem = assert_problem(refused, 409, "/problems/project-in-use")
    assert "Work" in problem["detail"]
    assert (await client.get(project_url(project["id"]))).status_code == 200
    assert (await get_task(client, task["id"]))["project"] == "Work"

    assert (await client.delete(task_url(task["id"]))).status_code == 204
    assert (await client.delete(project_url(project["id"]))).status_code == 204


async def test_a_deleted_name_can_be_used_again(client: httpx.AsyncClient) -> None:
    project = await create_project(client, "Work")
    await client.delete(project_url(project["id"]))

    again = await create_project(client, "work")

    assert again["name"] == "work"
