"""SQLite under a held write lock: WAL reads go on, writes wait busy_timeout then 503.

The lock is held either by a raw `sqlite3` connection (`BEGIN IMMEDIATE` kept open) or
by a real `app-cli tasks import` whose input is a pipe the test keeps open. The servers
are real `app-cli serve` processes with a short `SQLITE_BUSY_TIMEOUT_MS`.
"""

import asyncio
import contextlib
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.core.database import Database
from tests.concurrency.support import ON_POSTGRES, ApiServer, Processes, http_client, seed_tasks

pytestmark = pytest.mark.skipif(
    ON_POSTGRES, reason="SQLite only: file locks, WAL and busy_timeout do not exist on PostgreSQL"
)

BUSY_MS = 300  # servers and CLI commands facing a raw held lock
BUSY_ENV = {"SQLITE_BUSY_TIMEOUT_MS": str(BUSY_MS)}
IMPORT_BUSY_MS = 2_000  # the server facing a long import: a read that waited would show
# Generous for a loaded machine, yet half the import server's busy timeout: a read that
# queued behind the import's write lock would take at least IMPORT_BUSY_MS (then fail).
READ_LIMIT_S = 1.0
CHUNK = 2_500  # records fed to the import at a time
MAX_FED = 40_000
LOCK_WAIT_S = 30.0


@contextlib.contextmanager
def held_write_lock(path: Path) -> Iterator[sqlite3.Connection]:
    """Hold SQLite's write lock from another connection until the block ends (rolled back)."""
    conn = sqlite3.connect(path, timeout=5, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield conn
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()


def lock_is_held(path: Path) -> bool:
    """Whether some connection holds the write lock right now (probe without waiting)."""
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
        return True
    else:
        conn.execute("ROLLBACK")
        return False
    finally:
        conn.close()


def snapshot(path: Path) -> list[tuple[object, ...]]:
    """Every committed task row, read straight from the file."""
    conn = sqlite3.connect(path, timeout=5)
    try:
        return conn.execute("SELECT id, title, version, tags FROM tasks ORDER BY id").fetchall()
    finally:
        conn.close()


def assert_busy(response: httpx.Response, elapsed: float, busy_ms: int = BUSY_MS) -> None:
    """The documented 503 for a busy database: problem+json, Retry-After, after the wait."""
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["retry-after"]) >= 1
    body = response.json()
    assert body["type"] == "/problems/database-busy", body
    assert body["status"] == 503
    assert "locked" not in response.text  # no driver text leaks out
    assert elapsed >= busy_ms / 1000 * 0.8, f"gave up after {elapsed:.3f} s, before busy_timeout"
    assert elapsed < busy_ms / 1000 + 10, f"waited {elapsed:.1f} s for a {busy_ms} ms busy timeout"


