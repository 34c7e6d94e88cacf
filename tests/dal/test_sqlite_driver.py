"""The one-hop aiosqlite adapter (app/core/sqlite_driver.py) behaves like SQLAlchemy's own.

Each statement must make exactly one trip to aiosqlite's thread, and everything a
caller sees must stay the same: rows, rowcount, lastrowid, executemany, streaming,
errors (and their translation to 503), rollback, and `driver_connection`.
"""

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import aiosqlite
import aiosqlite.core
import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.core import sqlite_driver
from app.core.database import POINT_READ, SHORT_READ, Database
from app.core.enums import SortField, SortOrder
from app.core.errors import DatabaseBusyError
from app.core.sqlite_driver import ONE_HOP_DRIVER, OneHopConnection
from app.dal.task import TaskRepository
from app.schemas.task import TaskFilters
from tests.conftest import ON_POSTGRES

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="SQLite only: the aiosqlite adapter")


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(f"{ONE_HOP_DRIVER}:///{tmp_path / 'driver.db'}")
    async with eng.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"))
    yield eng
    await eng.dispose()


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every function shipped to an aiosqlite connection thread."""
    calls: list[str] = []
    original = aiosqlite.core.Connection._execute

    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.core.Connection, "_execute", counted)
    return calls


async def test_a_select_is_one_hop_and_returns_its_rows(
    engine: AsyncEngine, hops: list[str]
) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (name) VALUES ('a'), ('b')"))
    async with engine.connect() as conn:
        hops.clear()
        result = await conn.execute(text("SELECT id, name FROM t ORDER BY id"))
        assert hops == ["run_statement"]
        assert list(result.keys()) == ["id", "name"]
        assert result.all() == [(1, "a"), (2, "b")]
        empty = await conn.execute(text("SELECT id FROM t WHERE id > 99"))
        assert empty.first() is None


async def test_writes_report_lastrowid_and_rowcount(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        inserted = await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
        assert inserted.lastrowid == 1
        many = await conn.execute(
            text("INSERT INTO t (name) VALUES (:name)"), [{"name": "b"}, {"name": "c"}]
        )
        assert many.rowcount == 2
        updated = await conn.execute(text("UPDATE t SET name = name || '!' WHERE id > 1"))
        assert updated.rowcount == 2
        returned = await conn.execute(text("INSERT INTO t (name) VALUES ('d') RETURNING id"))
        assert returned.scalar_one() == 4
        deleted = await conn.execute(text("DELETE FROM t WHERE id = 1"))
        assert deleted.rowcount == 1
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT name FROM t ORDER BY id"))).scalars().all()
    assert rows == ["b!", "c!", "d"]


async def test_streaming_still_uses_a_driver_cursor(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        rows = [{"n": str(i)} for i in range(5)]
        await conn.execute(text("INSERT INTO t (name) VALUES (:n)"), rows)
    async with engine.connect() as conn:
        streamed = await conn.stream(text("SELECT name FROM t ORDER BY id"))
        assert [row.name async for row in streamed] == ["0", "1", "2", "3", "4"]


async def test_errors_are_the_drivers_wrapped_by_sqlalchemy(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        with pytest.raises(OperationalError, match="no such table"):
            await conn.execute(text("SELECT * FROM missing"))
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
    with pytest.raises(IntegrityError, match="UNIQUE"):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))


async def test_rollback_undoes_and_costs_no_hop_without_a_transaction(
    engine: AsyncEngine, hops: list[str]
) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO t (name) VALUES ('kept?')"))
        hops.clear()
        await conn.rollback()
        assert hops == ["rollback"]  # a transaction was open: it really rolls back
        hops.clear()
        await conn.rollback()
        assert hops == []  # none open: nothing to send
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0
        hops.clear()
    assert hops == []  # returned to the pool without a round trip


async def test_driver_connection_is_aiosqlites(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.dbapi_connection, OneHopConnection)
        driver = raw.driver_connection
        assert isinstance(driver, aiosqlite.Connection)
        cursor = await driver.executemany("INSERT INTO t (name) VALUES (?)", [("x",), ("y",)])
        await cursor.close()
    # Committed, not merely visible to the pooled connection that wrote it.
    database = engine.url.database
    assert database is not None
    with closing(sqlite3.connect(database)) as other:
        assert other.execute("SELECT count(*) FROM t").fetchone() == (2,)


async def test_a_locked_database_is_busy_after_the_timeout(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    database = Database(f"sqlite+aiosqlite:///{path}", busy_timeout_ms=100)
    await database.create_all()
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(DatabaseBusyError):
            async with database.session() as session:
                await session.execute(text("SELECT 1"))
        async with database.session(write=False) as session:  # WAL: reads go on
            assert (await session.execute(text("SELECT count(*) FROM tasks"))).scalar_one() == 0
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        await database.dispose()


async def test_a_failed_statement_still_rolls_back(engine: AsyncEngine, hops: list[str]) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
        with pytest.raises(IntegrityError):
            await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
        hops.clear()
        await conn.rollback()
        assert hops == ["rollback"]
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0


async def test_readers_queue_on_a_fixed_pool(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}", pool_size=2)
    connects: list[object] = []
    event.listen(database.read_engine.sync_engine, "connect", lambda conn, _: connects.append(conn))
    await database.create_all()

    async def read() -> int:
        async with database.session(write=False) as session:
            return int((await session.execute(text("SELECT count(*) FROM tasks"))).scalar_one())

    try:
        for _ in range(3):
            assert await asyncio.gather(*(read() for _ in range(20))) == [0] * 20
        assert len(connects) == 2  # never more than the pool, none closed and reopened
    finally:
        await database.dispose()


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'point.db'}")
    async with db.session() as session:
        await session.execute(text("CREATE TABLE probe (id INTEGER PRIMARY KEY, name TEXT)"))
        await session.execute(text("INSERT INTO probe VALUES (1, 'one')"))
    yield db
    await db.dispose()


POINT_READ_SQL = text("SELECT id, name FROM probe WHERE id = :id").execution_options(
    **{POINT_READ: True}
)


async def test_a_point_read_on_a_reader_runs_without_a_hop(
    database: Database, hops: list[str]
) -> None:
    async with database.session(write=False) as session:
        await session.execute(text("SELECT 1"))  # the connection is open
        hops.clear()
        assert (await session.execute(POINT_READ_SQL, {"id": 1})).all() == [(1, "one")]
        assert (await session.execute(POINT_READ_SQL, {"id": 2})).all() == []
        assert hops == []
        await session.execute(text("SELECT id FROM probe"))  # not marked: it may scan
        assert hops == ["run_statement"]


async def test_a_point_read_on_the_writer_keeps_its_hop(
    database: Database, hops: list[str]
) -> None:
    async with database.session(write=True) as session:
        await session.execute(text("UPDATE probe SET name = 'uno' WHERE id = 1"))
        hops.clear()
        # The writer's connection is bound to its thread; the read sees the open write.
        assert (await session.execute(POINT_READ_SQL, {"id": 1})).all() == [(1, "uno")]
        assert hops == ["run_statement"]


async def test_an_inline_point_read_fails_like_any_statement(
    database: Database, hops: list[str]
) -> None:
    missing = text("SELECT id FROM nowhere WHERE id = 1").execution_options(**{POINT_READ: True})
    async with database.session(write=False) as session:
        await session.execute(text("SELECT 1"))  # the connection is open
        hops.clear()
        with pytest.raises(OperationalError, match="no such table"):
            await session.execute(missing)
    assert hops == []  # it failed inline, and was reported as the driver's error


@pytest.fixture
async def one_task(database: Database) -> Database:
    """The product's schema holding one task, #1 titled 't'."""
    await database.create_all()
    async with database.session() as session:
        await session.execute(
            text(
                "INSERT INTO tasks (title, status, priority, tags, created_at, updated_at, "
                "version) VALUES ('t', 'todo', 2, '', '2026-01-01 00:00:00', "
                "'2026-01-01 00:00:00', 1)"
            )
        )
    return database


