"""Two parts of the import floor, timed in their own process (see `bench.import_bench`).

Prints ``{"database": seconds, "validation": seconds}`` for a generated CSV and a SQLite
file that already holds the product's (empty) schema.

Run: `python -m bench.import_floor FILE.csv DB.sqlite` (`bench.import_bench` does).
"""

from __future__ import annotations

import csv
import json
import sqlite3
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.core.enums import PRIORITY_RANK
from app.models.base import encode_tags


def csv_fields(csv_path: Path) -> list[dict[str, Any]]:
    """Each row's non-empty cells by column, tags split (what the CSV reader yields)."""
    with csv_path.open(encoding="utf-8", newline="") as source:
        rows = [{k: v for k, v in row.items() if v} for row in csv.DictReader(source)]
    for row in rows:
        if "tags" in row:
            row["tags"] = row["tags"].split(";")
    return rows


def time_database_load(db_path: Path, records: Sequence[dict[str, Any]]) -> float:
    """The product's bulk path in stdlib sqlite3: drop indexes, insert, rebuild, commit."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    params = [
        (
            r["title"],
            r.get("description"),
            r.get("status", "todo"),
            PRIORITY_RANK[r.get("priority", "medium")],
            r.get("due_date"),
            None,  # projects left out: their look-ups would only add to the floor
            encode_tags(sorted(r.get("tags", []))),
            now,
            now,
            None,
            1,
        )
        for r in records
    ]
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            conn.execute(f"PRAGMA {pragma}")
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tasks' "
            "AND sql IS NOT NULL"
        ).fetchall()
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        for name, _ in indexes:
            conn.execute(f"DROP INDEX {name}")
        conn.executemany(_FLOOR_INSERT, params)
        for _, sql in indexes:
            conn.execute(sql)
        conn.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        conn.close()


_FLOOR_INSERT = (
    "INSERT INTO tasks (title, description, status, priority, due_date, project_id, tags, "
    "created_at, updated_at, completed_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def time_validation(records: Sequence[dict[str, Any]]) -> float:
    """The API's own schema over every row, as the importer validates them."""
    from app.schemas.task import TaskImport  # the product's code, only for this part

    validate = TaskImport.model_validate
    for record in records[:1000]:  # warm up, like the importer past its first rows
        validate(record)
    started = time.perf_counter()
    for record in records:
        validate(record)
    return time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: time both parts and print them as JSON."""
    csv_path, db_path = (Path(arg) for arg in (argv or sys.argv[1:]))
    records = csv_fields(csv_path)
    database = time_database_load(db_path, records)
    validation = time_validation(records)
    sys.stdout.write(json.dumps({"database": database, "validation": validation}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