async def timed(request: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    """The response and how long it took."""
    started = time.monotonic()
    response = await request
    return response, time.monotonic() - started


async def assert_reads_are_served(http: httpx.AsyncClient, task_id: int, titles: list[str]) -> None:
    """Every read endpoint answers 200 at once and sees only committed data."""
    for path in ("/health", "/api/v1/tasks", f"/api/v1/tasks/{task_id}", "/api/v1/stats"):
        response, elapsed = await timed(http.get(path))
        assert response.status_code == 200, (path, response.text)
        assert elapsed < READ_LIMIT_S, f"GET {path} took {elapsed:.3f} s under the write lock"
    listed = (await http.get("/api/v1/tasks", params={"limit": 200})).json()["items"]
    assert [t["title"] for t in listed] == titles


async def server_with_a_task(
    processes: Processes, database_url: str, busy_ms: int
) -> AsyncIterator[tuple[ApiServer, httpx.AsyncClient, dict[str, Any]]]:
    """A real server with this busy timeout, a client, and one task in the database."""
    server = await processes.serve(database_url, {"SQLITE_BUSY_TIMEOUT_MS": str(busy_ms)})
    async with http_client(server.base_url) as http:
        created = await http.post("/api/v1/tasks", json={"title": "original", "tags": ["a"]})
        assert created.status_code == 201, created.text
        yield server, http, created.json()
    assert not server.error_lines(), "\n".join(server.error_lines())


@pytest.fixture
async def busy_server(sqlite_path: Path, committed_database_url: str, processes: Processes):
    """A real server with a 300 ms busy timeout."""
    async for served in server_with_a_task(processes, committed_database_url, BUSY_MS):
        yield served


@pytest.fixture
async def import_server(sqlite_path: Path, committed_database_url: str, processes: Processes):
    """A real server with a 2 s busy timeout."""
    async for served in server_with_a_task(processes, committed_database_url, IMPORT_BUSY_MS):
        yield served


async def test_every_connection_uses_wal_and_the_configured_busy_timeout(
    committed_database_url: str, sqlite_path: Path
) -> None:
    database = Database(committed_database_url, busy_timeout_ms=1234)
    try:
        await database.create_all()
        for engine in (database.write_engine, database.read_engine):
            async with engine.connect() as conn:
                assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
                assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() == 1234
    finally:
        await database.dispose()
    conn = sqlite3.connect(sqlite_path)
    try:  # WAL is persistent: any other process opening the file gets it too
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        conn.close()


@pytest.mark.slow
async def test_api_writes_under_a_held_lock_are_503_and_change_nothing(
    busy_server: tuple[ApiServer, httpx.AsyncClient, dict[str, Any]], sqlite_path: Path
) -> None:
    _, http, task = busy_server
    path = f"/api/v1/tasks/{task['id']}"
    before = snapshot(sqlite_path)

    with held_write_lock(sqlite_path) as holder:
        # The holder writes too: readers must keep seeing the last committed state.
        holder.execute("UPDATE tasks SET title = 'uncommitted', version = 99")
        attempts = {
            "PATCH": http.patch(path, json={"title": "changed", "tags": ["b"]}),
            "PATCH If-Match": http.patch(path, json={"title": "x"}, headers={"If-Match": '"1"'}),
            "POST": http.post("/api/v1/tasks", json={"title": "new"}),
            "POST bulk": http.post(
                "/api/v1/tasks/bulk", json={"tasks": [{"title": f"b{i}"} for i in range(50)]}
            ),
            "DELETE": http.delete(path),
            "POST project": http.post("/api/v1/projects", json={"name": "p"}),
        }
        for name, request in attempts.items():
            response, elapsed = await timed(request)
            assert response.status_code == 503, (name, response.text)
            assert_busy(response, elapsed)
        # Concurrent writers queue on the lock and all give up cleanly.
        results = await asyncio.gather(
            *(timed(http.patch(path, json={"title": f"c{i}"})) for i in range(8))
        )
        for response, elapsed in results:
            assert_busy(response, elapsed)
        await assert_reads_are_served(http, int(task["id"]), ["original"])

    assert snapshot(sqlite_path) == before
    after = await http.patch(path, json={"title": "changed"}, headers={"If-Match": '"1"'})
    assert after.status_code == 200, after.text
    assert after.json()["version"] == 2
    assert [row[1] for row in snapshot(sqlite_path)] == ["changed"]


@pytest.mark.slow
async def test_cli_write_under_a_held_lock_exits_1_with_a_clear_message(
    committed_database_url: str, sqlite_path: Path, processes: Processes
) -> None:
    await seed_tasks(committed_database_url, "original")
    before = snapshot(sqlite_path)

    with held_write_lock(sqlite_path):
        results = await asyncio.gather(
            processes.cli(committed_database_url, "tasks", "add", "new", extra_env=BUSY_ENV),
            processes.cli(
                committed_database_url, "tasks", "update", "1", "--title", "x", extra_env=BUSY_ENV
            ),
            processes.cli(committed_database_url, "tasks", "done", "1", extra_env=BUSY_ENV),
        )
    for result in results:
        assert result.returncode == 1, (result.args, result.stdout, result.stderr)
        assert result.stdout == ""
        assert "Traceback" not in result.stderr
        assert "database is busy" in result.stderr.lower(), result.stderr
        assert "again" in result.stderr, result.stderr  # says what to do
        assert len(result.stderr.strip().splitlines()) <= 4, result.stderr
    assert snapshot(sqlite_path) == before


@pytest.mark.slow
async def test_cli_reads_under_a_held_lock_succeed(
    committed_database_url: str, sqlite_path: Path, processes: Processes
) -> None:
    await seed_tasks(committed_database_url, "original")

    with held_write_lock(sqlite_path):
        listed = await processes.cli(
            committed_database_url, "tasks", "list", "--json", extra_env=BUSY_ENV
        )
    assert listed.returncode == 0, listed.stderr
    assert [t["title"] for t in json.loads(listed.stdout)["items"]] == ["original"]


@pytest.mark.slow
async def test_long_cli_import_holding_the_lock_does_not_make_api_reads_wait(
    import_server: tuple[ApiServer, httpx.AsyncClient, dict[str, Any]],
    committed_database_url: str,
    sqlite_path: Path,
    processes: Processes,
) -> None:
    _, http, task = import_server
    importer = await processes.spawn_cli(
        committed_database_url, "tasks", "import", "-", "--format", "jsonl", stdin=True
    )
    assert importer.stdin is not None
    # Feed the pipe a chunk at a time until the import has written a batch (and so holds
    # the write lock), whatever its batch size; then keep the pipe open.
    fed = 0
    deadline = time.monotonic() + LOCK_WAIT_S
    while not lock_is_held(sqlite_path):
        assert importer.returncode is None, "the import ended before its input did"
        assert time.monotonic() < deadline, f"no write lock after {fed} records"
        if fed < MAX_FED:
            chunk = [json.dumps({"title": f"imported {fed + i}"}) + "\n" for i in range(CHUNK)]
            importer.stdin.write("".join(chunk).encode())
            await importer.stdin.drain()
            fed += CHUNK
        await asyncio.sleep(0.2)

    # While the import holds the lock: 4 readers x 10 rounds, each read answered at once.
    async def reader(rounds: int) -> None:
        for _ in range(rounds):
            await assert_reads_are_served(http, int(task["id"]), ["original"])

    await asyncio.gather(*(reader(10) for _ in range(4)))
    response, elapsed = await timed(http.post("/api/v1/tasks", json={"title": "during import"}))
    assert_busy(response, elapsed, IMPORT_BUSY_MS)
    assert lock_is_held(sqlite_path), "the import must still hold the lock"

    rest = 300
    more = [json.dumps({"title": f"imported {i}"}) + "\n" for i in range(fed, fed + rest)]
    importer.stdin.write("".join(more).encode())
    await importer.stdin.drain()
    importer.stdin.close()
    _, err = await asyncio.wait_for(importer.communicate(), 60)
    assert importer.returncode == 0, err.decode()
    assert f"imported {fed + rest}" in err.decode(), err.decode()

    stats = (await http.get("/api/v1/stats")).json()
    assert stats["total"] == 1 + fed + rest, stats
    rows = snapshot(sqlite_path)
    assert len(rows) == 1 + fed + rest
    assert len({row[1] for row in rows}) == len(rows)
