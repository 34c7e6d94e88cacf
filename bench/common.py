"""What every benchmark shares: paths, test data, timed subprocesses and the report format.

The machine the benchmarks run on is small (2 cores) and shared, so absolute times
mean little from one run to the next. Every benchmark therefore measures the product
*and* a baseline in the same run, interleaved (A, B, B, A, ...), and the figure that
counts is the ratio of the two.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / "data"
RESULTS_DIR = BENCH_DIR / "results"

# ---------------------------------------------------------------------------------------
# Tools and processes
# ---------------------------------------------------------------------------------------


def venv_tool(name: str) -> str:
    """The path of a console script installed next to this interpreter (else on PATH)."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed; run `make install` first.")
    return found


def app_cli() -> str:
    """The product's `app-cli` console script."""
    return venv_tool("app-cli")


def sqlite_url(path: Path) -> str:
    """The product's database URL for a SQLite file."""
    return f"sqlite+aiosqlite:///{path}"


def quiet_env(**extra: str) -> dict[str, str]:
    """The environment for a measured child: no colours, no inherited database URL."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "FORCE_COLOR")}
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


def remove_db(path: Path) -> None:
    """Delete a SQLite file and its WAL/SHM/journal companions."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@dataclass(frozen=True, slots=True)
class Measured:
    """One finished child process: wall time, peak resident memory and exit status."""

    seconds: float
    peak_rss_kib: int
    returncode: int
    stderr: str


