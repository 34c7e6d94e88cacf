"""SQLAlchemy's aiosqlite adapter: one thread hop per statement, none for a point read.

aiosqlite runs every sqlite3 call on its connection's own thread. SQLAlchemy's adapter
makes four such calls per statement (`cursor()`, `execute()`, `fetchall()`, `close()`),
and each is a round trip through a queue, the GIL and the event loop's wake-up pipe:
on a busy machine those round trips cost more than the query. This adapter runs the
whole statement (open a cursor, execute, fetch every row, close) as one function on
that thread, and answers `rollback()`/`commit()` without a round trip when no
transaction can be open (sqlite3 itself sends nothing then, but only after the trip).

A *point read* (a statement run with the execution option `POINT_READ`, such as a
look-up by primary key) makes no trip at all on a connection opened with the connect
argument `inline_reads=True`: it runs on the calling thread, the event loop's.
It takes microseconds, less than the trip it saves.

A *short read* (`SHORT_READ`: a page of a list, an index range under a LIMIT) runs
inline too, but only up to `SHORT_READ_BUDGET` SQLite instructions: a progress handler
interrupts it there, and it runs again on the thread, like any read that may scan. The
budget counts SQLite's own work only: a read that calls Python functions for every row
(a text search's case folding) is not a short read.
On the thread, a read that returns rows is slow whenever the event loop is busy:
sqlite3 releases the GIL for every row it steps through and must win it back from the
loop each time, which waits up to the interpreter's switch interval (5 ms). A page of
50 rows took 160 µs inline and 355 ms on the thread beside a busy thread (README,
"Performance").

The price: while SQLite itself waits (for a lock other processes hold, as
during WAL recovery or a checkpoint's restart, or for slow storage), the whole event
loop waits with it, up to the busy timeout. A WAL reader almost never waits, hence
the choice; a writer never runs inline. SQLAlchemy never has two statements of one
connection in flight (cancelling a caller mid-statement discards the connection, and
that close waits for the statement), and SQLite serialises calls on a connection anyway
(`sqlite3.threadsafety == 3`).

The dialect `OneHopDialect` (URLs `sqlite+onehop://`) puts it all together.

Everything else is SQLAlchemy's adapter unchanged: streaming (server-side) cursors,
error translation, and `driver_connection`, still the `aiosqlite.Connection`.

It relies on internals, hence the version pins in pyproject.toml and the tests in
tests/dal/test_sqlite_driver.py: SQLAlchemy 2.1's `AsyncAdapt_aiosqlite_*` classes and
aiosqlite's `Connection._execute(fn, *args)` (queue `fn` on the connection's thread).
"""

import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    AsyncAdapt_aiosqlite_ss_cursor,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

from app.core.sqlite_statement import Outcome, run_statement, run_statement_within

POINT_READ = "point_read"
"""Execution option: this read is a bounded index look-up, cheap enough to run inline."""
SHORT_READ = "short_read"
"""Execution option: this read is usually short (an index range under a LIMIT): run it
inline, and move it to the thread if it takes more than `SHORT_READ_BUDGET`."""

