"""Engines, sessions and the transaction boundary shared by the API and the CLI.

SQLite gets two engines on one file: a *writer* whose transactions start with
`BEGIN IMMEDIATE` (so read-modify-write cycles are serialised and wait up to the busy
timeout for the lock) and a *reader* in autocommit mode (each read is one statement,
WAL lets it run while a writer holds the lock, and it skips BEGIN/ROLLBACK round trips).
PostgreSQL uses one pooled engine for both.

A *snapshot* session (for exports) reads many batches in one read transaction, so the
whole stream sees the database as it was when it began: a task changed meanwhile is
neither repeated nor skipped. On SQLite it gets a connection of its own, outside the
reader pool, so slow export clients never starve the API's reads; on PostgreSQL it is
a pooled REPEATABLE READ transaction.
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import MetaData, event, inspect, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, InvalidRequestError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from app.core.db_errors import describe_failure, translate_db_error
from app.core.errors import DatabaseBusyError, DatabaseUnavailableError, DatabaseUrlError
from app.core.sqlite_driver import ONE_HOP_DRIVER
from app.core.sqlite_driver import POINT_READ as POINT_READ  # for the DAL
from app.core.sqlite_driver import SHORT_READ as SHORT_READ  # for the DAL

logger = logging.getLogger(__name__)

_CREATE_ATTEMPTS = 5
_DDL_LOCK = 0x7461736B  # any constant shared by every process of this app ("task")


class Database:
    """The engines and session factories for one database URL."""

    def __init__(
        self,
        url: str,
        *,
        busy_timeout_ms: int = 5_000,
        pool_size: int = 10,
        inline_reads: bool = True,
    ) -> None:
        try:
            self._create_engines(url, busy_timeout_ms, pool_size, inline_reads)
        except (ArgumentError, InvalidRequestError, ImportError) as exc:
            raise DatabaseUrlError(
                "The database URL is not usable; use sqlite+aiosqlite:///PATH "
                "or postgresql+asyncpg://USER:PASSWORD@HOST:PORT/NAME."
            ) from exc
        self.writer = async_sessionmaker(self.write_engine, expire_on_commit=False)
        self.reader = async_sessionmaker(self.read_engine, expire_on_commit=False)
        self.snapshot_reader = async_sessionmaker(self.snapshot_engine, expire_on_commit=False)

    def _create_engines(
        self, url: str, busy_timeout_ms: int, pool_size: int, inline_reads: bool
    ) -> None:
        self.url: URL = make_url(url)
        self.backend = self.url.get_backend_name()
        if self.backend == "sqlite":
            _check_sqlite_directory(self.url)
            self.write_engine = _sqlite_engine(
                self.url, busy_timeout_ms, pool_size=1, begin="BEGIN IMMEDIATE"
            )
            self.read_engine = _sqlite_engine(
                self.url, busy_timeout_ms, pool_size=pool_size, begin=None, inline=inline_reads
            )
            self.snapshot_engine = _sqlite_engine(
                self.url, busy_timeout_ms, pool_size=0, begin="BEGIN"
            )
        else:
            self.write_engine = create_async_engine(
                self.url, pool_pre_ping=True, pool_size=pool_size, max_overflow=0
            )
            self.read_engine = self.write_engine
            self.snapshot_engine = self.write_engine.execution_options(
                isolation_level="REPEATABLE READ"
            )

    @asynccontextmanager
    async def session(
        self, *, write: bool = True, snapshot: bool = False
    ) -> AsyncIterator[AsyncSession]:
        """Yield a session; commit when the block succeeds, roll back on any exception.

        This is the one transaction boundary: services and repositories never commit.
        Database errors leave it as domain errors (busy → `DatabaseBusyError`, …).
        `snapshot` (a read): every query of the session sees one moment of the database.
        """
        factory = self.writer if write else self.snapshot_reader if snapshot else self.reader
        try:
            async with factory() as session:
                try:
                    yield session
                    if write:
                        await session.commit()
                    elif snapshot:
                        await session.rollback()  # ends the read transaction
                except BaseException:
                    await session.rollback()
                    raise
        except (SQLAlchemyError, OSError) as exc:
            # OSError: asyncpg reports a refused connection as a plain ConnectionRefusedError.
            translated = translate_db_error(exc)
            if translated is None:
                raise
            raise translated from exc

    async def create_all(self) -> None:
        """Create missing tables (no migrations by decision: `create_all` on start).

        When every table exists (the usual case) nothing takes the write lock, so a CLI
        read or a server start never waits behind a long import. On PostgreSQL an
        advisory lock serialises processes creating the schema at the same moment. A new
        SQLite file starts in rollback-journal mode, where two processes creating it at
        once can get SQLITE_BUSY without waiting (lock upgrade deadlock), so a busy
        attempt is retried a few times.
        """
        for attempt in range(1, _CREATE_ATTEMPTS + 1):
            try:
                await self._create_missing_tables()
                return
            except DatabaseBusyError:
                if attempt == _CREATE_ATTEMPTS:
                    raise
                await asyncio.sleep(0.05 * attempt)

    async def _create_missing_tables(self) -> None:
        from app.models import Base  # models import this module's package

        try:
            async with self.read_engine.connect() as conn:
                if await conn.run_sync(_has_all_tables, Base.metadata):
                    return
            async with self.write_engine.begin() as conn:
                if self.backend == "postgresql":
                    lock = text("SELECT pg_advisory_xact_lock(:key)")
                    await conn.execute(lock, {"key": _DDL_LOCK})
                await conn.run_sync(Base.metadata.create_all)
        except (SQLAlchemyError, OSError) as exc:
            raise translate_db_error(exc) or DatabaseUnavailableError(
                describe_failure(exc)
            ) from exc

    async def ping(self) -> None:
        """Read from the tasks table; raise a domain error when the database cannot answer.

        Not `SELECT 1`: SQLite answers that without reading its file, so a database file
        that was damaged or replaced by something else would pass the check.
        """
        from app.models import Task  # models import this module's package

        try:
            async with self.read_engine.connect() as conn:
                await conn.execute(select(Task.id).limit(1))
        except (SQLAlchemyError, OSError) as exc:
            raise translate_db_error(exc) or DatabaseUnavailableError(
                "The database is unreachable."
            ) from exc

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()
            await self.snapshot_engine.dispose()

    @property
    def safe_url(self) -> str:
        """The URL without its password, fit for logs and `/health`."""
        return self.url.render_as_string(hide_password=True)


def _has_all_tables(sync_conn: Any, metadata: MetaData) -> bool:
    inspector = inspect(sync_conn)
    return all(inspector.has_table(table.name) for table in metadata.sorted_tables)


def sqlite_file(url: str | URL) -> Path | None:
    """The file a SQLite URL names (a path or a `file:` URI); None in memory or not SQLite."""
    url = make_url(url)
    database = url.database or ""
    if url.get_backend_name() != "sqlite":
        return None
    if database.startswith("file:"):  # `file:/abs.db`, `file:rel.db`, `file:///abs.db?mode=rw`
        parts = urlsplit(database)
        if "mode=memory" in parts.query:
            return None
        database = unquote(parts.path)
    if database in ("", ":memory:"):
        return None
    return Path(database).expanduser()


def plain_sqlite_path(url: str | URL) -> Path | None:
    """The file a SQLite URL names by a plain path, else None.

    None for a `file:` URI (SQLite reads those itself, options and all), for memory,
    or for another database.
    """
    if (make_url(url).database or "").startswith("file:"):
        return None
    return sqlite_file(url)


def _check_sqlite_directory(url: URL) -> None:
    """Refuse a SQLite path that is a directory or whose directory does not exist.

    Checked before any driver thread starts; SQLite would only say "unable to open".
    """
    path = plain_sqlite_path(url)
    if path is None:
        return
    if path.is_dir():
        raise DatabaseUrlError(
            f"The database path {path} is a directory; name a file in it, such as "
            f"{path / 'tasks.db'}."
        )
    directory = path.resolve().parent
    if not directory.is_dir():
        raise DatabaseUnavailableError(
            f"The database cannot be opened: the directory {directory} does not exist."
        )


def _sqlite_engine(
    url: URL, busy_timeout_ms: int, *, pool_size: int, begin: str | None, inline: bool = False
) -> AsyncEngine:
    """Build a SQLite engine with SQLAlchemy's documented transaction hooks.

    See https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#serializable-isolation-savepoints-transactional-ddl

    `pool_size=0`: no pool, a connection opened for each session and closed after it.
    Otherwise a fixed pool, no overflow: an overflow connection is closed on return, and each new
    one costs a thread, a file open and its PRAGMAs (under load that was one in every
    ~40 requests). Callers beyond the pool queue on it, without polling. The writer has
    one connection per process, so writers queue here instead of sleeping in SQLite's
    busy handler (other processes still get the busy timeout); waiting longer than that
    is a 503, like a lock. Readers never wait for a lock (WAL), so a reader waiting for a
    connection only means a busy server: it keeps SQLAlchemy's default 30 s.
    """
    if url.get_driver_name() != "aiosqlite":  # e.g. `sqlite://`, the blocking driver
        raise ArgumentError(f"not an async SQLite driver: {url.drivername}")
    reader = begin is None
    connect_args: dict[str, Any] = {"timeout": busy_timeout_ms / 1000}
    if reader and inline:  # point and short reads on the event loop's thread (sqlite_driver)
        connect_args["inline_reads"] = True
    options: dict[str, Any] = {"connect_args": connect_args}
    if pool_size == 0:  # a connection per session (snapshots: never wait for a pool)
        options["poolclass"] = NullPool
    else:
        options.update(pool_size=pool_size, max_overflow=0)
    if not reader:
        if pool_size:
            options["pool_timeout"] = busy_timeout_ms / 1000
    else:
        # Reads never BEGIN, so there is nothing to roll back: skip those round trips.
        options["isolation_level"] = "AUTOCOMMIT"
        options["pool_reset_on_return"] = None
        options["skip_autocommit_rollback"] = True
    # SQLAlchemy's aiosqlite dialect, one round trip to aiosqlite's thread per statement.
    engine = create_async_engine(url.set(drivername=ONE_HOP_DRIVER), **options)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        # Unicode case folding for case-insensitive search (app.models.base.casefold).
        dbapi_connection.create_function("casefold", 1, _casefold, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    if not reader:

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql(begin)

    return engine


def _casefold(value: str | None) -> str | None:
    # Unicode folds "İ" to "i" + U+0307 (combining dot); PostgreSQL's lower() gives "i",
    # and so does this, so that "istanbul" finds "İstanbul" on both engines.
    return value.casefold().replace("i\u0307", "i") if isinstance(value, str) else value
