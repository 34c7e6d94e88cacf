"""/health answers 503 while the database is gone, and recovers by itself.

PostgreSQL: a real `app-cli serve` talks to the database through a TCP proxy the test
controls; cutting the proxy is the outage, restarting it on the same port is the recovery.
SQLite has no server to lose: its outage is a database file that cannot be opened.
"""

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.core.database import Database
from app.main import create_app
from tests.concurrency.support import (
    LOCALHOST,
    ON_POSTGRES,
    Processes,
    TcpProxy,
    create_tables,
    http_client,
)

RECOVERY_TIMEOUT_S = 15.0
OUTAGE_TIMEOUT_S = 15.0


def assert_unavailable(response: httpx.Response) -> None:
    """A 503 problem with Retry-After that says nothing about the internals."""
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["retry-after"]) > 0
    body = response.json()
    assert body["status"] == 503
    assert body["type"] == "/problems/database-unavailable", body
    assert "Traceback" not in response.text
    assert "5432" not in response.text
    assert "asyncpg" not in response.text
    assert "sqlite" not in response.text.lower()


async def wait_for_status(
    http: httpx.AsyncClient, path: str, status: int, within_s: float
) -> float:
    """Poll `path` until it answers `status`; return how long that took."""
    started = time.monotonic()
    last: httpx.Response | None = None
    while time.monotonic() - started < within_s:
        last = await http.get(path)
        if last.status_code == status:
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    pytest.fail(f"{path} never answered {status} within {within_s} s; last: {last and last.text}")


@pytest.fixture
async def unreachable_app(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Path]]:
    """The app (in-process) on a database that cannot be reached.

    PostgreSQL: 127.0.0.1:1, where nothing listens. SQLite: a file whose directory goes
    away after start-up (a lost volume); creating it again is the "database comes back".
    """
    volume = tmp_path / "volume"
    volume.mkdir()
    url = (
        "postgresql+asyncpg://postgres@127.0.0.1:1/test"
        if ON_POSTGRES
        else f"sqlite+aiosqlite:///{volume / 'tasks.db'}"
    )
    database = Database(url)
    volume.rmdir()
    app = create_app(Settings(database_url=url), database=database)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                yield http, volume
    finally:
        await database.dispose()


async def test_health_body_is_exactly_the_contracts(committed_database_url: str) -> None:
    app = create_app(Settings(database_url=committed_database_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_health_is_503_when_the_database_is_unreachable(
    unreachable_app: tuple[httpx.AsyncClient, Path],
) -> None:
    http, _ = unreachable_app
    started = time.monotonic()
    assert_unavailable(await http.get("/health"))
    assert time.monotonic() - started < 10


async def test_every_endpoint_is_503_not_500_when_the_database_is_unreachable(
    unreachable_app: tuple[httpx.AsyncClient, Path],
) -> None:
    http, _ = unreachable_app
    assert_unavailable(await http.get("/api/v1/tasks"))
    assert_unavailable(await http.get("/api/v1/tasks/1"))
    assert_unavailable(await http.post("/api/v1/tasks", json={"title": "lost?"}))
    assert_unavailable(await http.patch("/api/v1/tasks/1", json={"title": "lost?"}))
    assert_unavailable(await http.get("/api/v1/stats"))
    assert_unavailable(await http.get("/api/v1/tasks/export"))  # before a byte is streamed


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite outage = unopenable file; PostgreSQL uses a proxy")
async def test_sqlite_health_recovers_when_the_file_can_be_opened_again(
    unreachable_app: tuple[httpx.AsyncClient, Path],
) -> None:
    http, volume = unreachable_app
    assert_unavailable(await http.get("/health"))
    returning = volume.with_name("returning")
    returning.mkdir()
    await create_tables(f"sqlite+aiosqlite:///{returning / 'tasks.db'}")
    returning.rename(volume)  # the volume is back, with its database
    await wait_for_status(http, "/health", 200, RECOVERY_TIMEOUT_S)
    assert (await http.get("/health")).json() == {"status": "ok", "database": "ok"}


@pytest.fixture
async def proxied_server(
    committed_database_url: str, processes: Processes, tcp_proxy: TcpProxy
) -> AsyncIterator[httpx.AsyncClient]:
    """A real API process whose only way to PostgreSQL is the test's proxy."""
    if not ON_POSTGRES:
        pytest.skip("PostgreSQL only: SQLite has no server to lose")
    await create_tables(committed_database_url)
    proxied = make_url(committed_database_url).set(host=LOCALHOST, port=tcp_proxy.port)
    server = await processes.serve(proxied.render_as_string(hide_password=False))
    async with http_client(server.base_url, timeout=20.0) as http:
        yield http
    assert server.process.returncode is None, "the API process must survive the outage"


@pytest.mark.slow
async def test_postgres_outage_is_503_on_health_and_the_api_recovers_without_restart(
    proxied_server: httpx.AsyncClient, tcp_proxy: TcpProxy
) -> None:
    http = proxied_server
    created = await http.post("/api/v1/tasks", json={"title": "before the outage"})
    assert created.status_code == 201, created.text
    task_path = created.headers["location"]

    for _ in range(2):  # an outage, a recovery, and the same again
        await tcp_proxy.stop()
        took = await wait_for_status(http, "/health", 503, OUTAGE_TIMEOUT_S)
        assert took < 5, f"/health took {took:.1f} s to notice the outage"
        assert_unavailable(await http.get("/health"))

        await tcp_proxy.start()
        await wait_for_status(http, "/health", 200, RECOVERY_TIMEOUT_S)
        health = await http.get("/health")
        assert health.json() == {"status": "ok", "database": "ok"}

    again = await http.get(task_path)
    assert again.status_code == 200, again.text
    assert again.json()["title"] == "before the outage"
    after = await http.post("/api/v1/tasks", json={"title": "after the outage"})
    assert after.status_code == 201, after.text
    listed = (await http.get("/api/v1/tasks")).json()["items"]
    assert [t["title"] for t in listed] == ["before the outage", "after the outage"]


@pytest.mark.slow
async def test_postgres_outage_is_503_not_500_on_every_endpoint(
    proxied_server: httpx.AsyncClient, tcp_proxy: TcpProxy
) -> None:
    http = proxied_server
    created = await http.post("/api/v1/tasks", json={"title": "before the outage"})
    assert created.status_code == 201, created.text
    task_path = created.headers["location"]

    await tcp_proxy.stop()
    await wait_for_status(http, "/health", 503, OUTAGE_TIMEOUT_S)
    statuses = {
        "GET task": (await http.get(task_path)).status_code,
        "GET list": (await http.get("/api/v1/tasks")).status_code,
        "POST": (await http.post("/api/v1/tasks", json={"title": "during"})).status_code,
        "PATCH": (await http.patch(task_path, json={"title": "during"})).status_code,
    }
    await tcp_proxy.start()
    await wait_for_status(http, "/health", 200, RECOVERY_TIMEOUT_S)
    listed = (await http.get("/api/v1/tasks")).json()["items"]
    assert [t["title"] for t in listed] == ["before the outage"]  # nothing half-written
    assert statuses == dict.fromkeys(statuses, 503)
