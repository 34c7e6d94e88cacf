"""Shared fixtures: one database per test run, one rolled-back transaction per test.

SQLite by default; PostgreSQL when TEST_DATABASE_URL is set. On PostgreSQL the run
creates a database of its own (and drops it at the end), so leftovers from an earlier
run cannot change the outcome.
"""

import asyncio
import copy
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker, create_async_engine

from app.core.config import Settings
from app.core.database import Database
from app.main import create_app
from app.models import Base

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")


def pytest_report_header() -> str:
    """Say which engine this run uses."""
    return f"database engine: {'postgresql' if ON_POSTGRES else 'sqlite'}"


@pytest.fixture(scope="session", autouse=True)
def utc_local_time() -> Iterator[None]:
    """The whole run, subprocesses included, in UTC: local-time rules (Taskwarrior's due
    dates) give the same results on every machine; tests of other zones set their own."""
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if previous is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = previous
    time.tzset()


async def _admin_execute(admin_url: str, *statements: str) -> None:
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, empty database for this run (dropped afterwards on PostgreSQL)."""
    if not ON_POSTGRES:
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    name = f"tt_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin_execute(TEST_DATABASE_URL, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        asyncio.run(_admin_execute(TEST_DATABASE_URL, drop))


@pytest.fixture(scope="session")
async def database(database_url: str) -> AsyncIterator[Database]:
    """The run's database with every table created."""
    db = Database(database_url)
    await db.create_all()
    yield db
    await db.dispose()


@pytest.fixture
async def connection(database: Database) -> AsyncIterator[AsyncConnection]:
    """One connection inside an outer transaction that is rolled back after the test."""
    async with database.write_engine.connect() as conn:
        transaction = await conn.begin()
        try:
            yield conn
        finally:
            await transaction.rollback()


@pytest.fixture
def db(database: Database, connection: AsyncConnection) -> Database:
    """The app's `Database`, its session factories bound to the test's transaction.

    Sessions join it through savepoints, so the real commit/rollback path runs and
    everything disappears when the test ends.
    """
    isolated = copy.copy(database)
    factory = async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    isolated.writer = factory
    isolated.reader = factory
    isolated.snapshot_reader = factory
    return isolated


@pytest.fixture
async def client(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the ASGI app in-process."""
    app = create_app(Settings(database_url=db.safe_url), database=db)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


def _truncate_all(url: str) -> None:
    async def run() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                names = ", ".join(t.name for t in reversed(Base.metadata.sorted_tables))
                await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        finally:
            await engine.dispose()

    asyncio.run(run())


@pytest.fixture
def committed_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database for tests whose changes really commit (CLI, processes, concurrency).

    SQLite: a new file per test. PostgreSQL: the run's database, emptied afterwards.
    """
    if not ON_POSTGRES:
        yield f"sqlite+aiosqlite:///{tmp_path / 'committed.db'}"
        return
    try:
        yield database_url
    finally:
        _truncate_all(database_url)