def run_measured(
    cmd: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    stdin_text: str | None = None,
    check: bool = True,
) -> Measured:
    """Run a command and return its wall time and peak RSS.

    The peak RSS is the child's own `ru_maxrss`, read with `os.wait4` on that one
    process (what `/usr/bin/time -v` reports as "Maximum resident set size").
    """
    started = time.perf_counter()
    proc = subprocess.Popen(
        list(cmd),
        env=env,
        cwd=cwd,
        stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if stdin_text is not None and proc.stdin is not None:
        proc.stdin.write(stdin_text)
        proc.stdin.close()
    stderr = proc.stderr.read() if proc.stderr is not None else ""
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.stderr is not None:
        proc.stderr.close()
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{stderr[-2000:]}")
    return Measured(seconds, int(usage.ru_maxrss), proc.returncode, stderr)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_http(port: int, path: str = "/openapi.json", timeout: float = 30.0) -> None:
    """Block until `GET path` on 127.0.0.1:port answers (any status), or raise."""
    deadline = time.monotonic() + timeout
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
                sock.sendall(request)
                if sock.recv(16).startswith(b"HTTP/"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"nothing answered on port {port} within {timeout:.0f} s")


def stop_process(proc: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """Stop a server started by a benchmark: SIGTERM, then SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


# ---------------------------------------------------------------------------------------
# Test data
# ---------------------------------------------------------------------------------------

STATUS_WEIGHTS = (("todo", 40), ("in_progress", 20), ("done", 30), ("cancelled", 10))
PRIORITY_WEIGHTS = (("low", 25), ("medium", 40), ("high", 25), ("urgent", 10))
PROJECT_COUNT = 36
PROJECTS = tuple(
    f"{area}-{n}"
    for area in ("web", "api", "mobile", "infra", "data", "ops")
    for n in ("alpha", "beta", "gamma", "delta", "omega", "core")
)[:PROJECT_COUNT]
TAG_POOL = (
    "backend",
    "bug",
    "chore",
    "customer",
    "docs",
    "frontend",
    "perf",
    "q3",
    "security",
    "tech-debt",
    "ui",
    "urgent-fix",
)
VERBS = ("Fix", "Write", "Review", "Ship", "Plan", "Test", "Refactor", "Document", "Call", "Draft")
NOUNS = (
    "login page",
    "invoice export",
    "release notes",
    "search index",
    "billing job",
    "onboarding flow",
    "backup script",
    "dashboard",
    "API client",
    "mobile build",
    "quarterly report",
    "data migration",
)
DUE_NULL_PERCENT = 30
NO_PROJECT_PERCENT = 10
DATA_EPOCH = datetime(2023, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class GeneratedTask:
    """One synthetic task, in the product's import vocabulary."""

    title: str
    description: str | None
    status: str
    priority: str
    due_date: date | None
    project: str | None
    tags: tuple[str, ...]
    created_at: datetime


def _weighted_table(weights: Sequence[tuple[str, int]]) -> list[str]:
    return [name for name, weight in weights for _ in range(weight)]


def generate_tasks(count: int, seed: int = 42) -> Iterator[GeneratedTask]:
    """Yield `count` reproducible synthetic tasks.

    Distribution: status 40 % todo, 20 % in_progress, 30 % done, 10 % cancelled;
    priority 25/40/25/10 % low/medium/high/urgent; 30 % without due date; 36 projects
    and 10 % without one; 0-3 tags out of 12; 70 % with a description.
    """
    rng = random.Random(seed)
    statuses = _weighted_table(STATUS_WEIGHTS)
    priorities = _weighted_table(PRIORITY_WEIGHTS)
    first_due = date(2024, 1, 1)
    for number in range(1, count + 1):
        bits = rng.getrandbits(64)
        verb = VERBS[bits % len(VERBS)]
        noun = NOUNS[(bits >> 4) % len(NOUNS)]
        title = f"{verb} {noun} {(bits >> 8) % 100_000:05d}"
        description = (
            f"Task {number}: {verb.lower()} the {noun} before the next release; "
            f"see ticket {(bits >> 24) % 9_000 + 1_000}."
            if (bits >> 40) % 10 < 7
            else None
        )
        due = (
            None
            if (bits >> 44) % 100 < DUE_NULL_PERCENT
            else first_due + timedelta(days=(bits >> 20) % 1_000)
        )
        project = (
            None
            if (bits >> 51) % 100 < NO_PROJECT_PERCENT
            else PROJECTS[(bits >> 30) % PROJECT_COUNT]
        )
        tag_count = (bits >> 58) % 4
        tags = tuple(
            sorted({TAG_POOL[(bits >> (5 * k)) % len(TAG_POOL)] for k in range(tag_count)})
        )
        yield GeneratedTask(
            title=title,
            description=description,
            status=statuses[(bits >> 36) % 100],
            priority=priorities[(bits >> 12) % 100],
            due_date=due,
            project=project,
            tags=tags,
            created_at=DATA_EPOCH + timedelta(seconds=number * 30 + bits % 30),
        )


CSV_COLUMNS = ("title", "description", "status", "priority", "due_date", "project", "tags")


def write_csv(path: Path, count: int, seed: int = 42) -> Path:
    """Write `count` tasks as the product's CSV import format (tags separated by `;`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".tmp")
    with temp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerows(
            (
                t.title,
                t.description or "",
                t.status,
                t.priority,
                t.due_date.isoformat() if t.due_date else "",
                t.project or "",
                ";".join(t.tags),
            )
            for t in generate_tasks(count, seed)
        )
    temp.replace(path)
    return path


def ensure_csv(count: int, seed: int = 42) -> Path:
    """The cached CSV of `count` tasks in bench/data (written on first use)."""
    path = DATA_DIR / f"tasks-{count}-s{seed}.csv"
    if not path.exists():
        write_csv(path, count, seed)
    return path


def create_schema(db_path: Path) -> None:
    """Create the product's tables and indexes in a new SQLite file (the app's create_all)."""
    from app.core.database import Database

    async def create() -> None:
        database = Database(sqlite_url(db_path))
        try:
            await database.create_all()
        finally:
            await database.dispose()

    asyncio.run(create())


# One INSERT … SELECT over a recursive counter: ~1M rows/s on this machine. The column
# encodings are the product's: priority as rank 1..4, status as text, tags as ",a,b,"
# (sorted), datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC, no offset), dates ISO.
_FILL_SQL = """
WITH RECURSIVE
  seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < :rows),
  r(i, a, b, c) AS MATERIALIZED (
    SELECT i, abs(random() % 1000000007), abs(random() % 1000000007), abs(random() % 1000000007)
    FROM seq
  ),
  v(i, a, b, c, created, updated, st) AS (
    SELECT i, a, b, c,
      :epoch + i * 30 + a % 30,
      :epoch + i * 30 + a % 30 + b % 2000000,
      CASE WHEN a % 100 < 40 THEN 'todo' WHEN a % 100 < 60 THEN 'in_progress'
           WHEN a % 100 < 90 THEN 'done' ELSE 'cancelled' END
    FROM r
  )
INSERT INTO tasks (id, title, description, status, priority, due_date, project_id, tags,
                   created_at, updated_at, completed_at, version)
