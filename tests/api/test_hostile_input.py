"""Hostile input: lying or endless bodies, JSON bombs, broken encodings, SQL, header injection.

Each answer must be the documented problem (413, 422, 400, ...), never a 500, never a
leak, and never a change to the data. Where httpx would tidy a request up (header values,
Content-Length), the ASGI app is driven by hand so the bytes are exactly the hostile ones.
"""

import base64
import io
import json
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.core.database import Database
from app.core.enums import SortField
from app.core.logging import configure_logging
from app.main import create_app
from app.schemas.task import TaskFilters
from app.services.cursor import encode_cursor
from tests.api.helpers import (
    PROBLEM_MEDIA_TYPE,
    TASKS,
    assert_invalid,
    assert_problem,
    create_task,
    list_ids,
)

LIMIT = 4096
NEW_ID = re.compile(r"[0-9a-f]{32}")
JSON = {"content-type": "application/json"}


# --- a hand-driven ASGI client ---------------------------------------------------------------


@dataclass
class RawResponse:
    """What the app sent back, and how much of the request body it read."""

    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    chunks_read: int = 0

    def header(self, name: bytes) -> bytes | None:
        return next((v for k, v in self.headers if k.lower() == name), None)

    def json(self) -> Any:
        return json.loads(self.body)


async def raw_request(
    app: FastAPI,
    method: str,
    path: str,
    headers: Iterable[tuple[bytes, bytes]] = (),
    chunks: Iterable[bytes] = (),
) -> RawResponse:
    """Send exactly these header bytes and body chunks to the app, as a server would."""
    pending = list(chunks)
    result = RawResponse()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }

    async def receive() -> dict[str, Any]:
        if not pending:
            return {"type": "http.request", "body": b"", "more_body": False}
        result.chunks_read += 1
        chunk = pending.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            result.status = message["status"]
            result.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            result.body += message.get("body", b"")

    await app(scope, receive, send)
    return result


def assert_raw_problem(response: RawResponse, status: int) -> dict[str, Any]:
    assert response.status == status, response.body
    assert response.header(b"content-type") == PROBLEM_MEDIA_TYPE.encode()
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["request_id"].encode() == response.header(b"x-request-id")
    return body


@pytest.fixture
def app_log() -> Iterator[io.StringIO]:
    """Where the app's JSON log lines go (instead of stdout) once an app fixture is built."""
    yield io.StringIO()
    configure_logging()  # back to stdout for whatever runs next


def log_lines(log: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.getvalue().splitlines()]


@pytest.fixture
async def small_app(db: Database, app_log: io.StringIO) -> AsyncIterator[FastAPI]:
    """The app, started, accepting request bodies of at most LIMIT bytes."""
    app = create_app(Settings(database_url=db.safe_url, max_body_bytes=LIMIT), database=db)
    configure_logging(stream=app_log)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def small_client(small_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=small_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def task_body(size: int) -> bytes:
    """A valid task body of exactly `size` bytes (the description pads it)."""
    head, tail = b'{"title": "t", "description": "', b'"}'
    return head + b"d" * (size - len(head) - len(tail)) + tail


# --- bodies over the limit: counted, not trusted ---------------------------------------------


async def test_a_content_length_that_understates_the_body_does_not_get_it_in(
    small_app: FastAPI, small_client: httpx.AsyncClient
) -> None:
    body = task_body(LIMIT * 4)
    headers = [(b"content-type", b"application/json"), (b"content-length", b"20")]

    response = await raw_request(small_app, "POST", TASKS, headers, [body[:1000], body[1000:]])

    assert_raw_problem(response, 413)
    assert await list_ids(small_client) == []


async def test_a_body_trickled_in_tiny_chunks_is_cut_off_at_the_limit(
    small_app: FastAPI, small_client: httpx.AsyncClient
) -> None:
    body = task_body(LIMIT * 4)
    one_byte_chunks = [body[i : i + 1] for i in range(len(body))]

    response = await raw_request(
        small_app, "POST", TASKS, [(b"content-type", b"application/json")], one_byte_chunks
    )

    assert_raw_problem(response, 413)
    # The app stopped reading just past the limit instead of swallowing the whole body.
    assert response.chunks_read == LIMIT + 1
    assert await list_ids(small_client) == []


async def test_a_huge_declared_length_is_refused_before_reading_anything(
    small_app: FastAPI,
) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", b"1000000000000")]

    response = await raw_request(small_app, "POST", TASKS, headers, [b"{}"] * 10)

    body = assert_raw_problem(response, 413)
    assert response.chunks_read == 0
    assert response.header(b"connection") == b"close"
    assert str(LIMIT) in body["detail"]


@pytest.mark.parametrize("declared", [b"-1", b"abc", b"0"])
async def test_a_malformed_content_length_does_not_switch_off_counting(
    small_app: FastAPI, declared: bytes
) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", declared)]

    response = await raw_request(small_app, "POST", TASKS, headers, [task_body(LIMIT * 2)])

    assert_raw_problem(response, 413)


# --- JSON bombs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "loc", "words"),
    [
        (
            b"{bad",
            ["body", 1],
            "Expecting property name enclosed in double quotes (at character 1)",
        ),
        (b'{"title": "x",}', ["body", 14], "(at character 14)"),
        (b'{"title": "x", "description": ' + b"1" * 5001 + b"}", ["body"], "too many digits"),
    ],
    ids=["unquoted-key", "trailing-comma", "5001-digit-number"],
)
async def test_malformed_json_says_why_and_where(
    client: httpx.AsyncClient, content: bytes, loc: list[str | int], words: str
) -> None:
    response = await client.post(TASKS, content=content, headers=JSON)

    body = assert_invalid(response, loc)
    assert words in body["errors"][0]["msg"]


