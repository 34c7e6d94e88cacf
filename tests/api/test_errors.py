"""Errors across the API: problem details, request ids, unknown routes, 500s, body limits."""

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.core.database import Database
from app.dal.task import TaskRepository
from app.main import create_app
from app.services import task_export
from app.services.task import TaskService
from tests.api.helpers import (
    PROJECTS,
    TASKS,
    assert_invalid,
    assert_problem,
    create_project,
    create_task,
    list_ids,
    project_url,
    task_url,
)

SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
SMALL_LIMIT = 2048
SECRET = "secret /etc/passwd SELECT"

Scenario = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


async def _bad_cursor(client: httpx.AsyncClient) -> httpx.Response:
    return await client.get(TASKS, params={"cursor": "garbage"})


async def _unknown_task(client: httpx.AsyncClient) -> httpx.Response:
    return await client.get(task_url(999_999))


async def _unknown_project(client: httpx.AsyncClient) -> httpx.Response:
    return await client.delete(project_url(999_999))


async def _unknown_route(client: httpx.AsyncClient) -> httpx.Response:
    return await client.get("/api/v1/nothing-here")


async def _wrong_method(client: httpx.AsyncClient) -> httpx.Response:
    return await client.delete(TASKS)


async def _bad_transition(client: httpx.AsyncClient) -> httpx.Response:
    task = await create_task(client, status="done")
    return await client.patch(task_url(task["id"]), json={"status": "in_progress"})


async def _duplicate_project(client: httpx.AsyncClient) -> httpx.Response:
    await create_project(client, "Twice")
    return await client.post(PROJECTS, json={"name": "twice"})


async def _stale_if_match(client: httpx.AsyncClient) -> httpx.Response:
    task = await create_task(client)
    return await client.patch(
        task_url(task["id"]), json={"title": "x"}, headers={"If-Match": '"7"'}
    )


async def _invalid_body(client: httpx.AsyncClient) -> httpx.Response:
    return await client.post(TASKS, json={"title": ""})


async def _invalid_query(client: httpx.AsyncClient) -> httpx.Response:
    return await client.get(TASKS, params={"limit": 0})


async def _malformed_json(client: httpx.AsyncClient) -> httpx.Response:
    return await client.post(
        TASKS, content=b'{"title": ', headers={"content-type": "application/json"}
    )


ERRORS: dict[str, tuple[int, Scenario]] = {
    "bad cursor": (400, _bad_cursor),
    "unknown task": (404, _unknown_task),
    "unknown project": (404, _unknown_project),
    "unknown route": (404, _unknown_route),
    "wrong method": (405, _wrong_method),
    "bad transition": (409, _bad_transition),
    "duplicate project": (409, _duplicate_project),
    "stale If-Match": (412, _stale_if_match),
    "invalid body": (422, _invalid_body),
    "invalid query": (422, _invalid_query),
    "malformed JSON": (422, _malformed_json),
}


