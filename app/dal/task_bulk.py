"""SQLite's fast path for inserting many tasks: the driver's own executemany.

SQLAlchemy's per-row bind processing (type decorators, datetime formatting) costs
several times SQLite's own insert, so a bulk load converts each row once, here, to
exactly what the column types would store (a DAL test reads them back through the ORM
types), and hands the batch to `sqlite3`'s executemany in the session's transaction.
"""

import sqlite3
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.enums import PRIORITY_RANK
from app.models import Task
from app.models.base import encode_tags

_COLUMNS = (
    "title",
    "description",
    "status",
    "priority",
    "due_date",
    "project_id",
    "tags",
    "created_at",
    "updated_at",
    "completed_at",
    "version",
)
_INSERT = (
    f"INSERT INTO {Task.__tablename__} ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(_COLUMNS))})"
)


async def insert_tasks(connection: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert task rows (the columns of `TaskService.new_row`) on a SQLite connection."""
    params = [_params(row) for row in rows]
    raw = await connection.get_raw_connection()
    try:
        cursor = await raw.driver_connection.executemany(_INSERT, params)  # type: ignore[union-attr]
        await cursor.close()
    except sqlite3.Error as exc:  # wrap like SQLAlchemy would, so the boundary translates it
        raise DBAPIError.instance(_INSERT, None, exc, sqlite3.Error) from exc


@lru_cache(maxsize=1024)
def _datetime(value: datetime) -> str:
    """A UTC datetime in the text form SQLAlchemy's SQLite dialect stores and reads back."""
    # Not strftime("%Y…"): it writes the year 999 as "999", which neither sorts nor parses.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _params(row: Mapping[str, Any]) -> tuple[Any, ...]:
    due, completed = row["due_date"], row["completed_at"]
    return (
        row["title"],
        row["description"],
        row["status"],  # a StrEnum: the driver binds it as its text value
        PRIORITY_RANK[row["priority"]],
        due.isoformat() if due is not None else None,
        row["project_id"],
        encode_tags(row["tags"]),
        _datetime(row["created_at"]),
        _datetime(row["updated_at"]),
        _datetime(completed) if completed is not None else None,
        row["version"],
    )
