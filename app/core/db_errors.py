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
    connection_lost = isinstance(exc, DBAPIError) and exc.connection_invalidated
    if (
        connection_lost
        or isinstance(orig, _CONNECTION_ERRORS)
        or (isinstance(sqlstate, str) and sqlstate.startswith(("08", "57P", "53")))
        or any(marker in message for marker in _UNAVAILABLE_MARKERS)
    ):
        return DatabaseUnavailableError("The database is unreachable; retry later.")
    return None
