"""Run every benchmark with modest sizes and write bench/results/latest.md (`make bench`).

Each benchmark prints its tables as it finishes; at the end a summary of every target
(met or missed) is printed and the whole markdown report is written. A benchmark that
crashes is reported as such and the others still run.

Run: `python -m bench.run [--only import,api,hops,pages,cli] [--quick] [--strict]`.
"""

from __future__ import annotations

import argparse
import time
import traceback
from collections.abc import Callable, Sequence

from bench import api, cli, hops, import_bench, pages
from bench.common import (
    REPO_DIR,
    RESULTS_DIR,
    Report,
    Table,
    log,
    machine_line,
    render_markdown,
    render_text,
    report_markdown,
    report_text,
    save_report,
)

BENCHMARKS = ("import", "api", "hops", "pages", "cli")


def runners(quick: bool) -> dict[str, Callable[[], Report]]:
    """Each benchmark with its `make bench` settings (`quick`: a smoke test in ~2 minutes)."""
    if quick:
        return {
            "import": lambda: import_bench.run(sizes=(50_000, 200_000), repeats=1),
            "api": lambda: api.run(workers_list=(1,), duration=3, repeats=1, warmup=1),
            "hops": lambda: hops.run(requests=10),
            "pages": lambda: pages.run(rows=200_000, repeats=3),
            "cli": lambda: cli.run(rounds=1, runs=3),
        }
    return {
        "import": lambda: import_bench.run(
            sizes=(50_000, 200_000, 1_000_000), repeats=2, large_repeats=1
        ),
        "api": lambda: api.run(workers_list=(1, 2), duration=10, repeats=1, warmup=2),
        "hops": lambda: hops.run(requests=20),
        "pages": lambda: pages.run(rows=1_000_000, repeats=5),
        "cli": lambda: cli.run(rounds=3, runs=5),
    }


def summary_table(reports: Sequence[Report], failures: dict[str, str]) -> Table:
    """Every target of every benchmark, and every benchmark that crashed."""
    table = Table("Summary of targets", ["benchmark", "target", "measured", "verdict"])
    for report in reports:
        for target in report.targets:
            table.rows.append([report.name, *target.describe()])
    for name, error in failures.items():
        table.rows.append([name, "(benchmark crashed)", error.splitlines()[-1][:80], "ERROR"])
    return table


def write_latest(reports: Sequence[Report], failures: dict[str, str], seconds: float) -> str:
    """Write bench/results/latest.md; return its path relative to the repository."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    parts = [
        "# Benchmark results",
        f"_{machine_line()}; the whole run took {seconds / 60:.1f} min._",
        "Every figure that counts is a ratio to a baseline measured in the same run, "
        "interleaved; absolute times on this shared 2-core machine vary from run to run. "
        "See bench/README.md for what each benchmark does.",
        render_markdown(summary_table(reports, failures), level=2),
        *(report_markdown(r) for r in reports),
    ]
    for name, error in failures.items():
        parts.append(f"## {name}: crashed\n\n```\n{error}\n```")
    path = RESULTS_DIR / "latest.md"
    path.write_text("\n\n".join(parts) + "\n")
    return str(path.relative_to(REPO_DIR))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description="Run the benchmarks (import, api, pages, cli) and write "
        "bench/results/latest.md. Each can also be run alone: python -m bench.<name> --help.",
    )
    parser.add_argument(
        "--only",
        type=lambda s: [x.strip() for x in s.split(",") if x.strip()],
        default=list(BENCHMARKS),
        help=f"comma-separated subset of {','.join(BENCHMARKS)}",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, short runs (smoke)")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a target is missed (not only on a crash)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    unknown = sorted(set(args.only) - set(BENCHMARKS))
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(unknown)}")
    started = time.perf_counter()
    table = runners(args.quick)
    reports: list[Report] = []
    failures: dict[str, str] = {}
    for name in (n for n in BENCHMARKS if n in args.only):
        log(f"=== {name} ===")
        try:
            report = table[name]()
        except (Exception, SystemExit) as exc:  # keep going: the other benchmarks still run
            failures[name] = "".join(traceback.format_exception(exc)).strip()
            log(f"{name} crashed: {exc}")
            continue
        reports.append(report)
        save_report(report)
        print(report_text(report), end="\n\n", flush=True)
    seconds = time.perf_counter() - started
    summary = summary_table(reports, failures)
    print(render_text(summary), flush=True)
    print(f"\nwritten: {write_latest(reports, failures, seconds)} ({seconds / 60:.1f} min)")
    missed = any(t.met is False for r in reports for t in r.targets)
    return 1 if failures or (args.strict and missed) else 0


if __name__ == "__main__":
    raise SystemExit(main())
