"""Deep pages: keyset pagination on a large table vs the first page and vs OFFSET.

A SQLite file with `--rows` tasks (default 1,000,000) is generated in seconds: the app
creates the schema, one INSERT … SELECT fills it (see `bench.common.build_task_db`).
Then, for every sort (id, created_at, updated_at, due_date, priority, title) in both
directions, without a filter and with `status=todo` and `project=api-core`:

- *first*: the product's `TaskService.list_page` (limit 50) without a cursor;
- *deep*: the same call with the keyset cursor of the row 90 % of the way through the
  matching tasks (row 900,000 of 1M unfiltered), made with `encode_cursor`;
- *OFFSET*: the same ORDER BY and filter as raw SQL with `LIMIT 50 OFFSET depth` on
  the same engine: what the page would cost without keysets.

Deep and OFFSET must return the same rows (checked). Every call runs in its own read
session, like an API request; times are medians over `--repeats`, interleaved.

Target: deep/first <= 2x for every case. Generation of the file < 60 s.

Run: `python -m bench.pages [--rows 1000000] [--repeats 5] [--reuse]`.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from app.core.database import Database
from app.core.enums import Priority, SortField, SortOrder, TaskStatus
from app.schemas.task import TaskFilters, TaskQuery
from app.services.cursor import encode_cursor
from app.services.task import TaskService
from bench.common import (
    DATA_DIR,
    PROJECTS,
    Report,
    Table,
    Target,
    build_task_db,
    fmt_int,
    fmt_ms,
    fmt_ratio,
    log,
    median,
    ratio,
    sqlite_url,
)

DEEP_FRACTION = 0.9
PAGE = 50
DEEP_RATIO_TARGET = 2.0
GENERATION_TARGET_S = 60.0
FILTER_PROJECT = PROJECTS[11]  # "api-core"

SORT_SQL = {
    SortField.ID: "t.id",
    SortField.CREATED_AT: "t.created_at",
    SortField.UPDATED_AT: "t.updated_at",
    SortField.DUE_DATE: "t.due_date",
    SortField.PRIORITY: "t.priority",
    SortField.TITLE: "t.title",
}
FROM_SQL = "FROM tasks AS t LEFT OUTER JOIN projects AS p ON t.project_id = p.id"
READ_SQL = (
    "SELECT t.id, t.title, t.description, t.status, t.priority, t.due_date, p.name AS project, "
    f"t.tags, t.created_at, t.updated_at, t.completed_at, t.version {FROM_SQL}"
)


@dataclass(frozen=True, slots=True)
class Case:
    """One filter + sort + direction."""

    filter_name: str
    filters: TaskFilters
    where_sql: str

    @property
    def sort(self) -> SortField:
        """The sort key."""
        return self.filters.sort

    @property
    def descending(self) -> bool:
        """Whether the order is descending."""
        return self.filters.order is SortOrder.DESC

    def order_sql(self) -> str:
        """The product's order as SQL: nulls last in both directions, ties by id."""
        direction = "DESC" if self.descending else "ASC"
        if self.sort is SortField.ID:
            return f"t.id {direction}"
        column = SORT_SQL[self.sort]
        nulls_last = f"{column} IS NULL, " if self.sort is SortField.DUE_DATE else ""
        return f"{nulls_last}{column} {direction}, t.id {direction}"


@dataclass(slots=True)
class CaseResult:
    """Timings of one case."""

    case: Case
    matches: int
    depth: int
    first: list[float] = field(default_factory=list)
    deep: list[float] = field(default_factory=list)
    offset: list[float] = field(default_factory=list)
    same_rows: bool = False
    plan: str = ""


def all_cases() -> list[Case]:
    """Every combination of sort, order and filter."""
    filters: list[tuple[str, dict[str, Any], str]] = [
        ("none", {}, ""),
        ("status=todo", {"status": [TaskStatus.TODO]}, "t.status = 'todo'"),
        (
            f"project={FILTER_PROJECT}",
            {"project": FILTER_PROJECT},
            f"p.name_key = '{FILTER_PROJECT.casefold()}'",
        ),
    ]
    return [
        Case(name, TaskFilters(**values, sort=sort, order=order), where)
        for name, values, where in filters
        for sort in SortField
        for order in SortOrder
    ]


