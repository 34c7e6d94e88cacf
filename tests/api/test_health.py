"""GET /health: liveness and the database check."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.core.config import Settings
from app.core.database import Database
from app.main import create_app
from tests.api.helpers import assert_problem
from tests.conftest import ON_POSTGRES

UNREACHABLE_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:1/none"


@pytest.fixture
async def unreachable_client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A client on an app whose database cannot be reached (SQLite: its directory is gone)."""
    if ON_POSTGRES:
        url = UNREACHABLE_POSTGRES_URL
        database = Database(url)
    else:
        directory = tmp_path / "gone"
        directory.mkdir()
        url = f"sqlite+aiosqlite:///{directory / 'test.db'}"
        database = Database(url)
        directory.rmdir()
    app = create_app(Settings(database_url=url), database=database)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                yield http
    finally:
        await database.dispose()


async def test_health_is_ok_with_exactly_the_contracts_body(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok"}
    assert response.headers["x-request-id"]


async def test_health_is_503_when_the_database_is_unreachable(
    unreachable_client: httpx.AsyncClient,
) -> None:
    response = await unreachable_client.get("/health")

    assert_problem(response, 503, "/problems/database-unavailable")
    assert int(response.headers["retry-after"]) > 0


@pytest.mark.skipif(ON_POSTGRES, reason="a SQLite file replaced under the app")
@pytest.mark.parametrize("replacement", [b"", b"not a database " * 1000], ids=["empty", "garbage"])
async def test_health_is_503_when_the_file_no_longer_holds_the_database(
    tmp_path: Path, replacement: bytes
) -> None:
    """An emptied (or deleted) file opens as a new database without tables: no task
    endpoint could answer, so neither may the health check."""
    path = tmp_path / "tasks.db"
    url = f"sqlite+aiosqlite:///{path}"
    database = Database(url)
    await database.create_all()
    await database.dispose()
    path.write_bytes(replacement)
    app = create_app(Settings(database_url=url), database=database)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                response = await http.get("/health")
    finally:
        await database.dispose()

    assert_problem(response, 503, "/problems/database-unavailable")


async def test_health_answers_head_with_the_same_check(
    client: httpx.AsyncClient, unreachable_client: httpx.AsyncClient
) -> None:
    up = await client.head("/health")
    down = await unreachable_client.head("/health")
    got = await client.get("/health")

    assert up.status_code == 200
    assert up.headers["content-type"] == got.headers["content-type"]
    assert up.headers["content-length"] == got.headers["content-length"]
    assert down.status_code == 503
    assert int(down.headers["retry-after"]) > 0
