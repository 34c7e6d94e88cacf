"""CLI start-up and listing: `app-cli` vs a bare Typer+Rich import and vs Taskwarrior 2.6.

Commands (each a fresh process, as a person or a script runs it):

- `python -c "import typer, rich"`: the floor for any Typer+Rich CLI in Python;
- `app-cli --help`;
- `app-cli tasks list --limit 20` on a SQLite file of 200,000 tasks;
- `task limit:20 list` (Taskwarrior 2.6) on 50,000 tasks imported with `task import`
  into an isolated TASKDATA/TASKRC (statuses mapped: todo/in_progress → pending,
  done → completed, cancelled → deleted).

Timed with hyperfine (`--shell=none`, JSON export) when installed, else by repeated
subprocess runs; in both cases in rounds, every command once per round, so the
machine's noise hits all commands alike. Medians are reported.

Targets: `tasks list` on 200k <= 0.5x Taskwarrior on 50k; `--help` <= 2x the bare import.

Two reference rows show what no change inside the app can go below: `--help` of a
two-command Typer app (Typer renders Rich help with `typer.rich_utils`, which imports
Markdown and Pygments support that `import typer, rich` does not), and importing the
libraries `tasks list` is built on (SQLAlchemy's asyncio ORM and aiosqlite dialect,
Pydantic, pydantic-settings, Typer, Rich) without running anything.

Run: `python -m bench.cli [--rounds 3] [--runs 5] [--rows 200000] [--tw-rows 50000]`.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import (
    DATA_DIR,
    Report,
    Table,
    Target,
    app_cli,
    cached_task_db,
    fmt_ms,
    fmt_ratio,
    generate_tasks,
    log,
    median,
    quiet_env,
    ratio,
    sqlite_url,
)

LIST_RATIO_TARGET = 0.5
HELP_RATIO_TARGET = 2.0
TW_STATUS = {
    "todo": "pending",
    "in_progress": "pending",
    "done": "completed",
    "cancelled": "deleted",
}
TW_PRIORITY = {"low": "L", "medium": "M", "high": "H", "urgent": "H"}
MINIMAL_TYPER_APP = """
import typer

app = typer.Typer()


@app.command()
def add(title: str) -> None:
    \"\"\"Add a task.\"\"\"


@app.command()
def done(task_id: int) -> None:
    \"\"\"Complete a task.\"\"\"


