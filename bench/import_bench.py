"""Batch import/export speed and memory: `app-cli tasks import` vs the sqlite3 shell's `.import`.

For each size, the same generated CSV (title, description, status, priority, due_date,
project, tags) is loaded into a fresh SQLite file by the product and by
`sqlite3 NEW.db ".import --csv FILE tasks"`, alternately, `--repeats` times. The
figure is the median of the per-pair time ratios. The product's peak RSS is that
process's own `ru_maxrss`. Export: `app-cli tasks export --format csv -o FILE` of the
imported tasks vs the sqlite3 shell writing the same table as CSV.

Targets: 200k rows in <= 6x the sqlite3 `.import` time; peak RSS at 200k within 1.3x
of that at 50k (memory stays flat: the import streams).

Floor: at 200k the report also times, in the same run, three parts every import by the
product pays whatever its own code does, each measured on its own and generously (csv
parsing, projects and row building left out): `app-cli` start-up on a header-only file;
the database's own work (the stdlib `sqlite3` module inserting the same rows, already
in stored form, with the product's schema, its index rebuild and commit); and validating
the rows with the API's schema (`TaskImport.model_validate`). Their sum is a lower bound
for an import that does these one after the other, as the product's does; its ratio to
`.import` says how close to the target such an importer can get.

Run: `python -m bench.import_bench [--sizes 50000,200000,1000000] [--repeats 3]`.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import (
    DATA_DIR,
    REPO_DIR,
    Measured,
    Report,
    Table,
    Target,
    app_cli,
    ensure_csv,
    finish,
    fmt_int,
    fmt_mib,
    fmt_ratio,
    log,
    median,
    quiet_env,
    ratio,
    remove_db,
    run_measured,
    sqlite_url,
)

DEFAULT_SIZES = (50_000, 200_000)
TARGET_SIZE = 200_000
RSS_BASE_SIZE = 50_000
IMPORT_RATIO_TARGET = 6.0
RSS_GROWTH_TARGET = 1.3
_SUMMARY_SECONDS = re.compile(r" in ([0-9.]+) s \(")


@dataclass(frozen=True, slots=True)
class Floor:
    """Parts of an import measured on their own (seconds), for one repeat."""

    startup: float
    database: float
    validation: float

    @property
    def total(self) -> float:
        """The three together: what no importer built on these parts can go below."""
        return self.startup + self.database + self.validation


@dataclass(slots=True)
class SizeResult:
    """Every measurement of one size."""

    size: int
    app_import: list[Measured] = field(default_factory=list)
    sqlite_import: list[Measured] = field(default_factory=list)
    app_export: list[Measured] = field(default_factory=list)
    sqlite_export: list[Measured] = field(default_factory=list)
    importer_seconds: list[float] = field(default_factory=list)
    floor: list[Floor] = field(default_factory=list)

    def import_ratio(self) -> float:
        """Median of the per-pair ratios app/sqlite3 (pairs ran back to back)."""
        pairs = zip(self.app_import, self.sqlite_import, strict=True)
        return median([ratio(a.seconds, s.seconds) for a, s in pairs])

    def export_ratio(self) -> float:
        """Median of the per-pair export ratios app/sqlite3."""
        pairs = zip(self.app_export, self.sqlite_export, strict=True)
        return median([ratio(a.seconds, s.seconds) for a, s in pairs])

    def peak_rss_kib(self) -> float:
        """The app-cli import's peak RSS (median over repeats)."""
        return median([m.peak_rss_kib for m in self.app_import])