async def test_the_task_repository_reads_one_task_without_a_hop(
    one_task: Database, hops: list[str]
) -> None:
    async with one_task.session(write=False) as session:
        await session.execute(text("SELECT 1"))  # the connection is open
        hops.clear()
        row = await TaskRepository(session).get(1)
        assert row is not None
        assert row.title == "t"
        assert hops == []


async def test_a_point_read_streams_like_any_read(database: Database) -> None:
    async with database.read_engine.connect() as conn:
        result = await conn.stream(POINT_READ_SQL, {"id": 1})
        assert [tuple(row) async for row in result] == [(1, "one")]


@pytest.fixture
async def thousand_rows(database: Database) -> Database:
    async with database.session() as session:
        await session.execute(
            text(
                "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) "
                "INSERT INTO probe SELECT i, 'name ' || i FROM n"
            )
        )
    return database


def _short(sql: str) -> Any:
    return text(sql).execution_options(**{SHORT_READ: True})


async def test_a_short_read_on_a_reader_runs_without_a_hop(
    thousand_rows: Database, hops: list[str]
) -> None:
    async with thousand_rows.session(write=False) as session:
        await session.execute(text("SELECT 1"))  # the connection is open
        hops.clear()
        page = (await session.execute(_short("SELECT id FROM probe ORDER BY id LIMIT 50"))).all()
        assert [row.id for row in page] == list(range(1, 51))
        assert hops == []


