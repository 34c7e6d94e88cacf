"""One SQLite statement run to completion on a sqlite3 connection, with or without a budget.

The one-hop adapter (`app.core.sqlite_driver`) ships `run_statement` to aiosqlite's thread,
or calls it (or `run_statement_within`, for a short read) on the event loop's thread.
"""

import sqlite3
from typing import Any

BUDGET_STEP = 1_000  # SQLite VM instructions between two checks of a budget

# What one statement leaves behind: description, rows, rowcount, lastrowid, and whether
# a transaction is open afterwards.
Outcome = tuple[Any, list[Any], int, int | None, bool]


def run_statement(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> Outcome:
    """Run one statement to completion and return what it leaves behind."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid, connection.in_transaction
    finally:
        cursor.close()


def run_statement_within(
    connection: sqlite3.Connection, instructions: int, operation: str, parameters: Any
) -> Outcome | None:
    """Run one read to completion, or None if it took more than `instructions`.

    An interrupted SELECT leaves nothing behind: no rows kept, no transaction ended.
    """
    checks_left = instructions // BUDGET_STEP

    def over_budget() -> bool:
        nonlocal checks_left
        checks_left -= 1
        return checks_left < 0

    connection.set_progress_handler(over_budget, BUDGET_STEP)
    try:
        return run_statement(connection, operation, parameters, many=False)
    except sqlite3.OperationalError:
        if checks_left < 0:
            return None
        raise
    finally:
        connection.set_progress_handler(None, 0)
