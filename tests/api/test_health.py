"""GET /health: liveness and the database check."""

from collections.abc import AsyncIterator

import httpx
import pytest

from app.core.config import Settings
from app.core.database import Database
from app.main import create_app
from tests.api.helpers import assert_problem
from tests.conftest import ON_POSTGRES

UNREACHABLE_URL = (
    "postgresql+asyncpg://postgres@127.0.0.1:1/none"
    if ON_POSTGRES
    else "sqlite+aiosqlite:////nonexistent-directory/for/health/test.db"
)


@pytest.fixture
async def unreachable_client() -> AsyncIterator[httpx.AsyncClient]:
    """A client on an app whose database cannot be reached."""
    database = Database(UNREACHABLE_URL)
    app = create_app(Settings(database_url=UNREACHABLE_URL), database=database)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                yield http
    finally:
        await database.dispose()


async def test_health_is_ok_and_names_the_engine(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "engine": "postgresql" if ON_POSTGRES else "sqlite",
    }
    assert response.headers["x-request-id"]


async def test_health_is_503_when_the_database_is_unreachable(
    unreachable_client: httpx.AsyncClient,
) -> None:
    response = await unreachable_client.get("/health")

    assert_problem(response, 503, "/problems/database-unavailable")
    assert int(response.headers["retry-after"]) > 0