@pytest.mark.parametrize("opener", [b"[", b'{"a":'], ids=["arrays", "objects"])
async def test_json_nested_deeper_than_the_parser_goes_is_422(
    client: httpx.AsyncClient, opener: bytes
) -> None:
    depth = 200_000
    closer = b"]" if opener == b"[" else b"}"
    content = b'{"title": "t", "description": ' + opener * depth + b"1" + closer * depth + b"}"

    response = await client.post(TASKS, content=content, headers=JSON)

    body = assert_invalid(response, ["body"])
    assert "nested too deeply" in body["errors"][0]["msg"]
    assert await list_ids(client) == []


async def test_moderately_nested_json_in_a_field_is_an_ordinary_422(
    client: httpx.AsyncClient,
) -> None:
    content = b'{"title": "t", "tags": ' + b"[" * 500 + b"]" * 500 + b"}"

    response = await client.post(TASKS, content=content, headers=JSON)

    assert_problem(response, 422)
    assert response.json()["errors"][0]["loc"][:2] == ["body", "tags"]


async def test_a_body_with_100_000_unknown_fields_gets_a_short_answer(
    client: httpx.AsyncClient,
) -> None:
    content = json.dumps({"title": "t", **{f"k{i}": 1 for i in range(100_000)}}).encode()

    response = await client.post(TASKS, content=content, headers=JSON)

    body = assert_problem(response, 422)
    assert len(body["errors"]) == 100
    assert "100000 places" in body["detail"]
    # No amplification: the answer is a small fraction of the question.
    assert len(response.content) < len(content) / 50


@pytest.mark.parametrize(
    ("literal", "loc"),
    [
        (b'"priority": ' + b"9" * 5000, ["body"]),  # past Python's int-parsing limit
        (b'"due_date": 1e400', ["body", "due_date"]),  # infinity
        (b'"due_date": 0', ["body", "due_date"]),  # not a Unix timestamp either
        (b'"title": "t", "title": ' + b"1" * 100, ["body", "title"]),  # duplicate key, last wins
    ],
    ids=["5000-digit int", "1e400", "number as date", "duplicate key"],
)
async def test_hostile_json_values_are_422(
    client: httpx.AsyncClient, literal: bytes, loc: list[str]
) -> None:
    content = b'{"title": "t", ' + literal + b"}"
    if literal.startswith(b'"title"'):
        content = b"{" + literal + b"}"

    response = await client.post(TASKS, content=content, headers=JSON)

    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"][: len(loc)] == loc
    assert await list_ids(client) == []


async def test_a_bulk_over_1000_tasks_creates_nothing(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{TASKS}/bulk", json={"tasks": [{"title": "t"}] * 1001})

    assert_invalid(response, ["body", "tasks"])
    assert await list_ids(client) == []


# --- broken encodings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b'{"title": "caf\xe9"}',  # Latin-1, not UTF-8
        b'{"title": "\xc0\xaf"}',  # overlong encoding of '/'
        b'{"title": "ok"}\xff',  # garbage after the document
    ],
    ids=["latin-1", "overlong", "trailing byte"],
)
async def test_a_body_that_is_not_utf8_is_422(client: httpx.AsyncClient, content: bytes) -> None:
    response = await client.post(TASKS, content=content, headers=JSON)

    body = assert_invalid(response, ["body"])
    assert "UTF-8" in body["errors"][0]["msg"]
    assert await list_ids(client) == []