def _python_value(sort: SortField, raw: Any) -> Any:
    """A stored sort value as the type `TaskRead` carries (what `encode_cursor` expects)."""
    if raw is None or sort is SortField.ID:
        return None
    if sort is SortField.PRIORITY:
        return Priority.from_rank(int(raw))
    if sort is SortField.DUE_DATE:
        return date.fromisoformat(raw)
    if sort in (SortField.CREATED_AT, SortField.UPDATED_AT):
        return datetime.fromisoformat(raw).replace(tzinfo=UTC)
    return raw


class StatementLog:
    """Records the SQL the read engine sends, to explain the deep page's plan."""

    def __init__(self, database: Database) -> None:
        self.statements: list[tuple[str, Any]] = []
        self.enabled = False
        event.listen(database.read_engine.sync_engine, "before_cursor_execute", self._record)

    def _record(self, _conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if self.enabled:
            self.statements.append((statement, params))


def explain(db_path: Path, statements: Sequence[tuple[str, Any]]) -> str:
    """Which index each statement walks, and whether it sorts in a temp B-tree."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        parts = []
        for statement, params in statements:
            details = [
                row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {statement}", params or ())
            ]
            task_step = next(
                (d for d in details if " tasks" in f" {d}" or "INTEGER PRIMARY KEY" in d),
                details[0] if details else "",
            )
            index = task_step.split(" USING ")[-1] if " USING " in task_step else task_step
            index = index.replace("COVERING INDEX ", "").replace("INDEX ", "")
            sorts = any("TEMP B-TREE" in d for d in details)
            parts.append(f"{index}{' + SORT' if sorts else ''}")
        return "; ".join(parts)
    finally:
        conn.close()


async def _timed_page(database: Database, query: TaskQuery) -> tuple[float, list[int]]:
    started = time.perf_counter()
    async with database.session(write=False) as session:
        page = await TaskService.from_session(session).list_page(query)
    return time.perf_counter() - started, [task.id for task in page.items]


async def _timed_offset(database: Database, sql: str) -> tuple[float, list[Any]]:
    started = time.perf_counter()
    async with database.session(write=False) as session:
        rows = (await session.execute(text(sql))).all()
    return time.perf_counter() - started, list(rows)


async def measure(db_path: Path, repeats: int, offset_repeats: int) -> list[CaseResult]:
    """Time first, deep and OFFSET pages of every case through the product's service.

    One OFFSET query per case (`LIMIT 51 OFFSET depth-1`) yields the row the deep
    cursor points at, the rows the deep page must return, and the OFFSET timing; it is
    slow at depth and only there for comparison, so it runs `offset_repeats` times in
    all, the keyset pages `repeats` times each (after one warm-up run).
    """
    database = Database(sqlite_url(db_path))
    statements = StatementLog(database)
    results: list[CaseResult] = []
    try:
        for case in all_cases():
            where = f" WHERE {case.where_sql}" if case.where_sql else ""
            async with database.session(write=False) as session:
                count_sql = f"SELECT count(*) {FROM_SQL}{where}"
                matches: int = (await session.execute(text(count_sql))).scalar_one()
            depth = int(matches * DEEP_FRACTION)
            order = case.order_sql()
            offset_sql = f"{READ_SQL}{where} ORDER BY {order} LIMIT {PAGE + 1} OFFSET {depth - 1}"
            log(f"{case.filter_name} sort={case.sort} {case.filters.order}: depth {depth:,}")
            result = CaseResult(case, matches, depth)
            seconds, offset_rows = await _timed_offset(database, offset_sql)
            result.offset.append(seconds)
            last = offset_rows[0]
            value = _python_value(case.sort, last._mapping[case.sort.value])
            cursor = encode_cursor(case.filters, value, last.id)
            base = case.filters.model_dump()
            first_query = TaskQuery(**base, limit=PAGE)
            deep_query = TaskQuery(**base, limit=PAGE, cursor=cursor)
            # Warm up both pages; check the deep page against OFFSET; record its plan.
            await _timed_page(database, first_query)
            statements.statements.clear()
            statements.enabled = True
            _, deep_ids = await _timed_page(database, deep_query)
            statements.enabled = False
            result.plan = explain(db_path, statements.statements)
            result.same_rows = deep_ids == [row.id for row in offset_rows[1:]]
            for rep in range(repeats):
                for step in ("first", "deep") if rep % 2 == 0 else ("deep", "first"):
                    query = first_query if step == "first" else deep_query
                    seconds, _ = await _timed_page(database, query)
                    (result.first if step == "first" else result.deep).append(seconds)
                if rep + 1 < offset_repeats:
                    seconds, _ = await _timed_offset(database, offset_sql)
                    result.offset.append(seconds)
            results.append(result)
    finally:
        await database.dispose()
    return results


def build_report(
    results: Sequence[CaseResult], rows: int, repeats: int, generation_s: float | None
) -> Report:
    """Tables and targets from the timings."""
    report = Report(
        name="pages",
        title=f"Deep pages ({rows:,} tasks): keyset vs first page vs OFFSET",
        baseline="the first page of the same query (target ratio), and the same ORDER BY "
        "with OFFSET as raw SQL on the same engine (what keysets avoid)",
        settings={"rows": rows, "repeats": repeats, "page": PAGE, "deep at": "90% of matches"},
    )
    worst = 0.0
    for filter_name in dict.fromkeys(r.case.filter_name for r in results):
        table = Table(
            f"filter: {filter_name}",
            [
                "sort",
                "matches",
                "depth",
                "first ms",
                "deep ms",
                "deep/first",
                "OFFSET ms",
                "OFFSET/deep",
                "same rows",
                "deep page plan (index; + SORT = temp B-tree)",
            ],
        )
        for r in (r for r in results if r.case.filter_name == filter_name):
            first, deep, offset = median(r.first), median(r.deep), median(r.offset)
            deep_ratio = ratio(deep, first)
            worst = max(worst, deep_ratio)
            table.rows.append(
                [
                    f"{r.case.sort} {r.case.filters.order}",
                    fmt_int(r.matches),
                    fmt_int(r.depth),
                    fmt_ms(first),
                    fmt_ms(deep),
                    fmt_ratio(deep_ratio),
                    fmt_ms(offset),
                    fmt_ratio(ratio(offset, deep)),
                    "yes" if r.same_rows else "NO",
                    r.plan,
                ]
            )
        report.tables.append(table)
    over = [r for r in results if ratio(median(r.deep), median(r.first)) > DEEP_RATIO_TARGET]
    report.targets.append(Target("worst deep/first page", worst, DEEP_RATIO_TARGET, "<="))
    if generation_s is not None:
        report.targets.append(
            Target(f"generate {rows:,} rows", generation_s, GENERATION_TARGET_S, "<=", " s")
        )
    if over:
        report.notes.append(
            "over target: "
            + ", ".join(f"{r.case.filter_name}/{r.case.sort} {r.case.filters.order}" for r in over)
        )
    if any(r.case.sort is SortField.DUE_DATE for r in results):
        report.notes.append(
            "due_date: ~30 % of the generated tasks have no due date and sort last, so the "
            "page 90 % deep lies in that undated tail (ordered by id)"
        )
    if not all(r.same_rows for r in results):
        report.notes.append("SOME DEEP PAGES DIFFER FROM THE OFFSET ROWS: keyset bug?")
    slow_first = [r for r in results if median(r.first) > 0.1]
    if slow_first:
        report.notes.append(
            "first pages over 100 ms (the ratio hides these): "
            + ", ".join(
                f"{r.case.filter_name}/{r.case.sort} {r.case.filters.order} "
                f"{fmt_ms(median(r.first))} ms"
                for r in slow_first
            )
        )
    return report


def run(
    rows: int = 1_000_000, repeats: int = 5, reuse: bool = False, offset_repeats: int = 1
) -> Report:
    """Generate (or reuse) the database, time every case, return the report."""
    started = time.perf_counter()
    db_path = DATA_DIR / f"pages-{rows}.db"
    generation_s: float | None = None
    if not (reuse and db_path.exists()):
        log(f"generating {rows:,} tasks")
        generation_s = build_task_db(db_path, rows)
        log(f"generated in {generation_s:.1f} s")
    results = asyncio.run(measure(db_path, repeats, offset_repeats))
    report = build_report(results, rows, repeats, generation_s)
    if generation_s is None:
        report.notes.append("database reused from an earlier run (--reuse)")
    report.seconds = time.perf_counter() - started
    return report


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.pages",
        description="Time deep keyset pages vs the first page and vs OFFSET, for every sort.",
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="tasks [1000000]")
    parser.add_argument("--repeats", type=int, default=5, help="timings per page [5]")
    parser.add_argument("--offset-repeats", type=int, default=1, help="timings per OFFSET page [1]")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse bench/data/pages-ROWS.db if present"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    from bench.common import finish

    args = parse_args(argv)
    finish(run(args.rows, args.repeats, args.reuse, args.offset_repeats))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
