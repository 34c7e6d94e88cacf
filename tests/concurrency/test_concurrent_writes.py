"""Many writers on one database: two real API processes plus `app-cli` processes.

Runs on the suite's engine (SQLite file or PostgreSQL database). Every HTTP answer is
tallied; the only 5xx allowed is the documented 503 "database busy" (with Retry-After),
which the clients retry. Final counts and versions must be exact.
"""

import asyncio
import io
import json
import logging
import os
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from app.api.errors import app_error_response
from app.core.database import Database
from app.core.db_errors import translate_db_error
from app.core.errors import DatabaseBusyError
from app.services.formats import READERS, FileFormat
from app.services.task_import import ImportReport, TaskImporter
from tests.concurrency.support import (
    ON_POSTGRES,
    ApiServer,
    CliResult,
    Processes,
    create_tables,
    http_client,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")

CLIENTS = 8
CLI_ADDS = 4
OPERATIONS = 25
HAMMER_DEADLINE_S = 45.0
MAX_ATTEMPTS = 400  # per operation (412 / 503 retries)
BUSY_RETRY_SLEEP_S = 0.05


async def run_all(*coroutines: Coroutine[Any, Any, T]) -> list[T]:
    """Run concurrently; the first failure cancels the rest (no orphaned clients)."""
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(coroutine) for coroutine in coroutines]
    return [task.result() for task in tasks]


@dataclass
class Tally:
    """Every HTTP status seen; an unexpected one fails the test at once."""

    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)

    def check_deadline(self) -> None:
        if time.monotonic() - self.started > HAMMER_DEADLINE_S:
            pytest.fail(f"hammering took over {HAMMER_DEADLINE_S} s: {self.statuses}")

    async def send(
        self, label: str, request: Callable[[], Awaitable[httpx.Response]], *expected: int
    ) -> httpx.Response:
        """Send until the answer is not a 503 busy; record everything."""
        for _ in range(MAX_ATTEMPTS):
            self.check_deadline()
            response = await request()
            self.statuses[label, response.status_code] += 1
            if response.status_code == 503 and _is_busy(response):
                await asyncio.sleep(BUSY_RETRY_SLEEP_S)
                continue
            assert response.status_code in expected, f"{label}: {response.text[:500]}"
            return response
        pytest.fail(f"{label}: still busy after {MAX_ATTEMPTS} attempts")

    def assert_clean(self, *servers: ApiServer) -> None:
        """No 5xx but busy 503s, and no error in any server log."""
        logger.info(
            "tally after %.1f s: %s",
            time.monotonic() - self.started,
            dict(sorted(self.statuses.items())),
        )
        fives = {k: v for k, v in self.statuses.items() if k[1] >= 500 and k[1] != 503}
        assert not fives, fives
        for server in servers:
            errors = server.error_lines()
            assert not errors, "\n".join(errors[:5])


def _is_busy(response: httpx.Response) -> bool:
    body = response.json()
    assert body["type"] == "/problems/database-busy", body
    assert int(response.headers["retry-after"]) >= 1
    return True


@pytest.fixture
async def two_servers(
    committed_database_url: str, processes: Processes
) -> AsyncIterator[list[tuple[ApiServer, httpx.AsyncClient]]]:
    """Two `app-cli serve` processes on the test's database, each with a client."""
    await create_tables(committed_database_url)
    servers = await asyncio.gather(*(processes.serve(committed_database_url) for _ in range(2)))
    clients = [http_client(server.base_url) for server in servers]
    try:
        yield list(zip(servers, clients, strict=True))
    finally:
        for client in clients:
            await client.aclose()


def cli_ok(result: CliResult) -> bool:
    """A CLI writer either succeeded or said, cleanly, that the database was busy."""
    assert "Traceback" not in result.stderr, result.stderr
    if result.returncode == 0:
        return True
    assert result.returncode == 1, (result.args, result.stderr)
    assert "busy" in result.stderr.lower(), result.stderr
    return False