@pytest.mark.parametrize(
    "content",
    [b'{"title": "a\\ud800b"}', b'{"title": "a\xed\xa0\x80b"}'],
    ids=["escaped", "utf-8 encoded"],
)
async def test_a_lone_surrogate_is_422(client: httpx.AsyncClient, content: bytes) -> None:
    response = await client.post(TASKS, content=content, headers=JSON)

    assert_invalid(response, ["body", "title"])
    assert await list_ids(client) == []


@pytest.mark.parametrize(
    "url", [f"{TASKS}?q=%FF%FE", f"{TASKS}?tag=%C0%AF", f"{TASKS}/%FF", "/api/v1/%ED%A0%80"]
)
async def test_invalid_utf8_in_the_url_is_not_a_500(client: httpx.AsyncClient, url: str) -> None:
    response = await client.get(url)

    assert response.status_code in {200, 404, 422}, response.text
    if response.status_code != 200:
        assert_problem(response, response.status_code)


# --- SQL where data belongs ------------------------------------------------------------------

SQL = [
    "'; DROP TABLE tasks; --",
    "' OR '1'='1",
    '" OR ""="',
    "1); DELETE FROM tasks; --",
    "%' UNION SELECT sqlite_version(), 1 --",
]


@pytest.mark.parametrize("text", SQL)
async def test_sql_in_q_is_searched_for_as_text(client: httpx.AsyncClient, text: str) -> None:
    decoy = await create_task(client, title="an ordinary task")
    match = await create_task(client, title=f"about {text} here")

    response = await client.get(TASKS, params={"q": text})

    assert response.status_code == 200, response.text
    assert [t["id"] for t in response.json()["items"]] == [match["id"]]
    assert sorted(await list_ids(client)) == sorted([decoy["id"], match["id"]])


@pytest.mark.parametrize("text", SQL)
async def test_sql_in_other_filters_matches_nothing(client: httpx.AsyncClient, text: str) -> None:
    await create_task(client, tags=["a"])

    response = await client.get(TASKS, params={"project": text})
    not_a_tag = await client.get(TASKS, params={"tag": text})

    assert response.status_code == 200, response.text
    assert response.json()["items"] == []
    assert_invalid(not_a_tag, ["query", "tag", 0])  # refused before any SQL
    assert len(await list_ids(client)) == 1


@pytest.mark.parametrize(("wildcard", "literal"), [("%", "100% done"), ("_", "a_b")])
async def test_like_wildcards_in_q_match_only_themselves(
    client: httpx.AsyncClient, wildcard: str, literal: str
) -> None:
    wanted = await create_task(client, title=literal)
    await create_task(client, title=literal.replace(wildcard, "x"))

    response = await client.get(TASKS, params={"q": wildcard})

    assert [t["id"] for t in response.json()["items"]] == [wanted["id"]]


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("sort", "title; DROP TABLE tasks"),
        ("sort", "id desc"),
        ("sort", "(SELECT 1)"),
        ("sort", "rowid"),
        ("order", "asc; --"),
        ("order", "ASC NULLS FIRST"),
    ],
)
async def test_sort_outside_the_whitelist_is_422(
    client: httpx.AsyncClient, param: str, value: str
) -> None:
    await create_task(client)

    response = await client.get(TASKS, params={param: value})

    assert_invalid(response, ["query", param])
    assert len(await list_ids(client)) == 1


@pytest.mark.parametrize("cursor", [*SQL, "eyJmIjoiJyBPUiAxPTEgLS0ifQ", "a" * 1024])
async def test_a_cursor_carrying_sql_is_400(client: httpx.AsyncClient, cursor: str) -> None:
    response = await client.get(TASKS, params={"cursor": cursor})

    assert_problem(response, 400, "/problems/invalid-cursor")


async def test_a_well_formed_cursor_with_sql_in_its_key_is_only_data(
    client: httpx.AsyncClient,
) -> None:
    for title in ["alpha", "beta"]:
        await create_task(client, title=title)
    # Keyset "after this title": a real injection would return every task.
    cursor = encode_cursor(TaskFilters(sort=SortField.TITLE), "zzz' OR '1'='1", 0)

    response = await client.get(TASKS, params={"sort": "title", "cursor": cursor})

    assert response.status_code == 200, response.text
    assert response.json()["items"] == []