@pytest.fixture
async def small_client(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """A client on an app that accepts request bodies of at most SMALL_LIMIT bytes."""
    app = create_app(Settings(database_url=db.safe_url, max_body_bytes=SMALL_LIMIT), database=db)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@pytest.fixture
def explode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make reading a task fail with an unexpected error that names internals."""

    async def fail(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError(SECRET)

    monkeypatch.setattr(TaskService, "get", fail)


def padded_body(size: int) -> bytes:
    """A valid task body of exactly `size` bytes."""
    head, tail = b'{"title": "t", "description": "', b'"}'
    return head + b"d" * (size - len(head) - len(tail)) + tail


async def chunks(body: bytes, size: int = 500) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


# --- problem details -------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "scenario"), ERRORS.values(), ids=ERRORS.keys())
async def test_every_error_is_a_problem_with_the_request_id(
    client: httpx.AsyncClient, status: int, scenario: Scenario
) -> None:
    response = await scenario(client)

    assert_problem(response, status)


@pytest.mark.parametrize(("status", "scenario"), ERRORS.values(), ids=ERRORS.keys())
async def test_error_bodies_carry_the_callers_request_id(
    client: httpx.AsyncClient, status: int, scenario: Scenario
) -> None:
    client.headers["X-Request-ID"] = "caller-id-42"

    response = await scenario(client)

    assert response.headers["x-request-id"] == "caller-id-42"
    assert assert_problem(response, status)["request_id"] == "caller-id-42"


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing-here", "/nope", "/api/v1/tasks/1/comments", "/api/v2/tasks"]
)
async def test_unknown_route_is_404(client: httpx.AsyncClient, path: str) -> None:
    assert_problem(await client.get(path), 404)


@pytest.mark.parametrize("resource", [TASKS, PROJECTS])
@pytest.mark.parametrize("bad_id", ["abc", "1.5", "-1", "0", "1e3", "%20"])
@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_an_id_that_is_not_a_positive_integer_is_invalid_input(
    client: httpx.AsyncClient, resource: str, bad_id: str, method: str
) -> None:
    response = await client.request(method, f"{resource}/{bad_id}", json={})

    problem = assert_problem(response, 422, "/problems/validation")
    assert [error["loc"][0] for error in problem["errors"]] == ["path"]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", TASKS, {"GET", "POST"}),
        ("PUT", f"{TASKS}/1", {"GET", "PATCH", "DELETE"}),
        ("PUT", PROJECTS, {"GET", "POST"}),
        ("POST", f"{PROJECTS}/1", {"GET", "PATCH", "DELETE"}),
        ("POST", "/health", {"GET"}),
        ("DELETE", "/api/v1/stats", {"GET"}),
        ("GET", f"{TASKS}/bulk", {"POST"}),
        ("PATCH", f"{TASKS}/export", {"GET"}),
        ("DELETE", f"{TASKS}/export", {"GET"}),
    ],
)
async def test_wrong_method_is_405_listing_the_allowed_methods(
    client: httpx.AsyncClient, method: str, path: str, allowed: set[str]
) -> None:
    response = await client.request(method, path)

    assert_problem(response, 405)
    listed = {m.strip() for m in response.headers["allow"].split(",")} - {"HEAD"}
    assert listed == allowed


async def test_validation_errors_list_each_field_with_location_and_message(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        TASKS, json={"title": "", "priority": "critical", "due_date": "someday"}
    )

    body = assert_invalid(response, ["body", "title"], ["body", "priority"], ["body", "due_date"])
    assert body["type"] == "/problems/validation"


@pytest.mark.parametrize(
    "content",
    [b'{"title": ', b"not json", b"\xff\xfe\x00", b"[1, 2]", b""],
    ids=["truncated", "text", "not utf-8", "array", "empty"],
)
async def test_unreadable_body_is_422(client: httpx.AsyncClient, content: bytes) -> None:
    response = await client.post(
        TASKS, content=content, headers={"content-type": "application/json"}
    )

    body = assert_problem(response, 422)
    assert body["errors"]
    assert all(error["loc"][0] == "body" for error in body["errors"])


# --- query parameters no endpoint takes ----------------------------------------------------


async def test_a_write_refuses_query_parameters_it_does_not_take(
    client: httpx.AsyncClient,
) -> None:
    """`POST /tasks?project=Work` must not quietly create a task without a project."""
    project = await create_project(client, "Work")
    task = await create_task(client, title="kept")
    writes = [
        ("POST", TASKS, {"title": "new"}),
        ("POST", f"{TASKS}/bulk", {"tasks": [{"title": "new"}]}),
        ("PATCH", task_url(task["id"]), {"title": "changed"}),
        ("DELETE", task_url(task["id"]), None),
        ("POST", PROJECTS, {"name": "Home"}),
        ("PATCH", project_url(project["id"]), {"name": "Office"}),
        ("DELETE", project_url(project["id"]), None),
    ]
    for method, url, body in writes:
        response = await client.request(method, url, params={"project": "Work"}, json=body)
        assert_invalid(response, ["query", "project"])

    assert (await client.get(task_url(task["id"]))).json() == task  # nothing was written
    assert [t["id"] for t in (await client.get(TASKS)).json()["items"]] == [task["id"]]
    assert (await client.get(PROJECTS)).json()["items"] == [project]
    # A read of one resource stays lenient: a cache-busting parameter is harmless there.
    assert (await client.get(task_url(task["id"]), params={"_": "1700000000"})).status_code == 200


# --- request ids -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_id", ["abc", "req-1.2:3_x", "A" * 128, "0f8fad5b-d9cb-469f-a165-70867728950e"]
)
async def test_sane_request_id_is_echoed(client: httpx.AsyncClient, request_id: str) -> None:
    response = await client.get("/health", headers={"X-Request-ID": request_id})

    assert response.headers["x-request-id"] == request_id


@pytest.mark.parametrize(
    "request_id",
    [b"A" * 129, b"has space", b"tab\there", b"new\nline", "caf\u00e9".encode(), b""],
    ids=["too long", "space", "tab", "newline", "non-ascii", "empty"],
)
async def test_insane_request_id_is_replaced(client: httpx.AsyncClient, request_id: bytes) -> None:
    response = await client.get(TASKS, headers={"X-Request-ID": request_id})

    assert response.status_code == 200
    replaced = response.headers["x-request-id"]
    assert SANE_ID.fullmatch(replaced)
    assert replaced.encode() != request_id


async def test_each_request_gets_its_own_id(client: httpx.AsyncClient) -> None:
    ids = {(await client.get("/health")).headers["x-request-id"] for _ in range(3)}

    assert len(ids) == 3
    assert all(SANE_ID.fullmatch(i) for i in ids)


async def test_success_responses_carry_a_request_id(client: httpx.AsyncClient) -> None:
    created = await client.post(TASKS, json={"title": "t"})
    listed = await client.get(TASKS)
    deleted = await client.delete(task_url(created.json()["id"]))

    for response, status in [(created, 201), (listed, 200), (deleted, 204)]:
        assert response.status_code == status
        assert SANE_ID.fullmatch(response.headers["x-request-id"])


# --- unexpected errors -----------------------------------------------------------------------


@pytest.mark.usefixtures("explode")
async def test_unexpected_error_is_500_revealing_nothing(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = await client.get(task_url(1), headers={"X-Request-ID": "trace-500"})

    body = assert_problem(response, 500)
    assert body["request_id"] == "trace-500"
    for leak in ["secret", "/etc/passwd", "SELECT", "RuntimeError", "Traceback", ".py"]:
        assert leak not in response.text
    failures = [r for r in caplog.records if r.exc_info and r.exc_info[0] is RuntimeError]
    assert len(failures) == 1
    assert failures[0].levelno == logging.ERROR
    assert getattr(failures[0], "request_id", None) == "trace-500"
    assert SECRET in caplog.text
    assert "Traceback" in caplog.text


@pytest.fixture
async def started_app(db: Database) -> AsyncIterator[FastAPI]:
    """The app, started, for tests that call it as a raw ASGI application."""
    app = create_app(Settings(database_url=db.safe_url), database=db)
    async with app.router.lifespan_context(app):
        yield app


async def test_export_failing_mid_stream_is_cut_short_and_logged_once_with_the_request_id(
    started_app: FastAPI, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Once a 200 is on its way, a failure can only end the body early: the client sees a
    truncated stream (the server closes the connection), the log one traceback with the id."""
    real_next_chunk = task_export._next_chunk
    chunks_read = 0

    def fail_after_the_first_chunk(chunks: Any) -> str:
        nonlocal chunks_read
        chunks_read += 1
        if chunks_read > 1:
            raise RuntimeError(SECRET)
        return real_next_chunk(chunks)

    sent: list[dict[str, Any]] = []

    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if requested:  # the client stays connected: it is the server that cuts the stream
            await asyncio.Event().wait()
        requested = True
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(dict(message))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/api/v1/tasks/export",
        "raw_path": b"/api/v1/tasks/export",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"x-request-id", b"trace-cut")],
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1234),
        "root_path": "",
    }
    transport = httpx.ASGITransport(app=started_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        assert (await http.post(TASKS, json={"title": "exported"})).status_code == 201
    monkeypatch.setattr(task_export, "_next_chunk", fail_after_the_first_chunk)
    await started_app(scope, receive, send)  # returns: nothing is raised to the server

    start, *bodies = sent
    assert start["type"] == "http.response.start"
    assert start["status"] == 200
    assert b'"title": "exported"' in b"".join(m.get("body", b"") for m in bodies)
    assert all(m.get("more_body") for m in bodies), "the body must not be marked complete"
    failures = [r for r in caplog.records if r.exc_info and r.exc_info[0] is RuntimeError]
    assert len(failures) == 1
    assert getattr(failures[0], "request_id", None) == "trace-cut"
    assert failures[0].getMessage() == "request.failed"
    [access] = [r for r in caplog.records if r.name == "app.access"][-1:]
    assert (access.status, access.cut_short) == (200, True)  # type: ignore[attr-defined]


async def test_unexpected_error_during_a_write_leaves_nothing_behind(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def fail(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError(SECRET)

    # create reads the task back after inserting it: fail there, after the INSERT ran
    monkeypatch.setattr(TaskRepository, "get", fail)
    response = await client.post(TASKS, json={"title": "half-done"})
    monkeypatch.undo()

    assert_problem(response, 500)
    assert await list_ids(client) == []


# --- request body size -----------------------------------------------------------------------


async def test_body_within_the_limit_is_accepted(small_client: httpx.AsyncClient) -> None:
    declared = await small_client.post(
        TASKS, content=padded_body(SMALL_LIMIT), headers={"content-type": "application/json"}
    )
    streamed = await small_client.post(
        TASKS,
        content=chunks(padded_body(SMALL_LIMIT)),
        headers={"content-type": "application/json"},
    )

    assert declared.status_code == 201
    assert streamed.status_code == 201


async def test_body_over_the_limit_by_content_length_is_413(
    small_client: httpx.AsyncClient,
) -> None:
    response = await small_client.post(
        TASKS, content=padded_body(SMALL_LIMIT + 1), headers={"content-type": "application/json"}
    )

    assert response.request.headers["content-length"] == str(SMALL_LIMIT + 1)
    body = assert_problem(response, 413)
    assert str(SMALL_LIMIT) in body["detail"]
    assert await list_ids(small_client) == []


async def test_body_over_the_limit_streamed_without_length_is_413(
    small_client: httpx.AsyncClient,
) -> None:
    response = await small_client.post(
        TASKS,
        content=chunks(padded_body(SMALL_LIMIT * 3)),
        headers={"content-type": "application/json"},
    )

    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_problem(response, 413)
    assert await list_ids(small_client) == []


async def test_body_limit_applies_to_every_write(small_client: httpx.AsyncClient) -> None:
    project = await small_client.post(PROJECTS, json={"name": "p", "description": "d" * 3000})

    assert_problem(project, 413)


# --- inputs at the database's limits ---------------------------------------------------------


@pytest.mark.parametrize("big_id", [2**31, 2**63, 10**30])
@pytest.mark.parametrize("resource", [TASKS, PROJECTS])
async def test_id_beyond_the_integer_range_is_a_problem_not_a_crash(
    client: httpx.AsyncClient, resource: str, big_id: int
) -> None:
    url = f"{resource}/{big_id}"

    for method, body in [("GET", None), ("PATCH", {"description": "x"}), ("DELETE", None)]:
        response = await client.request(method, url, json=body)

        assert response.status_code in {404, 422}, (method, response.text)
        assert_problem(response, response.status_code)


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        (TASKS, {"title": "a\u0000b"}, ["body", "title"]),
        (TASKS, {"title": "t", "description": "a\u0000b"}, ["body", "description"]),
        (PROJECTS, {"name": "a\u0000b"}, ["body", "name"]),
    ],
)
async def test_text_with_a_nul_character_is_422(
    client: httpx.AsyncClient, path: str, body: dict[str, str], loc: list[str]
) -> None:
    response = await client.post(path, json=body)

    [error] = assert_invalid(response, loc)["errors"]
    assert "NUL" in error["msg"]
    assert "pattern" not in error["msg"]  # in words, not the regex


async def test_malformed_if_match_says_what_to_send(client: httpx.AsyncClient) -> None:
    task = await create_task(client)

    response = await client.patch(
        f"{TASKS}/{task['id']}", json={"title": "x"}, headers={"If-Match": "3"}
    )

    [error] = assert_invalid(response, ["header", "If-Match"])["errors"]
    assert error["msg"] == 'use the ETag of a GET (such as "3"), several separated by commas, or *'


@pytest.mark.parametrize("param", ["q", "project", "tag"])
async def test_filter_with_a_nul_character_is_not_a_500(
    client: httpx.AsyncClient, param: str
) -> None:
    await create_task(client)

    response = await client.get(TASKS, params={param: "a\u0000"})

    if response.status_code == 200:
        assert response.json()["items"] == []
    else:
        assert_problem(response, 422)


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
async def test_a_body_not_sent_as_json_says_which_header_to_send(
    client: httpx.AsyncClient, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}

    response = await client.post(TASKS, content=b'{"title": "x"}', headers=headers)

    [error] = assert_invalid(response, ["body"])["errors"]
    assert "Content-Type: application/json" in error["msg"]
    assert await list_ids(client) == []
