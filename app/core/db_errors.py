"""Which driver errors a caller can act on: the database busy, unreachable, or a conflict.

SQLite and PostgreSQL (asyncpg) say the same things differently. `Database` sessions
(which the API and the CLI both use) and the API's error handlers translate through
this one function, so both front doors report the same error for the same failure.
"""

import socket

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from sqlalchemy.orm.exc import StaleDataError

from app.core.errors import AppError, ConflictError, DatabaseBusyError, DatabaseUnavailableError

_BUSY_MARKERS = ("database is locked", "database is busy", "database table is locked")
# PostgreSQL: serialization_failure, deadlock_detected, lock_not_available.
_BUSY_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
_UNAVAILABLE_MARKERS = ("unable to open database file",)
# What a driver raises when the server cannot be reached (not, say, a broken stdout pipe).
_CONNECTION_ERRORS = (
    ConnectionRefusedError,
    ConnectionResetError,
    ConnectionAbortedError,
    socket.gaierror,
    TimeoutError,
)


def translate_db_error(exc: BaseException) -> AppError | None:
    """Map a driver error to the domain error a caller can act on, or None if unexpected."""
    if isinstance(exc, SQLAlchemyTimeoutError):  # no pooled connection free in time
        return DatabaseBusyError("The database is busy; retry in a moment.")
    if isinstance(exc, StaleDataError):
        return ConflictError("The task was changed by someone else at the same time; retry.")
    if isinstance(exc, IntegrityError):
        return ConflictError(
            "The change conflicts with the current data (a name already taken, or a project "
            "deleted meanwhile); check and retry."
        )
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    message = str(orig).lower()
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if any(marker in message for marker in _BUSY_MARKERS) or sqlstate in _BUSY_SQLSTATES:
        return DatabaseBusyError("The database is busy; retry in a moment.")
    if any(marker in message for marker in _UNAVAILABLE_MARKERS):  # SQLite: a file, no server
        return DatabaseUnavailableError(
            "The database file cannot be opened: check that its directory exists and that "
            "it may be written there."
        )
    connection_lost = isinstance(exc, DBAPIError) and exc.connection_invalidated
    if (
        connection_lost
        or isinstance(orig, _CONNECTION_ERRORS)
        or (isinstance(sqlstate, str) and sqlstate.startswith(("08", "57P", "53")))
    ):
        return DatabaseUnavailableError("The database is unreachable; retry later.")
    return None


# Failures of a SQLite file that no retry mends, in words a person can act on. The CLI
# says these; the API answers them with a 500 like anything else unexpected.
_SQLITE_FAILURES = (
    (
        ("readonly database",),
        "The database is read-only: check the permissions of the file and of its directory.",
    ),
    (("database or disk is full",), "The disk holding the database is full."),
    (
        ("disk image is malformed", "file is not a database"),
        "The database file is damaged, or is not a SQLite database.",
    ),
    (
        ("no such table", "no such column", "has no column named"),
        "The database's tables are not this program's (another program's file, or an older "
        "version's): use another database file.",
    ),
)


def describe_failure(exc: BaseException) -> str:
    """One line on a database error `translate_db_error` left alone: no SQL, no traceback."""
    orig = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text = str(orig)
    lowered = text.lower()
    for markers, words in _SQLITE_FAILURES:
        if any(marker in lowered for marker in markers):
            return words
    first_line = text.splitlines()[0] if text.strip() else type(orig).__name__
    return f"The database failed: {first_line}"