SELECT
  i,
  (SELECT w FROM bench_verbs WHERE k = b % 10) || ' ' ||
    (SELECT w FROM bench_nouns WHERE k = (b / 10) % 12) || ' ' || printf('%05d', c % 100000),
  CASE WHEN (a / 100) % 10 < 7
       THEN 'Task ' || i || ': generated for the benchmarks; see ticket ' || (c % 9000 + 1000)
  END,
  st,
  CASE WHEN (b / 1000) % 100 < 25 THEN 1 WHEN (b / 1000) % 100 < 65 THEN 2
       WHEN (b / 1000) % 100 < 90 THEN 3 ELSE 4 END,
  CASE WHEN (a / 1000) % 100 < :due_null THEN NULL
       ELSE date('2024-01-01', '+' || ((c / 100000) % 1000) || ' days') END,
  CASE WHEN (a / 100000) % 100 < :no_project THEN NULL ELSE 1 + (c / 7) % :projects END,
  (SELECT w FROM bench_tags WHERE k = (a / 10000000) % 16),
  strftime('%Y-%m-%d %H:%M:%S', created, 'unixepoch') || printf('.%06d', c % 1000000),
  strftime('%Y-%m-%d %H:%M:%S', updated, 'unixepoch') || printf('.%06d', b % 1000000),
  CASE WHEN st = 'done'
       THEN strftime('%Y-%m-%d %H:%M:%S', updated, 'unixepoch') || printf('.%06d', b % 1000000)
  END,
  1
FROM v
"""

_TAG_SETS = (
    "",
    "",
    "",
    "",
    ",bug,",
    ",backend,",
    ",frontend,",
    ",docs,",
    ",backend,bug,",
    ",frontend,ui,",
    ",perf,tech-debt,",
    ",customer,urgent-fix,",
    ",q3,",
    ",security,",
    ",backend,perf,q3,",
    ",chore,docs,tech-debt,",
)


def build_task_db(db_path: Path, rows: int) -> float:
    """Create a SQLite file with the product's schema and `rows` synthetic tasks, fast.

    The app makes the schema (`create_all`); the rows go in with one SQL statement
    while the secondary indexes are dropped, then the indexes are rebuilt. Returns the
    seconds it took. The distribution matches `generate_tasks`.
    """
    started = time.perf_counter()
    remove_db(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    create_schema(db_path)
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-262144")
        conn.execute("BEGIN")
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tasks' "
            "AND sql IS NOT NULL"
        ).fetchall()
        for name, _sql in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        conn.executemany(
            "INSERT INTO projects (id, name, name_key, description, created_at, updated_at) "
            "VALUES (?, ?, ?, NULL, ?, ?)",
            [(i, name, name.casefold(), now, now) for i, name in enumerate(PROJECTS, start=1)],
        )
        for table, words in (
            ("bench_verbs", VERBS),
            ("bench_nouns", NOUNS),
            ("bench_tags", _TAG_SETS),
        ):
            conn.execute(f"CREATE TEMP TABLE {table} (k INTEGER PRIMARY KEY, w TEXT)")
            conn.executemany(f"INSERT INTO {table} VALUES (?, ?)", enumerate(words))
        conn.execute(
            _FILL_SQL,
            {
                "rows": rows,
                "epoch": int(DATA_EPOCH.timestamp()),
                "due_null": DUE_NULL_PERCENT,
                "no_project": NO_PROJECT_PERCENT,
                "projects": PROJECT_COUNT,
            },
        )
        for _name, sql in indexes:
            conn.execute(sql)
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
    return time.perf_counter() - started


def cached_task_db(rows: int, name: str) -> Path:
    """A generated database of `rows` tasks in bench/data, rebuilt when missing or stale."""
    path = DATA_DIR / f"{name}-{rows}.db"
    if path.exists():
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                count = conn.execute("SELECT count(*) FROM tasks").fetchone()[0]
            finally:
                conn.close()
            if count == rows:
                return path
        except sqlite3.Error:
            pass
    build_task_db(path, rows)
    return path


# ---------------------------------------------------------------------------------------
# Statistics and formatting
# ---------------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    """The median (NaN for no values)."""
    return statistics.median(values) if values else float("nan")


def ratio(numerator: float, denominator: float) -> float:
    """Divide numerator by denominator; NaN when the denominator is not positive."""
    return numerator / denominator if denominator > 0 else float("nan")


def fmt_ratio(value: float) -> str:
    """A ratio like `3.21x`."""
    return "n/a" if value != value else f"{value:.2f}x"


def fmt_ms(seconds: float) -> str:
    """Seconds as milliseconds, with a precision that suits the size."""
    if seconds != seconds:
        return "n/a"
    ms = seconds * 1000
    return f"{ms:.2f}" if ms < 10 else f"{ms:.1f}" if ms < 100 else f"{ms:,.0f}"


def fmt_int(value: float) -> str:
    """A count with thousands separators."""
    return "n/a" if value != value else f"{value:,.0f}"


def fmt_mib(kib: float) -> str:
    """KiB as MiB."""
    return f"{kib / 1024:,.1f}"


# ---------------------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class Table:
    """One table of results."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    note: str | None = None