# What the event loop may spend on one short read, in SQLite VM instructions: work, not
# time, so that a read the OS pauses is not sent to the thread for it. A page of 50
# tasks takes about 1,300; this budget is about 2 ms of CPU on this project's machine.
SHORT_READ_BUDGET = 50_000


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statements each make one trip to the driver's thread.

    It holds no sqlite3 cursor between calls: the rows, description, rowcount and
    lastrowid of the last statement are kept here, as the buffered adapter did anyway.
    """

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount", "inline")

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        # Not the parent's __init__: that opens a driver cursor (a round trip).
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1
        # Set per statement by `OneHopDialect.do_execute`: POINT_READ, SHORT_READ or None.
        self.inline: str | None = None

    @property
    def description(self) -> Any:
        """The last statement's column description (None when it returned no rows)."""
        return self._description

    @property
    def rowcount(self) -> int:
        """Rows the last statement changed, as sqlite3 reports it."""
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        """The rowid of the last inserted row, as sqlite3 reports it."""
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        """Rows per `fetchmany()` by default."""
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    def execute(self, operation: Any, parameters: Any = None) -> None:
        """Run one statement (one round trip, none for a point read) and buffer its rows."""
        self._run(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> None:
        """Run one statement for every parameter set (one round trip)."""
        self._run(operation, seq_of_parameters, many=True)

    def _run(self, operation: str, parameters: Any, *, many: bool) -> None:
        connection: OneHopConnection = self._adapt_connection  # type: ignore[assignment]
        # Until the statement reports back (it may fail, or its caller be cancelled while
        # it still runs), a transaction may be open: a rollback must then really be sent.
        connection.in_transaction = True
        try:
            if self.inline is not None and connection.inline_allowed and not many:
                run = self._run_inline
            else:
                run = self._run_async
            outcome = await_(run(operation, parameters, many))
        except Exception as error:
            connection._handle_exception(error)
        self._description, rows, self._rowcount, self._lastrowid, in_transaction = outcome
        self._rows = collections.deque(rows)
        connection.in_transaction = in_transaction

    async def _run_inline(self, operation: str, parameters: Any, many: bool) -> Outcome:
        # Awaited like any statement (SQLAlchemy's async layer requires an await), but run
        # here, on the caller's thread; a short read that overruns goes to the thread.
        driver: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        if not driver._running:  # as aiosqlite refuses a stopped connection's calls
            raise ValueError("Connection closed")
        if self.inline == POINT_READ:
            return run_statement(driver._conn, operation, parameters, many)
        outcome = run_statement_within(driver._conn, SHORT_READ_BUDGET, operation, parameters)
        if outcome is None:
            return await self._run_async(operation, parameters, many)
        return outcome

    async def _run_async(self, operation: str, parameters: Any, many: bool) -> Outcome:
        driver: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        async with self._adapt_connection._execute_mutex:
            # `_conn` raises "no active connection" once closed, which the adapter maps.
            outcome: Outcome = await driver._execute(  # type: ignore[no-untyped-call]
                run_statement, driver._conn, operation, parameters, many
            )
            return outcome

    async def _async_soft_close(self) -> None:
        """Nothing to close: the driver cursor was closed with its statement."""

    def close(self) -> None:
        """Drop any unread rows."""
        self._rows.clear()

    def setinputsizes(self, *inputsizes: Any) -> None:
        """A no-op, as in sqlite3."""

    def nextset(self) -> None:
        """sqlite3 has no multiple result sets."""
        raise NotImplementedError("sqlite3 cursors have no nextset()")


class OneHopStreamingCursor(AsyncAdapt_aiosqlite_ss_cursor):
    """SQLAlchemy's streaming cursor (a driver cursor per call), noting a possible transaction."""

    __slots__ = ()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        self._adapt_connection.in_transaction = True  # type: ignore[attr-defined]
        return await super()._execute_async(operation, parameters)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        self._adapt_connection.in_transaction = True  # type: ignore[attr-defined]
        return await super()._executemany_async(operation, seq_of_parameters)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection with one-hop cursors and free no-op rollbacks.

    `in_transaction` is False only when the last statement run through this adapter
    reported that SQLite has no transaction open, or after a commit or rollback; a commit
    or rollback is skipped only when SQLite's own flag agrees (work done directly on
    `driver_connection` sets only that one).
    """

    __slots__ = ("in_transaction", "inline_allowed")
    _cursor_cls = OneHopCursor
    _ss_cursor_cls = OneHopStreamingCursor

    def __init__(self, dbapi: Any, connection: Any, *, inline_allowed: bool = False) -> None:
        super().__init__(dbapi, connection)
        self.in_transaction = False
        # Only a connection opened with `inline_reads=True` runs point and short reads inline.
        self.inline_allowed = inline_allowed

    def rollback(self) -> None:
        """Roll back, without a round trip when no transaction is open."""
        if self._transaction_may_be_open():
            super().rollback()
            self.in_transaction = False

    def commit(self) -> None:
        """Commit, without a round trip when no transaction is open."""
        if self._transaction_may_be_open():
            super().commit()
            self.in_transaction = False

    def _transaction_may_be_open(self) -> bool:
        """Our flag, or SQLite's own (work done on `driver_connection` directly sets only that).

        Reading SQLite's autocommit flag is a plain field read: no trip to the thread.
        """
        if self.in_transaction:
            return True
        try:
            return bool(self._connection._conn.in_transaction)
        except (ValueError, sqlite3.Error):  # closed: let the real call report it
            return True


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module of `OneHopDialect` (an engine on a `sqlite+onehop://` URL)."""

    def __init__(self) -> None:
        super().__init__(aiosqlite, sqlite3)

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        """Open an aiosqlite connection and wrap it in the one-hop adapter.

        `inline_reads=True` (ours, not sqlite3's) lets point and short reads run on the
        caller's thread, so the sqlite3 connection is opened for use from any thread.
        """
        inline_allowed = bool(kw.pop("inline_reads", False))
        if inline_allowed:
            kw["check_same_thread"] = False
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection, inline_allowed=inline_allowed)


class OneHopDialect(SQLiteDialect_aiosqlite):
    """SQLAlchemy's aiosqlite dialect on the one-hop adapter; URLs say `sqlite+onehop`."""

    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> OneHopDBAPI:
        """The one-hop adapter in place of SQLAlchemy's."""
        return OneHopDBAPI()

    def do_execute(self, cursor: Any, statement: Any, parameters: Any, context: Any = None) -> None:
        """Run one statement, telling a buffered cursor whether it may run inline."""
        if context is not None and isinstance(cursor, OneHopCursor):
            options = context.execution_options
            if options.get(POINT_READ):
                cursor.inline = POINT_READ
            else:
                cursor.inline = SHORT_READ if options.get(SHORT_READ) else None
        cursor.execute(statement, parameters)


ONE_HOP_DRIVER = "sqlite+onehop"
registry.register("sqlite.onehop", __name__, OneHopDialect.__name__)