def forge_cursor(sort: SortField, value: Any, task_id: Any) -> str:
    """A cursor bound to the right query (so it gets past the fingerprint) with forged keys."""
    genuine = encode_cursor(TaskFilters(sort=sort), None, 1)
    payload = json.loads(base64.urlsafe_b64decode(genuine + "=" * (-len(genuine) % 4)))
    payload.update(v=value, i=task_id)
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("sort", "value", "task_id"),
    [
        (SortField.ID, None, 10**30),
        (SortField.DUE_DATE, "2020-01-01", 2**63),
        (SortField.PRIORITY, "1; DROP TABLE tasks", 1),
        (SortField.CREATED_AT, "yesterday", 1),
        (SortField.TITLE, 12345, 1),
        (SortField.TITLE, "a", "1 OR 1=1"),
    ],
)
async def test_a_forged_cursor_with_values_out_of_range_is_400(
    client: httpx.AsyncClient, sort: SortField, value: Any, task_id: Any
) -> None:
    cursor = forge_cursor(sort, value, task_id)

    response = await client.get(TASKS, params={"sort": sort.value, "cursor": cursor})

    assert_problem(response, 400, "/problems/invalid-cursor")


# --- header injection through X-Request-ID ----------------------------------------------------

INJECTIONS = [
    b"abc\r\nSet-Cookie: session=stolen",
    b"abc\nX-Injected: 1",
    b"abc\rX-Injected: 1",
    b"abc\r\n\r\n<html>smuggled body</html>",
    b"%0d%0aSet-Cookie:%20a=b",
]


@pytest.mark.parametrize("path", ["/health", TASKS, f"{TASKS}/999999", "/nowhere"])
@pytest.mark.parametrize("injected", INJECTIONS)
async def test_crlf_in_x_request_id_never_reaches_the_response(
    small_app: FastAPI, app_log: io.StringIO, injected: bytes, path: str
) -> None:
    response = await raw_request(small_app, "GET", path, [(b"x-request-id", injected)])

    assert response.status in {200, 404}
    names = [name.lower() for name, _ in response.headers]
    assert b"set-cookie" not in names
    assert b"x-injected" not in names
    assert names.count(b"x-request-id") == 1
    assert NEW_ID.fullmatch(response.header(b"x-request-id").decode())  # type: ignore[union-attr]
    assert all(b"\r" not in v and b"\n" not in v for _, v in response.headers)
    assert b"smuggled" not in response.body
    # The log names the replacement id, not the caller's text.
    (access,) = [line for line in log_lines(app_log) if line["message"] == "request"]
    assert access["request_id"] == response.header(b"x-request-id").decode()  # type: ignore[union-attr]
    assert "Set-Cookie" not in app_log.getvalue()
    assert "smuggled" not in app_log.getvalue()


# --- an internal error: the database file corrupted mid-run -----------------------------------


@pytest.fixture
async def doomed(
    tmp_path: Path, app_log: io.StringIO
) -> AsyncIterator[tuple[httpx.AsyncClient, Path]]:
    """A client on an app whose own SQLite file the test may wreck (on any test engine)."""
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'doomed.db'}"))
    configure_logging(stream=app_log)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http, tmp_path


def corrupt(directory: Path) -> None:
    """Overwrite the start of the database file, its WAL and shared memory with junk."""
    for path in directory.iterdir():
        size = path.stat().st_size
        with path.open("r+b") as file:
            file.write((b"\xde\xad\xbe\xef" * 2048)[: min(size, 8192)])


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", TASKS, None),
        ("POST", TASKS, {"title": "after the crash"}),
        ("GET", "/api/v1/stats", None),
    ],
)
async def test_a_corrupted_database_is_a_500_that_reveals_nothing(
    doomed: tuple[httpx.AsyncClient, Path],
    app_log: io.StringIO,
    method: str,
    url: str,
    body: dict[str, str] | None,
) -> None:
    client, directory = doomed
    await create_task(client)
    corrupt(directory)

    response = await client.request(method, url, json=body, headers={"X-Request-ID": "wreck-1"})

    problem = assert_problem(response, 500)
    assert problem.keys() == {"type", "title", "status", "detail", "request_id"}
    assert problem["request_id"] == "wreck-1"
    for leak in [
        str(directory),
        "doomed.db",
        "sqlite",
        "SELECT",
        "INSERT",
        "tasks",
        "malformed",
        "not a database",
        "DatabaseError",
        "OperationalError",
        "Traceback",
        ".py",
    ]:
        assert leak.lower() not in response.text.lower(), leak
    # The traceback is in the log, one JSON line carrying the request id.
    failures = [line for line in log_lines(app_log) if line["message"] == "request.failed"]
    assert len(failures) == 1
    assert failures[0]["level"] == "ERROR"
    assert failures[0]["request_id"] == "wreck-1"
    assert "Traceback" in failures[0]["exc_info"]
    assert "sqlite3." in failures[0]["exc_info"]  # the real cause is in the log