app()
"""
LIST_LIBRARIES = (
    "sqlalchemy.ext.asyncio",
    "sqlalchemy.dialects.sqlite.aiosqlite",
    "pydantic",
    "pydantic_settings",
    "typer.main",
    "rich.table",
)


@dataclass(slots=True)
class Command:
    """A timed command and what it is compared with."""

    key: str
    label: str
    argv: list[str]
    times: list[float] = field(default_factory=list)


def _tw_timestamp(value: object) -> str:
    return f"{value:%Y%m%dT%H%M%SZ}"


def taskwarrior_data(rows: int) -> Path:
    """An isolated Taskwarrior home with `rows` tasks (via `task import`); returns its taskrc.

    Cached in bench/data/cli/taskwarrior-ROWS; rebuilt when the marker file is missing.
    """
    home = DATA_DIR / "cli" / f"taskwarrior-{rows}"
    taskrc = home / "taskrc"
    marker = home / "imported"
    if marker.exists():
        return taskrc
    shutil.rmtree(home, ignore_errors=True)
    (home / "data").mkdir(parents=True)
    taskrc.write_text(
        f"data.location={home / 'data'}\n"
        "confirmation=off\ncolor=off\nhooks=off\nnews.version=2.6.2\n"
    )
    records = []
    for number, task in enumerate(generate_tasks(rows), start=1):
        record: dict[str, object] = {
            "uuid": str(uuid.UUID(int=number)),
            "description": task.title,
            "status": TW_STATUS[task.status],
            "entry": _tw_timestamp(task.created_at),
            "priority": TW_PRIORITY[task.priority],
        }
        if task.project:
            record["project"] = task.project
        if task.tags:
            record["tags"] = list(task.tags)
        if task.due_date:
            record["due"] = f"{task.due_date:%Y%m%d}T000000Z"
        if task.status == "in_progress":
            record["start"] = _tw_timestamp(task.created_at)
        if task.status in ("done", "cancelled"):
            record["end"] = _tw_timestamp(task.created_at)
        records.append(record)
    source = home / "tasks.json"
    source.write_text(json.dumps(records))
    log(f"taskwarrior: importing {rows:,} tasks")
    started = time.perf_counter()
    subprocess.run(
        ["task", "rc.verbose=nothing", "import", str(source)],
        env=quiet_env(TASKRC=str(taskrc)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    log(f"taskwarrior: imported in {time.perf_counter() - started:.1f} s")
    marker.write_text(str(rows))
    return taskrc


def _check_outputs(commands: Sequence[Command], env: dict[str, str]) -> list[str]:
    """Run each command once, untimed, and make sure it did what it is timed for."""
    notes = []
    for command in commands:
        done = subprocess.run(command.argv, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{command.label} failed ({done.returncode}): {done.stderr}")
        if command.key == "taskwarrior":
            summary = [ln for ln in (done.stdout + done.stderr).splitlines() if "shown" in ln]
            notes.append(f"Taskwarrior says: {summary[-1].strip() if summary else '?'}")
        if command.key == "list":
            first_cells = [
                ln.split("│")[1].strip() for ln in done.stdout.splitlines() if ln.count("│") > 2
            ]
            shown = sum(1 for cell in first_cells if cell.isdigit())
            notes.append(f"app-cli tasks list printed {shown} task rows")
    return notes


def _time_with_hyperfine(commands: Sequence[Command], runs: int, env: dict[str, str]) -> None:
    out = DATA_DIR / "cli" / "hyperfine.json"
    cmd = ["hyperfine", "--shell=none", "--warmup", "1", "--runs", str(runs), "--style", "none"]
    cmd += ["--export-json", str(out)]
    cmd += [shlex.join(c.argv) for c in commands]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:  # its warnings about outliers are noise; its errors are not
        raise RuntimeError(f"hyperfine failed ({done.returncode}):\n{done.stderr}")
    data = json.loads(out.read_text())
    for command, result in zip(commands, data["results"], strict=True):
        command.times.extend(result["times"])


def _time_with_subprocess(commands: Sequence[Command], runs: int, env: dict[str, str]) -> None:
    for command in commands:  # warm-up
        subprocess.run(command.argv, env=env, capture_output=True, check=True)
    for _ in range(runs):
        for command in commands:
            started = time.perf_counter()
            subprocess.run(command.argv, env=env, capture_output=True, check=True)
            command.times.append(time.perf_counter() - started)


def run(rows: int = 200_000, tw_rows: int = 50_000, rounds: int = 3, runs: int = 5) -> Report:
    """Time the commands in rounds and return the report."""
    started = time.perf_counter()
    (DATA_DIR / "cli").mkdir(parents=True, exist_ok=True)
    log(f"app database: {rows:,} tasks")
    db_path = cached_task_db(rows, "cli")
    have_tw = shutil.which("task") is not None
    taskrc = taskwarrior_data(tw_rows) if have_tw else None
    env = quiet_env(**({"TASKRC": str(taskrc)} if taskrc else {}))
    commands = [
        Command(
            "import", 'python -c "import typer, rich"', [sys.executable, "-c", "import typer, rich"]
        ),
        Command("help", "app-cli --help", [app_cli(), "--help"]),
        Command(
            "typer-help",
            "reference: a two-command Typer app --help",
            [sys.executable, "-c", MINIMAL_TYPER_APP, "--help"],
        ),
        Command(
            "libraries",
            "reference: import the libraries tasks list uses",
            [sys.executable, "-c", "import " + ", ".join(LIST_LIBRARIES)],
        ),
        Command(
            "list",
            f"app-cli tasks list --limit 20 ({rows:,} tasks)",
            [app_cli(), "--database-url", sqlite_url(db_path), "tasks", "list", "--limit", "20"],
        ),
    ]
    if have_tw:
        commands.append(
            Command(
                "taskwarrior",
                f"task limit:20 list ({tw_rows:,} tasks)",
                ["task", "limit:20", "list"],
            )
        )
    notes = _check_outputs(commands, env)
    use_hyperfine = shutil.which("hyperfine") is not None
    for round_number in range(rounds):
        log(f"round {round_number + 1}/{rounds} ({'hyperfine' if use_hyperfine else 'subprocess'})")
        order = commands[round_number % len(commands) :] + commands[: round_number % len(commands)]
        if use_hyperfine:
            _time_with_hyperfine(order, runs, env)
        else:
            _time_with_subprocess(order, runs, env)
    report = build_report(commands, rounds, runs, use_hyperfine)
    report.notes += notes
    if not have_tw:
        report.notes.append("Taskwarrior (`task`) is missing: run bench/install-tools.sh")
    report.seconds = time.perf_counter() - started
    return report


def build_report(
    commands: Sequence[Command], rounds: int, runs: int, use_hyperfine: bool
) -> Report:
    """The table and targets from the timings."""
    by_key = {c.key: c for c in commands}
    report = Report(
        name="cli",
        title="CLI (app-cli vs Typer+Rich import vs Taskwarrior 2.6)",
        baseline='`python -c "import typer, rich"` (for --help) and Taskwarrior 2.6 '
        "`task limit:20 list` (for tasks list), timed in the same rounds",
        settings={
            "timer": "hyperfine --shell=none" if use_hyperfine else "subprocess",
            "rounds": rounds,
            "runs per round": runs,
        },
    )
    table = Table(
        "Wall time per command (all rounds)",
        ["command", "median ms", "min ms", "max ms", "runs", "vs import", "vs Taskwarrior"],
    )
    floor = median(by_key["import"].times)
    tw = median(by_key["taskwarrior"].times) if "taskwarrior" in by_key else float("nan")
    for c in commands:
        m = median(c.times)
        table.rows.append(
            [
                c.label,
                fmt_ms(m),
                fmt_ms(min(c.times)),
                fmt_ms(max(c.times)),
                str(len(c.times)),
                fmt_ratio(ratio(m, floor)),
                fmt_ratio(ratio(m, tw)),
            ]
        )
    report.tables.append(table)
    report.notes.append(
        "reference rows (no target): the Typer app is "
        "`typer.Typer()` with two commands; the libraries are `import "
        + ", ".join(LIST_LIBRARIES)
        + "`. A ratio below the reference row's cannot come from changes in the app."
    )
    report.targets += [
        Target(
            "tasks list (200k) vs Taskwarrior list (50k)",
            ratio(median(by_key["list"].times), tw),
            LIST_RATIO_TARGET,
            "<=",
        ),
        Target(
            "app-cli --help vs import typer, rich",
            ratio(median(by_key["help"].times), floor),
            HELP_RATIO_TARGET,
            "<=",
        ),
    ]
    return report


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.cli",
        description="Time app-cli --help and tasks list against a bare Typer+Rich import "
        "and Taskwarrior 2.6.",
    )
    parser.add_argument("--rows", type=int, default=200_000, help="app-cli tasks [200000]")
    parser.add_argument("--tw-rows", type=int, default=50_000, help="Taskwarrior tasks [50000]")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds [3]")
    parser.add_argument("--runs", type=int, default=5, help="runs per command per round [5]")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    from bench.common import finish

    args = parse_args(argv)
    finish(run(args.rows, args.tw_rows, args.rounds, args.runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