async def cli_retrying_busy(
    processes: Processes, database_url: str, *args: str, attempts: int = 3
) -> CliResult:
    """Run a CLI writer as a script would: again after a clean 'database is busy' exit 1."""
    for _ in range(attempts):
        result = await processes.cli(database_url, *args)
        if cli_ok(result):
            return result
        await asyncio.sleep(0.5)
    pytest.fail(f"app-cli {' '.join(args)} still busy after {attempts} attempts")


@pytest.mark.slow
async def test_if_match_increments_from_two_api_processes_and_the_cli_lose_nothing(
    two_servers: list[tuple[ApiServer, httpx.AsyncClient]],
    committed_database_url: str,
    processes: Processes,
) -> None:
    """8 clients x 25 increments (read n, PATCH n+1 with If-Match, retry on 412).

    Two counter tasks, each raced by 4 clients spread over both API processes; meanwhile
    3 CLI processes change the counters' description without If-Match.
    """
    tally = Tally()
    http0 = two_servers[0][1]
    paths: list[str] = []
    for _ in range(2):
        created = await http0.post("/api/v1/tasks", json={"title": "0"})
        assert created.status_code == 201, created.text
        paths.append(created.headers["location"])
    versions: dict[str, list[int]] = {path: [] for path in paths}

    # The same If-Match from 8 clients at once: exactly one wins, the rest get 412.
    race = await run_all(
        *(
            two_servers[k % 2][1].patch(
                paths[0], json={"description": f"race {k}"}, headers={"If-Match": '"1"'}
            )
            for k in range(CLIENTS)
        )
    )
    assert sorted(r.status_code for r in race) == [200] + [412] * (CLIENTS - 1)
    for response in race:
        if response.status_code == 412:
            assert response.json()["type"] == "/problems/precondition-failed"
    winner = next(r.json() for r in race if r.status_code == 200)
    assert (await http0.get(paths[0])).json()["description"] == winner["description"]

    async def increment(http: httpx.AsyncClient, path: str) -> int:
        """One successful increment; returns how many 412s it took."""
        for stale in range(MAX_ATTEMPTS):
            current = await tally.send("GET", lambda: http.get(path), 200)
            n, tag = int(current.json()["title"]), current.headers["etag"]
            response = await tally.send(
                "PATCH",
                lambda n=n, tag=tag: http.patch(
                    path, json={"title": str(n + 1)}, headers={"If-Match": tag}
                ),
                200,
                412,
            )
            if response.status_code == 200:
                assert response.json()["title"] == str(n + 1)
                versions[path].append(response.json()["version"])
                return stale
        pytest.fail(f"no increment after {MAX_ATTEMPTS} attempts")

    async def client(index: int) -> int:
        http, path = two_servers[index % 2][1], paths[(index // 2) % 2]
        return sum([await increment(http, path) for _ in range(OPERATIONS)])

    async def cli_writer(k: int) -> tuple[str, bool]:
        await asyncio.sleep(0.5 * k)
        path = paths[k % 2]
        result = await processes.cli(
            committed_database_url,
            "tasks",
            "update",
            path.rsplit("/", 1)[1],
            "--description",
            f"cli {k}",
        )
        return path, cli_ok(result)

    results = await run_all(
        *(client(i) for i in range(CLIENTS)), *(cli_writer(k) for k in range(3))
    )
    stale_counts, cli_results = results[:CLIENTS], results[CLIENTS:]

    per_counter = CLIENTS * OPERATIONS // 2
    for path in paths:
        cli_successes = sum(ok for p, ok in cli_results if p == path)
        final = (await http0.get(path)).json()
        assert final["title"] == str(per_counter), final
        base = 2 if path == paths[0] else 1  # paths[0] took the If-Match race's change
        assert final["version"] == base + per_counter + cli_successes, final
        if cli_successes:
            assert str(final["description"]).startswith("cli "), final  # the CLI's change
        assert len(versions[path]) == len(set(versions[path])) == per_counter
    assert sum(stale_counts) > 0, "the clients never raced: the test proves nothing"
    assert any(ok for _, ok in cli_results)
    tally.assert_clean(*(server for server, _ in two_servers))


@pytest.mark.slow
async def test_patches_without_if_match_are_serialised(
    two_servers: list[tuple[ApiServer, httpx.AsyncClient]],
) -> None:
    """8 clients x 25 blind PATCHes on one task, then status and delete races.

    Without serialised read-modify-write two PATCHes would build on the same version
    (duplicate versions, a lost change) and both sides of a done/cancelled race would win.
    """
    tally = Tally()
    http0 = two_servers[0][1]
    created = await http0.post("/api/v1/tasks", json={"title": "start"})
    path = created.headers["location"]
    answers: list[dict[str, Any]] = []

    async def client(index: int) -> None:
        http = two_servers[index % 2][1]
        for j in range(OPERATIONS):
            body = {"title": f"c{index}-{j}", "tags": [f"c{index}", f"op{j}"]}
            response = await tally.send("PATCH", lambda b=body: http.patch(path, json=b), 200)
            task = response.json()
            assert (task["title"], task["tags"]) == (body["title"], sorted(body["tags"]))
            answers.append(task)

    await run_all(*(client(i) for i in range(CLIENTS)))
    total = CLIENTS * OPERATIONS
    busy = tally.statuses["PATCH", 503]
    # Writers queue for the lock (BEGIN IMMEDIATE / FOR UPDATE) instead of failing fast:
    # a deferred SQLite BEGIN turns about half of these PATCHes into busy 503s.
    assert busy <= total // 10, f"{busy} busy 503s for {total} PATCHes: writers fail fast"
    assert sorted(a["version"] for a in answers) == list(range(2, total + 2))
    final = (await http0.get(path)).json()
    last = max(answers, key=lambda a: a["version"])
    assert final["version"] == total + 1
    assert (final["title"], final["tags"]) == (last["title"], last["tags"])

    # Status race: done and cancelled cannot both follow todo.
    ids = [
        (await http0.post("/api/v1/tasks", json={"title": f"race {i}"})).json()["id"]
        for i in range(10)
    ]

    async def set_status(task_id: int, k: int) -> tuple[str, httpx.Response]:
        wanted = "done" if k % 2 else "cancelled"
        http = two_servers[k % 2][1]
        response = await tally.send(
            "PATCH status",
            lambda: http.patch(f"/api/v1/tasks/{task_id}", json={"status": wanted}),
            200,
            409,
        )
        return wanted, response

    for task_id in ids:
        outcomes = await run_all(*(set_status(task_id, k) for k in range(CLIENTS)))
        final = (await http0.get(f"/api/v1/tasks/{task_id}")).json()
        assert final["version"] == 2, final
        assert (final["completed_at"] is not None) == (final["status"] == "done")
        for wanted, response in outcomes:
            if wanted == final["status"]:
                assert response.status_code == 200, response.text
                assert response.json()["status"] == wanted
            else:
                assert response.status_code == 409, response.text
                assert response.json()["type"] == "/problems/invalid-transition"

    # Delete race: exactly one DELETE wins, the others find nothing.
    for task_id in ids[:5]:
        deletes = await run_all(
            *(
                tally.send(
                    "DELETE",
                    lambda k=k, t=task_id: two_servers[k % 2][1].delete(f"/api/v1/tasks/{t}"),
                    204,
                    404,
                )
                for k in range(6)
            )
        )
        assert sorted(r.status_code for r in deletes) == [204] + [404] * 5
    tally.assert_clean(*(server for server, _ in two_servers))


@pytest.mark.slow
async def test_concurrent_creates_from_api_and_cli_are_counted_exactly(
    two_servers: list[tuple[ApiServer, httpx.AsyncClient]],
    committed_database_url: str,
    processes: Processes,
    tmp_path: Path,
) -> None:
    """8 clients x 25 POSTs, 4 bulk POSTs of 50, 4 `tasks add` and a `tasks import` of 300."""
    tally = Tally()
    expected: list[str] = []

    async def poster(index: int) -> None:
        http = two_servers[index % 2][1]
        for j in range(OPERATIONS):
            title = f"api {index}-{j}"
            body = {"title": title}
            await tally.send("POST", lambda b=body: http.post("/api/v1/tasks", json=b), 201)

    async def bulk(k: int) -> None:
        tasks = [{"title": f"bulk {k}-{m}"} for m in range(50)]
        http = two_servers[k % 2][1]
        response = await tally.send(
            "POST bulk", lambda: http.post("/api/v1/tasks/bulk", json={"tasks": tasks}), 201
        )
        assert response.json()["created"] == 50

    async def cli_add(k: int) -> CliResult:
        await asyncio.sleep(0.3 * k)
        return await cli_retrying_busy(
            processes, committed_database_url, "tasks", "add", f"cli {k}"
        )

    async def cli_import(k: int) -> CliResult:
        file = tmp_path / f"import-{k}.jsonl"
        file.write_text("".join(json.dumps({"title": f"imp {k}-{m}"}) + "\n" for m in range(300)))
        return await cli_retrying_busy(
            processes, committed_database_url, "tasks", "import", str(file)
        )

    for i in range(CLIENTS):
        expected += [f"api {i}-{j}" for j in range(OPERATIONS)]
    for k in range(4):
        expected += [f"bulk {k}-{m}" for m in range(50)]
    expected += [f"cli {k}" for k in range(CLI_ADDS)]
    expected += [f"imp 0-{m}" for m in range(300)]

    async def project(k: int) -> httpx.Response:
        http = two_servers[k % 2][1]
        return await tally.send(
            "POST project",
            lambda: http.post("/api/v1/projects", json={"name": "Shared" if k % 2 else "SHARED"}),
            201,
            409,
        )

    results = await run_all(
        *(project(k) for k in range(CLIENTS)),
        *(poster(i) for i in range(CLIENTS)),
        *(bulk(k) for k in range(4)),
        *(cli_add(k) for k in range(CLI_ADDS)),
        cli_import(0),
    )
    statuses = sorted(r.status_code for r in results[:CLIENTS])
    assert statuses == [201] + [409] * (CLIENTS - 1)  # one project: names ignore case

    http0 = two_servers[0][1]
    titles: list[str] = []
    ids: list[int] = []
    cursor: str | None = None
    for _ in range(100):
        params: dict[str, Any] = {"limit": 200}
        if cursor:
            params["cursor"] = cursor
        page = (await http0.get("/api/v1/tasks", params=params)).json()
        titles += [t["title"] for t in page["items"]]
        ids += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert Counter(titles) == Counter(expected)
    assert len(ids) == len(set(ids)) == len(expected) == 200 + 200 + CLI_ADDS + 300
    assert (await http0.get("/api/v1/stats")).json()["total"] == len(expected)
    tally.assert_clean(*(server for server, _ in two_servers))


def _jsonl_records(tag: str, count: int) -> Any:
    lines = (
        json.dumps({"title": f"{tag} {m}", "project": ("Alpha", "Beta")[m % 2]}) + "\n"
        for m in range(count)
    )
    return READERS[FileFormat.JSONL](io.BytesIO("".join(lines).encode()))


async def test_overlapping_imports_that_create_the_same_projects_both_succeed(
    committed_database_url: str,
) -> None:
    """The service path of `app-cli tasks import`, two processes' worth, deterministically.

    The first import has created projects Alpha and Beta but not committed when the second
    starts; the second must wait, then use them (SQLite: it waits for the write lock).
    """
    await create_tables(committed_database_url)
    first, second = Database(committed_database_url), Database(committed_database_url)

    async def import_into(database: Database, tag: str) -> ImportReport:
        async with database.session() as session:
            return await TaskImporter.from_session(session).run(_jsonl_records(tag, 100))

    try:
        async with first.session() as session:
            report = await TaskImporter.from_session(session).run(_jsonl_records("a", 100))
            assert report.projects_created == 2
            overlapping = asyncio.ensure_future(import_into(second, "b"))
            await asyncio.sleep(0.5)
            assert not overlapping.done(), "the second import must wait for the first"
        outcome = (await asyncio.wait_for(asyncio.gather(overlapping, return_exceptions=True), 20))[
            0
        ]
        assert isinstance(outcome, ImportReport), repr(outcome)
        assert outcome.imported == 100
        async with first.session(write=False) as session:
            tasks = (await session.execute(text("SELECT count(*) FROM tasks"))).scalar_one()
            projects = (await session.execute(text("SELECT count(*) FROM projects"))).scalar_one()
        assert (tasks, projects) == (200, 2)
    finally:
        await first.dispose()
        await second.dispose()


async def _fresh_database_url(tmp_path: Path) -> str:
    if not ON_POSTGRES:
        return f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    admin = os.environ["TEST_DATABASE_URL"]
    name = f"tt_fresh_{uuid.uuid4().hex[:10]}"
    engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()
    return admin.rsplit("/", 1)[0] + f"/{name}"


async def _drop_database(url: str) -> None:
    if not ON_POSTGRES:
        return
    admin = os.environ["TEST_DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()


async def test_processes_starting_together_on_a_fresh_database_all_start(
    tmp_path: Path,
) -> None:
    """Six processes' start-up (create_all) at once, three times, on a new database."""
    for round_ in range(3):
        url = await _fresh_database_url(tmp_path / str(round_))
        (tmp_path / str(round_)).mkdir(exist_ok=True)
        databases = [Database(url) for _ in range(6)]
        try:
            outcomes = await asyncio.gather(
                *(db.create_all() for db in databases), return_exceptions=True
            )
            failures = [repr(o) for o in outcomes if isinstance(o, BaseException)]
            assert not failures, failures
            async with databases[0].session() as session:
                count = await session.execute(text("SELECT count(*) FROM tasks"))
                assert count.scalar_one() == 0
        finally:
            for db in databases:
                await db.dispose()
            await _drop_database(url)


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL only: SQLite serialises writers")
@pytest.mark.parametrize("failure", ["deadlock", "serialization"])
async def test_postgres_deadlock_and_serialization_failure_become_503_busy(
    committed_database_url: str, failure: str
) -> None:
    """Provoke the real driver errors and check they map to the documented 503 busy."""
    await create_tables(committed_database_url)
    engine = create_async_engine(committed_database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE IF NOT EXISTS race_probe (id int PRIMARY KEY)"))
            await conn.execute(text("TRUNCATE race_probe"))
            await conn.execute(text("INSERT INTO race_probe VALUES (1), (2)"))
        a, b = await engine.connect(), await engine.connect()
        try:
            if failure == "deadlock":
                await a.begin()
                await b.begin()
                await a.execute(text("UPDATE race_probe SET id = id WHERE id = 1"))
                await b.execute(text("UPDATE race_probe SET id = id WHERE id = 2"))
                outcomes = await asyncio.gather(
                    a.execute(text("UPDATE race_probe SET id = id WHERE id = 2")),
                    b.execute(text("UPDATE race_probe SET id = id WHERE id = 1")),
                    return_exceptions=True,
                )
            else:
                for conn in (a, b):
                    await conn.execution_options(isolation_level="REPEATABLE READ")
                    await conn.begin()
                    await conn.execute(text("SELECT * FROM race_probe"))
                await a.execute(text("UPDATE race_probe SET id = 3 WHERE id = 1"))
                await a.commit()
                outcomes = [
                    await asyncio.gather(
                        b.execute(text("UPDATE race_probe SET id = 4 WHERE id = 1")),
                        return_exceptions=True,
                    )
                ][0]
            errors = [o for o in outcomes if isinstance(o, BaseException)]
            assert len(errors) == 1, outcomes
            assert isinstance(errors[0], DBAPIError), repr(errors[0])
            translated = translate_db_error(errors[0])
            assert isinstance(translated, DatabaseBusyError), repr(errors[0])
            response = app_error_response(translated)
            assert response.status_code == 503
            assert response.headers["retry-after"] == "1"
        finally:
            for conn in (a, b):
                await conn.close()
        async with engine.begin() as conn:
            await conn.execute(text("DROP TABLE race_probe"))
    finally:
        await engine.dispose()