def count_rows(db_path: Path) -> int:
    """Rows in the `tasks` table of a SQLite file."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        count: int = conn.execute("SELECT count(*) FROM tasks").fetchone()[0]
        return count
    finally:
        conn.close()


def count_csv_records(path: Path) -> int:
    """Data lines of a generated/exported CSV (none of its cells spans lines)."""
    with path.open("rb") as handle:
        return sum(1 for _ in handle) - 1


def _sqlite_import(csv_path: Path, db_path: Path) -> Measured:
    remove_db(db_path)
    return run_measured(["sqlite3", str(db_path), f".import --csv {csv_path} tasks"])


def _app_import(csv_path: Path, db_path: Path) -> Measured:
    remove_db(db_path)
    cmd = [app_cli(), "--database-url", sqlite_url(db_path), "tasks", "import", str(csv_path)]
    return run_measured(cmd, env=quiet_env())


def _sqlite_export(db_path: Path, out: Path) -> Measured:
    out.unlink(missing_ok=True)
    cmd = ["sqlite3", str(db_path), ".headers on", ".mode csv", f".output {out}"]
    return run_measured([*cmd, "SELECT * FROM tasks"])


def _app_export(db_path: Path, out: Path) -> Measured:
    out.unlink(missing_ok=True)
    cmd = [app_cli(), "--database-url", sqlite_url(db_path), "tasks", "export"]
    return run_measured([*cmd, "--format", "csv", "-o", str(out)], env=quiet_env())


def measure_floor(csv_path: Path, workdir: Path) -> Floor:
    """Time the three parts of an import that no change to the importer removes."""
    db_path = workdir / "floor.db"
    header_only = workdir / "header-only.csv"
    with csv_path.open(encoding="utf-8", newline="") as source:
        header_only.write_text(source.readline(), encoding="utf-8")
    startup = _app_import(header_only, db_path)  # also creates the product's schema
    # In a child process: the rows it holds would inflate the peak RSS that later
    # children report (a forked child starts with its parent's resident pages).
    child = subprocess.run(
        [sys.executable, "-m", "bench.import_floor", str(csv_path), str(db_path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_DIR,
    )
    parts = json.loads(child.stdout)
    return Floor(startup.seconds, parts["database"], parts["validation"])


def measure_size(size: int, repeats: int, seed: int, workdir: Path) -> SizeResult:
    """Import then export `size` rows with both tools, interleaved, `repeats` times."""
    result = SizeResult(size)
    csv_path = ensure_csv(size, seed)
    app_db, sqlite_db = workdir / f"app-{size}.db", workdir / f"sqlite-{size}.db"
    for rep in range(repeats):
        log(f"import {size:,} rows: round {rep + 1}/{repeats}")
        steps = [("sqlite", _sqlite_import), ("app", _app_import)]
        for which, step in steps if rep % 2 == 0 else reversed(steps):
            measured = step(csv_path, app_db if which == "app" else sqlite_db)
            if which == "app":
                result.app_import.append(measured)
                found = _SUMMARY_SECONDS.search(measured.stderr)
                result.importer_seconds.append(float(found.group(1)) if found else float("nan"))
            else:
                result.sqlite_import.append(measured)
    if size == TARGET_SIZE:
        for rep in range(repeats):
            log(f"import floor at {size:,} rows: round {rep + 1}/{repeats}")
            result.floor.append(measure_floor(csv_path, workdir))
    for db in (app_db, sqlite_db):
        if (count := count_rows(db)) != size:
            raise RuntimeError(f"{db.name} holds {count} rows, expected {size}")
    app_out, sqlite_out = workdir / f"export-app-{size}.csv", workdir / f"export-sqlite-{size}.csv"
    for rep in range(repeats):
        log(f"export {size:,} rows: round {rep + 1}/{repeats}")
        if rep % 2 == 0:
            result.sqlite_export.append(_sqlite_export(sqlite_db, sqlite_out))
            result.app_export.append(_app_export(app_db, app_out))
        else:
            result.app_export.append(_app_export(app_db, app_out))
            result.sqlite_export.append(_sqlite_export(sqlite_db, sqlite_out))
    if (exported := count_csv_records(app_out)) != size:
        raise RuntimeError(f"app-cli exported {exported} rows, expected {size}")
    return result


def build_report(results: Sequence[SizeResult]) -> Report:
    """Tables and targets from the measurements."""
    report = Report(
        name="import",
        title="Batch import/export (app-cli vs sqlite3 shell)",
        baseline="`sqlite3 NEW.db '.import --csv FILE tasks'` (import) and "
        "`sqlite3 DB '.mode csv' 'SELECT * FROM tasks'` (export), same file, same run",
        settings={
            "sizes": ",".join(str(r.size) for r in results),
            "repeats": ", ".join(f"{len(r.app_import)} at {r.size:,}" for r in results),
        },
    )
    imports = Table(
        "Import (median of repeats; ratio = median of per-pair app/sqlite3)",
        [
            "rows",
            "sqlite3 s",
            "app-cli s",
            "ratio",
            "app rows/s",
            "sqlite3 rows/s",
            "app in-process s",
            "app peak RSS MiB",
            "RSS vs smallest",
        ],
    )
    base_rss = results[0].peak_rss_kib() if results else float("nan")
    for r in results:
        app_s = median([m.seconds for m in r.app_import])
        sqlite_s = median([m.seconds for m in r.sqlite_import])
        imports.rows.append(
            [
                fmt_int(r.size),
                f"{sqlite_s:.2f}",
                f"{app_s:.2f}",
                fmt_ratio(r.import_ratio()),
                fmt_int(r.size / app_s),
                fmt_int(r.size / sqlite_s),
                f"{median(r.importer_seconds):.2f}",
                fmt_mib(r.peak_rss_kib()),
                fmt_ratio(ratio(r.peak_rss_kib(), base_rss)),
            ]
        )
    imports.note = (
        "app-cli s is the whole command (interpreter start, schema check, import, commit); "
        "'in-process' is the importer's own timer from its summary line"
    )
    exports = Table(
        "Export to CSV (median of repeats)",
        ["rows", "sqlite3 s", "app-cli s", "ratio", "app rows/s", "app peak RSS MiB"],
    )
    for r in results:
        app_s = median([m.seconds for m in r.app_export])
        exports.rows.append(
            [
                fmt_int(r.size),
                f"{median([m.seconds for m in r.sqlite_export]):.2f}",
                f"{app_s:.2f}",
                fmt_ratio(r.export_ratio()),
                fmt_int(r.size / app_s),
                fmt_mib(median([m.peak_rss_kib for m in r.app_export])),
            ]
        )
    report.tables += [imports, exports]
    floor_table = _floor_table(results)
    if floor_table is not None:
        report.tables.append(floor_table)
    by_size = {r.size: r for r in results}
    target = by_size.get(TARGET_SIZE)
    report.targets.append(
        Target(
            "import 200k time vs sqlite3 .import",
            target.import_ratio() if target else float("nan"),
            IMPORT_RATIO_TARGET,
            "<=",
        )
    )
    rss_base = by_size.get(RSS_BASE_SIZE)
    report.targets.append(
        Target(
            "peak RSS 200k vs 50k",
            ratio(target.peak_rss_kib(), rss_base.peak_rss_kib())
            if target and rss_base
            else float("nan"),
            RSS_GROWTH_TARGET,
            "<=",
        )
    )
    if not target or not rss_base:
        report.notes.append("targets need sizes 50000 and 200000 in --sizes")
    return report


def _floor_table(results: Sequence[SizeResult]) -> Table | None:
    """The floor's parts next to the sqlite3 shell and the whole import (target size)."""
    result = next((r for r in results if r.size == TARGET_SIZE and r.floor), None)
    if result is None:
        return None
    sqlite_s = median([m.seconds for m in result.sqlite_import])
    table = Table(
        f"Import floor at {TARGET_SIZE:,} rows (parts every import pays, each timed alone)",
        ["part", "seconds", "vs sqlite3 .import"],
    )
    parts = [
        ("sqlite3 shell .import (the baseline)", sqlite_s),
        ("app-cli start-up, header-only file", median([f.startup for f in result.floor])),
        (
            "database: stdlib executemany + index rebuild + commit",
            median([f.database for f in result.floor]),
        ),
        ("API schema validation (TaskImport)", median([f.validation for f in result.floor])),
        ("floor: the three parts together", median([f.total for f in result.floor])),
        ("app-cli tasks import", median([m.seconds for m in result.app_import])),
    ]
    table.rows = [
        [name, f"{seconds:.2f}", fmt_ratio(seconds / sqlite_s)] for name, seconds in parts
    ]
    table.note = (
        "a lower bound for an importer doing these one after the other (csv parsing, "
        "project look-ups and building the rows are left out); "
        f"the {IMPORT_RATIO_TARGET:g}x target is within its reach only if the floor is below it"
    )
    return table