@dataclass(slots=True)
class Target:
    """A goal from an issue and the figure this run measured for it."""

    name: str
    measured: float
    limit: float
    direction: Literal["<=", ">="]
    unit: str = "x"

    @property
    def met(self) -> bool | None:
        """True/False, or None when the figure could not be measured."""
        if self.measured != self.measured:
            return None
        if self.direction == "<=":
            return self.measured <= self.limit
        return self.measured >= self.limit

    def describe(self) -> list[str]:
        """[target, measured, verdict] cells."""
        verdict = {True: "MET", False: "MISSED", None: "NOT MEASURED"}[self.met]
        if self.measured != self.measured:
            shown = "n/a"
        elif self.unit:
            shown = f"{self.measured:.2f}{self.unit}"
        else:
            shown = f"{self.measured:g}"
        return [f"{self.name} {self.direction} {self.limit:g}{self.unit}", shown, verdict]


@dataclass(slots=True)
class Report:
    """Everything one benchmark found: tables, targets met or missed, notes."""

    name: str
    title: str
    baseline: str
    tables: list[Table] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def targets_table(self) -> Table:
        """The targets as a table."""
        return Table(
            "Targets", ["target", "measured", "verdict"], [t.describe() for t in self.targets]
        )


def render_text(table: Table) -> str:
    """A plain-text table with aligned columns."""
    cells = [table.columns, *table.rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(table.columns))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    out = [table.title, "-" * len(table.title), line(table.columns)]
    out.append("  ".join("-" * w for w in widths))
    out.extend(line(row) for row in table.rows)
    if table.note:
        out.append(f"({table.note})")
    return "\n".join(out)


def render_markdown(table: Table, level: int = 3) -> str:
    """A GitHub-flavoured markdown table under a heading."""
    out = [f"{'#' * level} {table.title}", ""]
    out.append("| " + " | ".join(table.columns) + " |")
    out.append("|" + "|".join("---" if i == 0 else "---:" for i in range(len(table.columns))) + "|")
    out.extend(
        "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in table.rows
    )
    if table.note:
        out += ["", f"_{table.note}_"]
    return "\n".join(out)


def report_text(report: Report) -> str:
    """The whole report as plain text, for the terminal."""
    parts = [f"=== {report.title} ===", f"baseline: {report.baseline}"]
    targets = [report.targets_table()] if report.targets else []
    parts += [render_text(t) for t in [*report.tables, *targets]]
    parts += [f"note: {n}" for n in report.notes]
    parts.append(f"({report.seconds:.0f} s)")
    return "\n\n".join(parts)


def report_markdown(report: Report) -> str:
    """The whole report as a markdown section."""
    parts = [f"## {report.title}", f"Baseline: {report.baseline}"]
    if report.settings:
        parts.append("Settings: " + ", ".join(f"`{k}={v}`" for k, v in report.settings.items()))
    targets = [report.targets_table()] if report.targets else []
    parts += [render_markdown(t) for t in [*report.tables, *targets]]
    if report.notes:
        parts.append("\n".join(f"- {n}" for n in report.notes))
    parts.append(f"_Took {report.seconds:.0f} s._")
    return "\n\n".join(parts)


def machine_line() -> str:
    """One line describing where the numbers come from."""
    load = os.getloadavg()
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )


def save_report(report: Report) -> Path:
    """Write bench/results/<name>.md and <name>.json; return the markdown path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    md = RESULTS_DIR / f"{report.name}.md"
    md.write_text(f"# {report.title}\n\n_{machine_line()}_\n\n{report_markdown(report)}\n")
    payload = asdict(report)
    payload["targets"] = [{**asdict(t), "met": t.met} for t in report.targets]
    (RESULTS_DIR / f"{report.name}.json").write_text(json.dumps(payload, indent=2, default=str))
    return md


def finish(report: Report) -> Report:
    """Print a report and save it under bench/results (for scripts run alone)."""
    print(report_text(report), flush=True)
    path = save_report(report)
    print(f"\nwritten: {path.relative_to(REPO_DIR)}", flush=True)
    return report


def log(message: str) -> None:
    """A progress line on stderr (tables go to stdout)."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)