async def test_a_short_read_over_its_budget_finishes_on_the_thread(
    thousand_rows: Database, hops: list[str]
) -> None:
    # No index on name: the filter reads all 1,000 rows, far over a budget of 2,000.
    scan = _short("SELECT id FROM probe WHERE name LIKE '%999' ORDER BY id LIMIT 50")
    async with thousand_rows.session(write=False) as session:
        await session.execute(text("SELECT 1"))
        hops.clear()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(sqlite_driver, "SHORT_READ_BUDGET", 2_000)
            assert (await session.execute(scan)).all() == [(999,)]
        assert hops == ["run_statement"]  # interrupted inline, then run again there
        # The interruption is not left behind: an unmarked long read still completes.
        assert (await session.execute(text("SELECT count(*) FROM probe"))).scalar() == 1000


async def test_a_short_read_that_fails_inline_reports_its_error(
    database: Database, hops: list[str]
) -> None:
    async with database.session(write=False) as session:
        await session.execute(text("SELECT 1"))
        hops.clear()
        with pytest.raises(OperationalError, match="no such table"):
            await session.execute(_short("SELECT id FROM nowhere LIMIT 50"))
    assert hops == []  # an error is not an overrun: it is not run again on the thread


async def test_the_budget_is_cleared_after_each_short_read(
    thousand_rows: Database, hops: list[str]
) -> None:
    everything = text("SELECT a.id FROM probe a, probe b LIMIT 1 OFFSET 999999").execution_options(
        **{POINT_READ: True}  # a point read has no budget: 10^6 joined rows must complete
    )
    async with thousand_rows.session(write=False) as session:
        await session.execute(_short("SELECT id FROM probe LIMIT 1"))
        hops.clear()
        assert (await session.execute(everything)).scalar() == 1000
        assert hops == []


async def test_a_reader_without_inline_reads_keeps_every_hop(
    tmp_path: Path, hops: list[str]
) -> None:
    """The CLI's `Database`: a point read there makes its trip like any statement."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}", inline_reads=False)
    try:
        async with database.session() as session:
            await session.execute(text("CREATE TABLE probe (id INTEGER PRIMARY KEY, name TEXT)"))
        async with database.session(write=False) as session:
            await session.execute(text("SELECT 1"))
            hops.clear()
            assert (await session.execute(POINT_READ_SQL, {"id": 1})).all() == []
            assert (await session.execute(_short("SELECT id FROM probe LIMIT 50"))).all() == []
            assert hops == ["run_statement", "run_statement"]
    finally:
        await database.dispose()


async def test_the_task_repository_reads_a_page_without_a_hop(
    one_task: Database, hops: list[str]
) -> None:
    filters = TaskFilters(sort=SortField.TITLE, order=SortOrder.DESC)
    async with one_task.session(write=False) as session:
        await session.execute(text("SELECT 1"))
        hops.clear()
        rows = await TaskRepository(session).page(filters, date(2026, 1, 1), None, 50)
        assert [row.title for row in rows] == ["t"]
        assert hops == []
        # A text search scans, calling Python to fold case for every row: on the thread.
        searched = TaskFilters(q="T")
        rows = await TaskRepository(session).page(searched, date(2026, 1, 1), None, 50)
        assert [row.title for row in rows] == ["t"]
        assert hops == ["run_statement"]