def run(
    sizes: Sequence[int] = DEFAULT_SIZES,
    repeats: int = 3,
    seed: int = 42,
    large_repeats: int | None = None,
) -> Report:
    """Measure every size and return the report.

    Sizes above the target size run `large_repeats` times (default: `repeats`).
    """
    if shutil.which("sqlite3") is None:
        raise SystemExit("sqlite3 is missing: run bench/install-tools.sh")
    started = time.perf_counter()
    workdir = DATA_DIR / "import"
    workdir.mkdir(parents=True, exist_ok=True)
    results = [
        measure_size(
            size, repeats if size <= TARGET_SIZE else large_repeats or repeats, seed, workdir
        )
        for size in sorted(sizes)
    ]
    report = build_report(results)
    report.seconds = time.perf_counter() - started
    return report


def parse_sizes(text: str) -> list[int]:
    """`50000,200000` or `50k,1m` → [50000, 200000] / [50000, 1000000]."""
    sizes = []
    for part in text.split(","):
        part = part.strip().lower().replace("_", "")
        scale = {"k": 1_000, "m": 1_000_000}.get(part[-1:], 1)
        sizes.append(int(float(part.rstrip("km")) * scale))
    return sizes


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.import_bench",
        description="Time `app-cli tasks import`/`export` against the sqlite3 shell "
        "on the same CSV; report rows/s, peak RSS and the ratio.",
    )
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=list(DEFAULT_SIZES),
        help="comma-separated row counts (k/m suffixes allowed), e.g. 50000,200000,1m "
        "[default: 50000,200000]",
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="interleaved pairs per size [default: 3]"
    )
    parser.add_argument("--seed", type=int, default=42, help="data generator seed")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    finish(run(args.sizes, args.repeats, args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
